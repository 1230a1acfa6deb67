# Helpers shared by the test fixtures' start/stop scripts (sourced; defines functions only).
# The sourcing script defines log() and STOP_TIMEOUT_S.

# A free TCP port on 127.0.0.1 (the kernel's choice; a race with another process is possible but
# the start then fails visibly rather than talking to a stranger).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Whether $1 is a live process whose command line contains $2 (guards against a recycled PID).
is_ours() {
  [[ -n "$1" && -r "/proc/$1/cmdline" ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q -- "$2"
}

# Stops the process whose PID is in file $1 if its command line contains $2 (SIGTERM, then SIGKILL
# after STOP_TIMEOUT_S), logging it as $3; removes the PID file.
stop_pid_file() {
  local pid_file=$1 marker=$2 name=$3 pid
  [[ -f "$pid_file" ]] || return 0
  pid=$(<"$pid_file")
  if is_ours "$pid" "$marker"; then
    kill -TERM "$pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$pid" 2>/dev/null && ((waited < STOP_TIMEOUT_S * 10)); do
      sleep 0.1
      waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT_S}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$pid_file"
}
