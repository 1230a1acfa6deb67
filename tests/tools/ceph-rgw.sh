#!/usr/bin/env bash
# A throwaway Ceph RADOS Gateway (RGW) on 127.0.0.1: the real S3 server of the integration tests.
# It checks SigV4 (aws-chunked included), multipart, versioning, Object Lock and STS as AWS does.
#
# Usage: ceph-rgw.sh start|restart|stop|status [DIR [PORT]]
#   start    brings up one ceph-mon, one ceph-osd (memstore: objects in RAM) and one radosgw, all
#            under DIR, then prints the variables the tests read, as shell `export` lines:
#              WALNUT_IT_RGW_ENDPOINT, _ACCESS_KEY, _SECRET_KEY, _REGION, _ROLE_ARN
#            (also written to DIR/env). When the daemons of DIR already run and answer, it only
#            prints them again; anything else under DIR is wiped and started afresh.
#   restart  stops what runs under DIR and starts afresh (an empty store).
#   stop     stops the daemons of DIR by the PIDs in DIR/run (never by name); safe to repeat.
#   status   says which of them run; exit 0 when all of them do.
# DIR defaults to $WALNUT_TEST_STATE_DIR/rgw (/tmp/walnut-test-servers/rgw), PORT to
# $WALNUT_TEST_RGW_PORT (14570). S3 answers on PORT; the mon takes PORT+1, the OSD binds within
# PORT+2..PORT+9.
#
# Fixed for the tests: the S3 user "walnut-it" with the keys below, the region (the zonegroup's API
# name: what GetBucketLocation answers, the one LocationConstraint CreateBucket accepts;
# WALNUT_TEST_RGW_REGION overrides it), STS on with the role "walnut-it-role" that the user may
# assume and that may do anything on S3.
# Options, by environment (unset: as above):
#   WALNUT_TEST_RGW_TLS_CERT, WALNUT_TEST_RGW_TLS_KEY  PEM files: S3 answers HTTPS on PORT with them
#            instead of HTTP, and the endpoint printed is https:// (both or neither).
#   WALNUT_TEST_RGW_OSD_BYTES  memstore's cap in bytes (6 GiB).
# Needs (Debian 12): apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw
# uuid-runtime curl. Runs as root or as any user; no systemd, nothing outside DIR.
set -euo pipefail

readonly STATE_ROOT=${WALNUT_TEST_STATE_DIR:-/tmp/walnut-test-servers}
readonly ACCESS_KEY=WALNUTRGWTESTKEY0001
readonly SECRET_KEY=walnut-rgw-test-secret-0000000000000001
readonly REGION=${WALNUT_TEST_RGW_REGION:-eu-west-1}
readonly UID_NAME=walnut-it
readonly ROLE=walnut-it-role
readonly STS_KEY=walnutstskey0016 # RGW wants exactly 16 characters
readonly OSD_BYTES=${WALNUT_TEST_RGW_OSD_BYTES:-$((6 << 30))} # memstore's cap; RAM is used only for what is stored
readonly START_TIMEOUT_S=${WALNUT_TEST_RGW_START_TIMEOUT:-120}
readonly OWNED_MARK=walnut-ceph-rgw # a file in DIR: this script made it and may wipe it
readonly RGW_NAME=client.rgw.walnut
tls_cert=${WALNUT_TEST_RGW_TLS_CERT:-}
tls_key=${WALNUT_TEST_RGW_TLS_KEY:-}
scheme=http
[[ -n $tls_cert ]] && scheme=https

say() { echo "ceph-rgw: $*" >&2; }
fail() {
  say "error: $*"
  exit 1
}

# --- processes by PID file ----------------------------------------------------------------

# Whether process $1 still exists and is no zombie. (Not daemon_pid: an exiting process loses its
# command line before it closes its sockets, and a restart needs those ports free.)
exists() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

# The PID recorded for daemon $1 (mon.a, osd.0, client.rgw.walnut) when that process still runs
# with our ceph.conf (a recycled PID is not ours); nothing otherwise.
daemon_pid() {
  local file=$dir/run/$1.pid pid
  [[ -s $file ]] || return 0
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ ]] && exists "$pid" || return 0
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF "$conf" || return 0
  echo "$pid"
}

# Sends signal $2 to daemon $1, waits up to 10 s for it to go, then SIGKILLs it.
end_daemon() {
  local name=$1 signal=$2 pid tries=0
  pid=$(daemon_pid "$name")
  if [[ -n $pid ]]; then
    kill "-$signal" "$pid" 2>/dev/null || true
    while exists "$pid"; do
      if ((tries++ == 100)); then
        say "$name (pid $pid) still runs 10 s after SIG$signal: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
      fi
      sleep 0.1
    done
    say "stopped $name (pid $pid)"
  fi
  rm -f "$dir/run/$name.pid"
}

