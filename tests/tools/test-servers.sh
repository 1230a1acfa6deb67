#!/usr/bin/env bash
# Starts or stops the servers the integration tests talk to, on loopback:
#   s3rver on 127.0.0.1:14568 with bucket walnut-it (WALNUT_IT_S3_ENDPOINT / WALNUT_IT_S3_BUCKET).
# Usage: test-servers.sh start|stop|status
# State (PID, data, log) lives in $WALNUT_TEST_STATE_DIR (default /tmp/walnut-test-servers).
# WALNUT_TEST_S3_PORT moves s3rver to another port (to run beside a server that is already up);
# the tests must then be given the matching WALNUT_IT_S3_ENDPOINT.
# ctest runs `start` as the servers_up fixture and `stop` as servers_down, so `start` returns as
# soon as the server answers, and the server keeps none of our output pipes open.
set -euo pipefail

readonly REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly STATE_DIR="${WALNUT_TEST_STATE_DIR:-/tmp/walnut-test-servers}"
readonly S3_HOST=127.0.0.1
readonly S3_PORT="${WALNUT_TEST_S3_PORT:-14568}"
readonly S3_BUCKET=walnut-it
readonly S3_PID_FILE="$STATE_DIR/s3rver.pid"
readonly S3_DATA_DIR="$STATE_DIR/s3rver-data"
readonly S3_LOG="$STATE_DIR/s3rver.log"
readonly START_TIMEOUT_S=30
readonly STOP_TIMEOUT_S=10

log() { echo "test-servers: $*" >&2; }
die() { log "error: $*"; exit 1; }

# is_ours, stop_pid_file.
# shellcheck source=fixture-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/fixture-lib.sh"

# Prints the HTTP status of a bucket listing, or 000 when nothing answers.
s3_status() {
  curl --silent --output /dev/null --max-time 2 --write-out '%{http_code}' \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
    "http://$S3_HOST:$S3_PORT/$S3_BUCKET?list-type=2&max-keys=1" || true
}

stop_s3rver() {
  stop_pid_file "$S3_PID_FILE" s3rver s3rver
  rm -rf "$S3_DATA_DIR"
}

start_s3rver() {
  local s3rver="$REPO_ROOT/node_modules/.bin/s3rver"
  command -v node >/dev/null || die "node is not installed; install Node.js 20 (see README)"
  command -v curl >/dev/null || die "curl is not installed"
  [[ -x "$s3rver" ]] || die "$s3rver not found; run 'npm ci' in $REPO_ROOT"
  if [[ "$(s3_status)" != 000 ]]; then
    die "something we did not start already answers on $S3_HOST:$S3_PORT; stop it (find it with 'ss -ltnp | grep :$S3_PORT') or set WALNUT_TEST_S3_PORT to a free port"
  fi

  mkdir -p "$S3_DATA_DIR"
  # Only the node command goes to the background, so $! is the server itself. setsid puts it in
  # its own session (ctest's signals and terminal do not reach it); all three standard streams
  # are redirected so that ctest, which waits for its pipes to close, returns at once.
  # --openssl-legacy-provider: s3rver's list continuation tokens use DES, which Node 17+ disables.
  setsid node --openssl-legacy-provider "$s3rver" -d "$S3_DATA_DIR" -a "$S3_HOST" -p "$S3_PORT" \
    -s --configure-bucket "$S3_BUCKET" </dev/null >"$S3_LOG" 2>&1 &
  local pid=$!
  echo "$pid" >"$S3_PID_FILE"

  local waited=0 status
  while true; do
    status=$(s3_status)
    [[ "$status" == 200 ]] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      log "s3rver exited during startup; its log ($S3_LOG):"
      cat "$S3_LOG" >&2
      rm -f "$S3_PID_FILE"
      exit 1
    fi
    if ((waited >= START_TIMEOUT_S * 10)); then
      log "s3rver did not answer 200 on http://$S3_HOST:$S3_PORT/$S3_BUCKET within ${START_TIMEOUT_S}s (last status $status); its log ($S3_LOG):"
      cat "$S3_LOG" >&2
      stop_s3rver
      exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  log "s3rver (pid $pid) listens on http://$S3_HOST:$S3_PORT, bucket $S3_BUCKET"
}

main() {
  case "${1:-}" in
    start)
      mkdir -p "$STATE_DIR"
      stop_s3rver  # a previous run may have left one behind
      start_s3rver
      ;;
    stop)
      stop_s3rver
      ;;
    status)
      local pid=""
      [[ -f "$S3_PID_FILE" ]] && pid=$(<"$S3_PID_FILE")
      if is_ours "$pid" s3rver && [[ "$(s3_status)" == 200 ]]; then
        echo "s3rver running (pid $pid) on http://$S3_HOST:$S3_PORT"
      else
        echo "s3rver not running"
        exit 1
      fi
      ;;
    *)
      echo "usage: $0 start|stop|status" >&2
      exit 2
      ;;
  esac
}

main "$@"
