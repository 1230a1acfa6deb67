#!/usr/bin/env bash
# A throwaway OpenSSH server for the SFTP tests, on 127.0.0.1 and a free port, run unprivileged.
# Usage: sshd-server.sh start DIR | stop DIR
# `start` writes DIR/env (shell syntax, read by the tests):
#   WALNUT_IT_SSH_HOST, WALNUT_IT_SSH_PORT, WALNUT_IT_SSH_USER, WALNUT_IT_SSH_KEY (an ed25519
#   client key the server accepts), WALNUT_IT_SSH_OTHER_KEY (a key it does not accept),
#   WALNUT_IT_SSH_HOST_KEY_LINE (the server's public host key as a known_hosts line),
#   WALNUT_IT_SSH_ROOT (a directory the user owns, for the storage roots), and, when started as
#   root, WALNUT_IT_SSH_PASSWORD (the user's password, accepted too).
# As root, sshd runs as the user walnut-sftp (created on first use, a system user with no login
# shell, in group shadow so that an unprivileged sshd can check its password); otherwise as the
# calling user, who can then log in with the key only. The first start as root on a machine picks
# walnut-sftp's password at random and keeps it in a root-only file (PASSWORD_FILE), so fixtures
# started at the same time (two ctest runs) all hand out the password that is set. ctest runs
# `start` as the sshd_up fixture
# and `stop` as sshd_down; sshd keeps none of our output pipes open and is stopped by its PID.
set -euo pipefail

readonly SSH_USER_AS_ROOT=walnut-sftp
readonly PASSWORD_FILE=/var/lib/walnut-tests/walnut-sftp.password
readonly START_TIMEOUT_S=20
readonly STOP_TIMEOUT_S=10

log() { echo "sshd-server: $*" >&2; }
die() { log "error: $*"; exit 1; }

# shellcheck source=fixture-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/fixture-lib.sh"

stop() {
  local dir=$1
  stop_pid_file "$dir/sshd.pid" "$dir/sshd_config" sshd
  rm -f "$dir/env"
}

# Creates the unprivileged user sshd runs as when we are root and sets its password, the one kept
# in PASSWORD_FILE (made on first use); prints the password. Under a lock, so that concurrent
# starts agree.
prepare_user() {
  mkdir -p -m 0700 "$(dirname "$PASSWORD_FILE")"
  (
    flock 9
    if ! getent passwd "$SSH_USER_AS_ROOT" >/dev/null; then
      useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
        --groups shadow "$SSH_USER_AS_ROOT" || die "cannot create user $SSH_USER_AS_ROOT"
    fi
    usermod --append --groups shadow "$SSH_USER_AS_ROOT"
    if [[ ! -s "$PASSWORD_FILE" ]]; then
      (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' 'xy' >"$PASSWORD_FILE.tmp")
      mv "$PASSWORD_FILE.tmp" "$PASSWORD_FILE"
    fi
    echo "$SSH_USER_AS_ROOT:$(<"$PASSWORD_FILE")" | chpasswd
    cat "$PASSWORD_FILE"
  ) 9>"$PASSWORD_FILE.lock"
}

start() {
  local dir=$1
  [[ -x /usr/sbin/sshd ]] || die "/usr/sbin/sshd not found: apt-get install openssh-server"
  command -v ssh-keygen >/dev/null || die "ssh-keygen not found: apt-get install openssh-client"
  stop "$dir"
  rm -rf "$dir"
  mkdir -p "$dir/data"
  dir=$(cd "$dir" && pwd)

  local user password="" password_auth=no
  if [[ $(id -u) == 0 ]]; then
    user=$SSH_USER_AS_ROOT
    password=$(prepare_user)
    password_auth=yes
  else
    user=$(id -un)
  fi

  ssh-keygen -q -t ed25519 -N '' -C walnut-test-host -f "$dir/host_ed25519"
  ssh-keygen -q -t ed25519 -N '' -C walnut-test-client -f "$dir/client_ed25519"
  ssh-keygen -q -t ed25519 -N '' -C walnut-test-other -f "$dir/other_ed25519"
  cp "$dir/client_ed25519.pub" "$dir/authorized_keys"

  local port
  port=$(free_port)
  # StrictModes no: the files live below /tmp, which is world-writable.
  cat >"$dir/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $dir/host_ed25519
PidFile none
AuthorizedKeysFile $dir/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication $password_auth
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel VERBOSE
MaxStartups 64:30:128
MaxSessions 64
Subsystem sftp internal-sftp
EOF
  if [[ $(id -u) == 0 ]]; then
    chown -R "$user" "$dir"
    chmod 700 "$dir"
  fi
  local as_user=()
  [[ $(id -u) == 0 ]] && as_user=(runuser -u "$user" --)
  "${as_user[@]}" /usr/sbin/sshd -t -f "$dir/sshd_config" || die "sshd rejects $dir/sshd_config"

  # Only sshd goes to the background (-D: it stays in the foreground, so $! is the server);
  # setsid keeps ctest's signals away; all streams redirected, so ctest does not wait on them.
  setsid "${as_user[@]}" /usr/sbin/sshd -D -e -f "$dir/sshd_config" </dev/null >"$dir/sshd.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$dir/sshd.pid"

  local waited=0
  until ssh-keyscan -T 1 -p "$port" -t ed25519 127.0.0.1 >"$dir/known_hosts" 2>/dev/null &&
    [[ -s "$dir/known_hosts" ]]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$dir/sshd.log" >&2
      die "sshd exited during startup (log above)"
    fi
    ((waited < START_TIMEOUT_S * 10)) || { stop "$dir"; die "sshd did not answer on 127.0.0.1:$port"; }
    sleep 0.1
    waited=$((waited + 1))
  done

  {
    echo "WALNUT_IT_SSH_HOST=127.0.0.1"
    echo "WALNUT_IT_SSH_PORT=$port"
    echo "WALNUT_IT_SSH_USER=$user"
    echo "WALNUT_IT_SSH_KEY=$dir/client_ed25519"
    echo "WALNUT_IT_SSH_OTHER_KEY=$dir/other_ed25519"
    echo "WALNUT_IT_SSH_HOST_KEY_LINE='$(head -n 1 "$dir/known_hosts")'"
    echo "WALNUT_IT_SSH_ROOT=$dir/data"
    [[ -n "$password" ]] && echo "WALNUT_IT_SSH_PASSWORD=$password"
  } >"$dir/env.tmp"
  chmod 600 "$dir/env.tmp"
  mv "$dir/env.tmp" "$dir/env"
  log "sshd (pid $pid) listens on 127.0.0.1:$port as $user"
}

case "${1:-}" in
  start) [[ $# == 2 ]] || die "usage: $0 start DIR"; start "$2" ;;
  stop) [[ $# == 2 ]] || die "usage: $0 stop DIR"; stop "$2" ;;
  *) echo "usage: $0 start DIR | stop DIR" >&2; exit 2 ;;
esac
