#!/usr/bin/env bash
# Checks bench/delay_proxy: that it adds the round-trip time it is asked for and that it does not
# cap throughput below what the S3 benchmarks need. See bench/README.md ("RTT").
#
# 1. raw TCP: 1 GiB sent through the proxy (and directly) into a sink, as MB/s;
# 2. HTTPS to Ceph RGW (as the benchmarks use it): curl's timings of a small GET (TLS handshake done,
#    first byte) directly and through the proxy, median of 7; a 256 MiB GET and PUT as MB/s.
set -euo pipefail
export LC_ALL=C

BENCH_NAME=delay_proxy_check.sh
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"
# shellcheck source=bench/lib/s3.sh
source "$SCRIPT_DIR/lib/s3.sh"

RTT_MS=${1:-10}
S3_BENCH_PORT=${WALNUT_BENCH_S3_PORT:-14780}
[[ $RTT_MS =~ ^[0-9]+$ ]] || die "usage: $0 [RTT_MS] (default 10); WALNUT_BENCH_S3_PORT moves RGW ($S3_BENCH_PORT)"
need_tools curl openssl jq python3
WALNUT=$(find_walnut "")
WORK=$(mktemp -d /dev/shm/walnut-proxy-check.XXXXXX)
SINK_PID=""
cleanup() {
  [[ -n $SINK_PID ]] && kill "$SINK_PID" 2>/dev/null
  s3_bench_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

s3_bench_start "$WORK/rgw" "$S3_BENCH_PORT" "$WALNUT"
SINK_PORT=$((S3_BENCH_PORT + 11))

# --- 1. raw TCP ---------------------------------------------------------------------------------
# A sink that reads until the sender closes, then closes too (so the sender's close completes).
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
buf = bytearray(1 << 20)
while True:
    c, _ = s.accept()
    while c.recv_into(buf): pass
    c.close()' "$SINK_PORT" &
SINK_PID=$!
sleep 0.5
send_gib() { # port: seconds to send 1 GiB
  local start
  start=$(now_ns)
  head -c 1073741824 /dev/zero >"/dev/tcp/127.0.0.1/$1"
  seconds_since "$start"
}
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
direct=$(send_gib "$SINK_PORT")
"$DELAY_PROXY" --listen "127.0.0.1:$((S3_BENCH_PORT + 12))" --connect "127.0.0.1:$SINK_PORT" --rtt-ms "$RTT_MS" &
RAW_PROXY=$!
until (exec 3<>"/dev/tcp/127.0.0.1/$((S3_BENCH_PORT + 12))") 2>/dev/null; do sleep 0.05; done
delayed=$(send_gib $((S3_BENCH_PORT + 12)))
kill "$RAW_PROXY"
wait "$RAW_PROXY" 2>/dev/null || true

# --- 2. HTTPS to RGW ----------------------------------------------------------------------------
s3_bucket_create check
head -c 8 /dev/urandom >"$WORK/small"
head -c 268435456 /dev/urandom >"$WORK/big"
s3_put check small "$WORK/small"
s3_put check big "$WORK/big"
get_timings() { # port key: "tls first_byte total speed" of one GET
  curl -sS --cacert "$S3_CERT" --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -o /dev/null \
    -w '%{time_appconnect} %{time_starttransfer} %{time_total} %{speed_download}\n' "https://127.0.0.1:$1/check/$2"
}
put_speed() { # port
  curl -sS --cacert "$S3_CERT" --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -o /dev/null -T "$WORK/big" -w '%{speed_upload}\n' \
    "https://127.0.0.1:$1/check/big2"
}
https_row() { # label port
  local tls=() first=() i t
  for ((i = 0; i < 7; i++)); do
    read -r t f _ _ < <(get_timings "$2" small)
    tls+=("$t")
    first+=("$(awk -v a="$f" -v b="$t" 'BEGIN { print a - b }')")
  done
  local down up
  read -r _ _ _ down < <(get_timings "$2" big)
  up=$(put_speed "$2")
  printf '%s\t%.1f\t%.1f\t%.0f\t%.0f\n' "$1" "$(awk -v x="$(median "${tls[@]}")" 'BEGIN { print x * 1000 }')" \
    "$(awk -v x="$(median "${first[@]}")" 'BEGIN { print x * 1000 }')" \
    "$(awk -v x="$down" 'BEGIN { print x / 1e6 }')" "$(awk -v x="$up" 'BEGIN { print x / 1e6 }')"
}
s3_use_rtt 0
row_direct=$(https_row direct "$S3_CLIENT_PORT")
s3_use_rtt "$RTT_MS"
row_proxy=$(https_row "proxy, $RTT_MS ms" "$S3_CLIENT_PORT")

echo
machine_line
echo
{
  printf 'raw TCP, 1 GiB\tMB/s\n'
  printf 'direct\t%s\n' "$(mbps 1073741824 "$direct")"
  printf 'through the proxy, %s ms\t%s\n\n' "$RTT_MS" "$(mbps 1073741824 "$delayed")"
  printf 'HTTPS to RGW\tTLS handshake done ms\tGET small: first byte after TLS ms\tGET 256 MiB MB/s\tPUT 256 MiB MB/s\n'
  printf '%s\n%s\n' "$row_direct" "$row_proxy"
} | align_columns 1
echo
echo "Expected through the proxy: the TLS handshake done ~2 RTT later (the TCP handshake's round trip,"
echo "which the proxy holds a new connection for, and TLS 1.3's one), each request ~1 RTT later; the"
echo "throughputs as high as directly (the proxy keeps up to 64 MiB in flight per direction)."