do_stop() {
  [[ -d $dir/run ]] || return 0
  end_daemon "$RGW_NAME" TERM
  # The OSD's data is thrown away anyway, and memstore would write all of it to disk when asked to
  # stop cleanly: kill it.
  end_daemon osd.0 KILL
  end_daemon mon.a TERM
  rm -f "$dir/env"
}

all_running() {
  [[ -n $(daemon_pid mon.a) && -n $(daemon_pid osd.0) && -n $(daemon_pid "$RGW_NAME") ]]
}

do_status() {
  local name pid missing=0
  for name in mon.a osd.0 "$RGW_NAME"; do
    pid=$(daemon_pid "$name")
    if [[ -n $pid ]]; then echo "$name running (pid $pid)"; else echo "$name not running"; missing=1; fi
  done
  return $missing
}

# --- start ----------------------------------------------------------------------------------

s3_answers() {
  curl -s -o /dev/null --max-time 2 ${tls_cert:+--cacert "$tls_cert"} "$scheme://127.0.0.1:$port/"
}

# Beast's frontend line: plain HTTP, or HTTPS with the given certificate. No Nagle delay on the
# replies: small requests (HEAD, listing) would otherwise wait for the client's delayed ACK.
frontend() {
  if [[ $scheme == https ]]; then
    echo "beast ssl_endpoint=127.0.0.1:$port ssl_certificate=$tls_cert ssl_private_key=$tls_key tcp_nodelay=1"
  else
    echo "beast endpoint=127.0.0.1:$port tcp_nodelay=1"
  fi
}

# Retries "$@" until it succeeds; gives up (and so stops what began) at the start deadline.
retry_until() {
  local what=$1
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "$what: not within ${START_TIMEOUT_S}s (logs in $dir/log)"
    sleep 0.2
  done
}

cephc() { ceph --conf "$conf" --connect-timeout 10 "$@"; }
admin() { radosgw-admin --conf "$conf" "$@"; }
osd_is_up() { cephc osd dump | grep -q '^osd\.0 up'; }

write_conf() {
  cat >"$conf" <<EOF
# Made by walnut's tests/tools/ceph-rgw.sh: one mon, one OSD, one radosgw, all throwaway.
[global]
fsid = $1
mon host = v2:127.0.0.1:$((port + 1))
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr1 = false
ms bind port min = $((port + 2))
ms bind port max = $((port + 9))
run dir = $dir/run
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
chdir = ""
# No cephx at all. Without it the "secure" messenger mode cannot be negotiated, so all
# connections use "crc".
auth cluster required = none
auth service required = none
auth client required = none
ms cluster mode = crc
ms service mode = crc
ms client mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
ms mon client mode = crc
# A single OSD: replicas of one, few placement groups, no health warnings about that.
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 0
mon data avail crit = 0
# Start-up makes a dozen map changes: commit each at once rather than batching for a second.
paxos propose interval = 0.05
paxos min wait = 0.01
rados mon op timeout = 30
rados osd op timeout = 30

[mon]
mon data = $dir/mon
admin socket = $dir/run/\$name.asok

[osd]
osd data = $dir/osd
admin socket = $dir/run/\$name.asok
osd objectstore = memstore
memstore device bytes = $OSD_BYTES
# RGW's object classes (versioning, locks, multipart) live in the OSD.
osd class load list = *
osd class default list = *

[$RGW_NAME]
admin socket = $dir/run/\$name.asok
rgw frontends = $(frontend)
rgw sts key = $STS_KEY
rgw s3 auth use sts = true
# SSE-C over plain HTTP, and SSE-KMS with one fixed key ("testkey-1").
rgw crypt require ssl = false
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = testkey-1=d2FsbnV0LXRlc3Qta21zLWtleS0wMDAwMDAwMDAwMDE=
# Give deleted objects' space back within a minute (memstore keeps it in RAM).
rgw gc obj min wait = 30
rgw gc processor period = 30
EOF
}

print_env() {
  cat <<EOF
export WALNUT_IT_RGW_ENDPOINT=$scheme://127.0.0.1:$port
export WALNUT_IT_RGW_ACCESS_KEY=$ACCESS_KEY
export WALNUT_IT_RGW_SECRET_KEY=$SECRET_KEY
export WALNUT_IT_RGW_REGION=$REGION
export WALNUT_IT_RGW_ROLE_ARN=arn:aws:iam:::role/$ROLE
EOF
}

