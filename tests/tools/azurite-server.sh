#!/usr/bin/env bash
# Azurite (Microsoft's Azure Storage emulator, npm; blob service only) for the Azure tests, on
# 127.0.0.1 and a free port. It checks SharedKey signatures and SAS tokens as Azure does.
# Usage: azurite-server.sh start DIR | stop DIR
# `start` writes DIR/env (shell syntax, read by the tests):
#   WALNUT_IT_AZURE_ENDPOINT (path-style blob endpoint, http://127.0.0.1:PORT/devstoreaccount1),
#   WALNUT_IT_AZURE_ACCOUNT and WALNUT_IT_AZURE_KEY (the emulator's well-known account),
#   WALNUT_IT_AZURE_CONTAINER (a container created for the tests), WALNUT_IT_AZURE_SAS (an
#   account SAS token for the blob service with read, write, delete, list, add, create rights).
# As root, azurite runs as the user walnut-azurite (a system user created on first use). ctest
# runs `start` as the azurite_up fixture and `stop` as azurite_down; azurite keeps none of our
# output pipes open and is stopped by its PID.
set -euo pipefail

readonly REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly AZ_USER_AS_ROOT=walnut-azurite
readonly ACCOUNT=devstoreaccount1
# Azurite's well-known development key (public; the same in every Azure SDK).
readonly KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
readonly CONTAINER=walnut-it
readonly START_TIMEOUT_S=30
readonly STOP_TIMEOUT_S=10

log() { echo "azurite-server: $*" >&2; }
die() { log "error: $*"; exit 1; }

# shellcheck source=fixture-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/fixture-lib.sh"

stop() {
  local dir=$1
  stop_pid_file "$dir/azurite.pid" "$dir/data" azurite
  rm -f "$dir/env"
}

# Signs and sends one request with the account key (SharedKey), as Microsoft documents it;
# prints the HTTP status. Only for setting up the fixture: the tests sign with walnut's own code.
# Also prints an account SAS token with `sas`.
az_helper() {
  python3 - "$@" <<'PY'
import base64, hashlib, hmac, http.client, sys, urllib.parse
from datetime import datetime, timedelta, timezone
account, key = "devstoreaccount1", base64.b64decode(sys.argv[2])
def sign(s): return base64.b64encode(hmac.new(key, s.encode(), hashlib.sha256).digest()).decode()
if sys.argv[1] == "sas":
    expiry = (datetime.now(timezone.utc) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fields = {"sv": "2020-08-04", "ss": "b", "srt": "sco", "sp": "rwdlac", "se": expiry,
              "spr": "https,http"}
    sts = "\n".join([account, fields["sp"], fields["ss"], fields["srt"], "", fields["se"], "",
                     fields["spr"], fields["sv"], ""])
    fields["sig"] = sign(sts)
    print(urllib.parse.urlencode(fields))
    sys.exit(0)
port, container = int(sys.argv[3]), sys.argv[4]
date = datetime.now(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")
path = f"/{account}/{container}"
sts = (f"PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:2021-08-06\n"
       f"/{account}{path}\nrestype:container")
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
conn.request("PUT", path + "?restype=container", body=b"",
             headers={"x-ms-date": date, "x-ms-version": "2021-08-06",
                      "Authorization": f"SharedKey {account}:{sign(sts)}"})
print(conn.getresponse().status)
PY
}

start() {
  local dir=$1
  local azurite="$REPO_ROOT/node_modules/.bin/azurite-blob"
  command -v node >/dev/null || die "node is not installed; install Node.js 20 (see README)"
  [[ -x "$azurite" ]] || die "$azurite not found; run 'npm ci' in $REPO_ROOT"
  stop "$dir"
  rm -rf "$dir"
  mkdir -p "$dir/data"
  dir=$(cd "$dir" && pwd)

  local as_user=()
  if [[ $(id -u) == 0 ]]; then
    if ! getent passwd "$AZ_USER_AS_ROOT" >/dev/null; then
      useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
        "$AZ_USER_AS_ROOT" || die "cannot create user $AZ_USER_AS_ROOT"
    fi
    chown -R "$AZ_USER_AS_ROOT" "$dir/data"
    as_user=(runuser -u "$AZ_USER_AS_ROOT" --)
  fi

  local port
  port=$(free_port)
  # Only node goes to the background, so $! is the server; setsid keeps ctest's signals away.
  # --disableTelemetry: it is on by default and would reach out to the network.
  # --skipApiVersionCheck: accept an x-ms-version newer than this azurite knows
  # (AZURE_BLOB_STORE_API_VERSION). Not --loose: azurite then checks requests as Azure does.
  setsid "${as_user[@]}" node "$azurite" --blobHost 127.0.0.1 --blobPort "$port" \
    --location "$dir/data" --disableTelemetry --skipApiVersionCheck \
    </dev/null >"$dir/azurite.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$dir/azurite.pid"

  local waited=0 status=000
  until [[ "$status" != 000 ]]; do
    status=$(curl --silent --output /dev/null --max-time 2 --write-out '%{http_code}' \
      "http://127.0.0.1:$port/$ACCOUNT?comp=list" || true)
    [[ "$status" != 000 ]] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$dir/azurite.log" >&2
      rm -f "$dir/azurite.pid"
      die "azurite exited during startup"
    fi
    if ((waited >= START_TIMEOUT_S * 10)); then
      cat "$dir/azurite.log" >&2
      stop "$dir"
      die "azurite did not answer on 127.0.0.1:$port within ${START_TIMEOUT_S}s"
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  local created
  created=$(az_helper create "$KEY" "$port" "$CONTAINER")
  [[ "$created" == 201 ]] || { stop "$dir"; die "creating container $CONTAINER answered HTTP $created"; }
  local sas
  sas=$(az_helper sas "$KEY")
  cat >"$dir/env" <<ENV
WALNUT_IT_AZURE_ENDPOINT='http://127.0.0.1:$port/$ACCOUNT'
WALNUT_IT_AZURE_ACCOUNT='$ACCOUNT'
WALNUT_IT_AZURE_KEY='$KEY'
WALNUT_IT_AZURE_CONTAINER='$CONTAINER'
WALNUT_IT_AZURE_SAS='$sas'
ENV
  log "azurite (pid $pid) listens on http://127.0.0.1:$port/$ACCOUNT, container $CONTAINER"
}

case "${1:-}" in
  start) start "${2:?usage: $0 start DIR}" ;;
  stop) stop "${2:?usage: $0 stop DIR}" ;;
  *) die "usage: $0 start|stop DIR" ;;
esac