# While starting: unless start finished, show the end of each log and stop what was begun.
cleanup_failed_start() {
  ((started)) && return 0
  local log
  for log in "$dir"/log/*; do
    [[ -f $log ]] || continue
    say "--- the end of $log"
    tail -n 20 "$log" >&2
  done
  do_stop
}

do_start() {
  if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1024 || port + 9 > 65535)); then
    fail "PORT must be a number from 1024 to 65526, not '$port'"
  fi
  local tool
  for tool in ceph ceph-mon ceph-osd radosgw radosgw-admin monmaptool uuidgen curl; do
    command -v "$tool" >/dev/null || fail "$tool is missing: apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw uuid-runtime curl"
  done
  [[ -n $tls_cert && -n $tls_key || -z $tls_cert && -z $tls_key ]] ||
    fail "WALNUT_TEST_RGW_TLS_CERT and WALNUT_TEST_RGW_TLS_KEY go together: set both (HTTPS) or neither (HTTP)"
  if [[ -n $tls_cert ]]; then
    [[ -r $tls_cert && -r $tls_key ]] ||
      fail "WALNUT_TEST_RGW_TLS_CERT '$tls_cert' or WALNUT_TEST_RGW_TLS_KEY '$tls_key' is not a readable file"
    # radosgw reads them after its chdir: absolute paths.
    tls_cert=$(realpath -- "$tls_cert") tls_key=$(realpath -- "$tls_key")
  fi
  [[ $OSD_BYTES =~ ^[0-9]+$ ]] || fail "WALNUT_TEST_RGW_OSD_BYTES must be a number of bytes, not '$OSD_BYTES'"
  # The daemons' admin sockets live in DIR/run, and a Unix socket path has at most 107 bytes.
  ((${#dir} <= 70)) || fail "DIR '$dir' is longer than 70 characters (Unix socket paths under it would not fit)"
  if [[ -e $dir/$OWNED_MARK ]] && all_running && s3_answers; then
    say "already running under $dir"
    print_env | tee "$dir/env"
    return 0
  fi
  if [[ -d $dir && ! -e $dir/$OWNED_MARK && -n $(ls -A "$dir") ]]; then
    fail "$dir holds files this script did not make; give an empty or new directory"
  fi
  mkdir -p "$dir"
  touch "$dir/$OWNED_MARK"
  do_stop
  find "$dir" -mindepth 1 -maxdepth 1 ! -name "$OWNED_MARK" -exec rm -rf {} +
  mkdir -p "$dir/mon" "$dir/osd" "$dir/run" "$dir/log"
  local p
  for ((p = port; p <= port + 9; p++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      fail "port $p is taken (RGW needs $port-$((port + 9))): set WALNUT_TEST_RGW_PORT or give another PORT"
    fi
  done

  deadline=$((SECONDS + START_TIMEOUT_S))
  started=0
  trap cleanup_failed_start EXIT
  local fsid osd_uuid osd_id
  fsid=$(uuidgen)
  write_conf "$fsid"

  say "mon on 127.0.0.1:$((port + 1))"
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$((port + 1))]" "$dir/monmap" >/dev/null
  ceph-mon --conf "$conf" --id a --mkfs --monmap "$dir/monmap" --keyring /dev/null
  ceph-mon --conf "$conf" --id a </dev/null >>"$dir/log/mon.out" 2>&1
  retry_until "the mon answering" cephc mon stat

  say "osd (memstore)"
  osd_uuid=$(uuidgen)
  osd_id=$(cephc osd new "$osd_uuid")
  [[ $osd_id == 0 ]] || fail "the new OSD got id '$osd_id', not 0"
  ceph-osd --conf "$conf" --id 0 --mkfs --osd-uuid "$osd_uuid" >>"$dir/log/osd-mkfs.out" 2>&1
  ceph-osd --conf "$conf" --id 0 </dev/null >>"$dir/log/osd.out" 2>&1
  retry_until "the OSD coming up" osd_is_up

  # The first radosgw-admin call creates the realm-less default zone, zonegroup and pools.
  say "user $UID_NAME, region $REGION, role $ROLE"
  admin user create --uid "$UID_NAME" --display-name "Walnut integration tests" \
    --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" \
    --caps "users=*;buckets=*;metadata=*;usage=*;roles=*;user-policy=*;oidc-provider=*" >/dev/null
  admin zonegroup modify --rgw-zonegroup default --api-name "$REGION" >/dev/null
  admin role create --role-name "$ROLE" --path / --assume-role-policy-doc \
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/'"$UID_NAME"'"]},"Action":["sts:AssumeRole"]}]}' >/dev/null
  admin role-policy put --role-name "$ROLE" --policy-name s3-anything --policy-doc \
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":"arn:aws:s3:::*"}]}' >/dev/null

  say "radosgw on 127.0.0.1:$port"
  radosgw --conf "$conf" --name "$RGW_NAME" </dev/null >>"$dir/log/radosgw.out" 2>&1
  retry_until "radosgw answering on port $port" s3_answers
  started=1
  trap - EXIT
  say "up in ${SECONDS}s"
  print_env | tee "$dir/env"
}

# --- main -----------------------------------------------------------------------------------

action=${1:-}
dir=$(realpath -m -- "${2:-$STATE_ROOT/rgw}")
port=${3:-${WALNUT_TEST_RGW_PORT:-14570}}
conf=$dir/ceph.conf
case $action in
  start) do_start ;;
  restart)
    [[ -e $dir/$OWNED_MARK ]] && do_stop
    do_start
    ;;
  stop) do_stop ;;
  status) do_status ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
