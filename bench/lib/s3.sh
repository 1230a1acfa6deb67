# shellcheck shell=bash disable=SC2034  # (sets S3_* for the caller)
# S3 over HTTPS for the benchmarks: a self-signed certificate, the project's throwaway single-node
# Ceph RADOS Gateway (tests/tools/ceph-rgw.sh; a real S3: SigV4, multipart) serving TLS with it,
# buckets made and removed with curl's SigV4 signing, and the delaying TCP proxy
# (bench/delay_proxy.cc) in front of it. Source it after common.sh; nothing runs on load.
#
# Packages (Debian 12): ceph-mon ceph-osd radosgw uuid-runtime curl openssl.

RGW_SCRIPT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tests/tools/ceph-rgw.sh
S3_ACCESS_KEY="" # RGW's user, as tests/tools/ceph-rgw.sh prints it
S3_SECRET_KEY=""
S3_REGION=""
S3_ROOT=""    # rgw_start's directory while RGW runs
S3_DIR=""     # the RGW cluster's directory in it (ceph.conf, log/)
S3_PORT=""    # RGW's HTTPS port on 127.0.0.1
S3_CERT=""    # the certificate clients trust (WALG_S3_CA_CERT_FILE)
PROXY_PID=""  # the delay proxy while it runs
PROXY_PORT="" # its port

# tls_cert_make DIR: a self-signed certificate for 127.0.0.1 (the IP address as subjectAltName,
# which both libcurl and OpenSSL's hostname check require) in DIR/cert.pem, its key in DIR/key.pem.
tls_cert_make() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$1/key.pem" -out "$1/cert.pem" >/dev/null 2>&1 ||
    die "openssl could not make a self-signed certificate in $1"
}

# rgw_start DIR PORT: the project's test RGW (tests/tools/ceph-rgw.sh: a mon, a memstore OSD and
# radosgw, the daemons on PORT+1..PORT+9) under DIR/ceph, serving HTTPS on 127.0.0.1:PORT with a
# certificate made in DIR/tls. Sets S3_DIR, S3_PORT, S3_CERT and the keys and region it prints.
# Memstore keeps the objects in the OSD's RAM (~1.5 bytes per byte stored): the runs remove their
# buckets.
rgw_start() {
  local root=$1 port=$2 p env_lines
  command -v openssl >/dev/null || die "'openssl' is missing: apt-get install openssl"
  for ((p = port; p <= port + 9; p++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && die "port $p is in use (RGW needs $port-$((port + 9))); pick another with --s3-port"
  done
  rm -rf "$root"
  mkdir -p "$root/tls"
  S3_ROOT=$root S3_DIR=$root/ceph S3_PORT=$port S3_CERT=$root/tls/cert.pem
  tls_cert_make "$root/tls"
  env_lines=$(WALNUT_TEST_RGW_TLS_CERT=$S3_CERT WALNUT_TEST_RGW_TLS_KEY=$root/tls/key.pem \
    WALNUT_TEST_RGW_REGION=us-east-1 WALNUT_TEST_RGW_OSD_BYTES=${WALNUT_BENCH_RGW_BYTES:-17179869184} \
    "$RGW_SCRIPT" start "$S3_DIR" "$port") || die "Ceph RGW did not start under $S3_DIR (its logs: $S3_DIR/log)"
  S3_ACCESS_KEY=$(rgw_env_value ACCESS_KEY "$env_lines")
  S3_SECRET_KEY=$(rgw_env_value SECRET_KEY "$env_lines")
  S3_REGION=$(rgw_env_value REGION "$env_lines")
  [[ $(rgw_env_value ENDPOINT "$env_lines") == "https://127.0.0.1:$port" && -n $S3_ACCESS_KEY ]] ||
    die "$RGW_SCRIPT printed no HTTPS endpoint on port $port and keys: $env_lines"
}
# rgw_env_value NAME LINES: the value of WALNUT_IT_RGW_NAME in ceph-rgw.sh's export LINES.
rgw_env_value() { sed -n "s/^export WALNUT_IT_RGW_$1=//p" <<<"$2"; }

# rgw_stop: stops the daemons rgw_start began (by the PIDs they wrote) and removes its directory.
rgw_stop() {
  [[ -n $S3_ROOT ]] || return 0
  "$RGW_SCRIPT" stop "$S3_DIR" 2>/dev/null || true
  rm -rf "$S3_ROOT"
  S3_ROOT="" S3_DIR=""
}

# s3_curl METHOD PATH [curl args...]: one SigV4-signed request to RGW (directly, not through the
# proxy); fails on an HTTP error.
s3_curl() {
  local method=$1 path=$2
  shift 2
  curl -sSf --cacert "$S3_CERT" --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -X "$method" "$@" "https://127.0.0.1:$S3_PORT$path"
}
s3_bucket_create() { s3_curl PUT "/$1" -o /dev/null || die "could not create bucket $1"; }
# s3_bucket_remove BUCKET: the bucket and every object in it (untimed housekeeping between runs).
s3_bucket_remove() {
  radosgw-admin -c "$S3_DIR/ceph.conf" bucket rm --bucket="$1" --purge-objects --bypass-gc >/dev/null 2>&1 || true
}
# s3_put BUCKET KEY FILE: uploads FILE as is.
s3_put() { s3_curl PUT "/$1/$2" -T "$3" -o /dev/null || die "could not upload $3 to s3://$1/$2"; }
# s3_count BUCKET PREFIX: how many objects the bucket holds under PREFIX (up to 1000). (curl signs
# the query as written: it must be sorted and percent-encoded already.)
s3_count() { s3_curl GET "/$1?list-type=2&prefix=${2//\//%2F}" | grep -o '<Key>' | wc -l; }
# s3_bytes BUCKET PREFIX: the total size of the objects under PREFIX (up to 1000 objects).
s3_bytes() {
  s3_curl GET "/$1?list-type=2&prefix=${2//\//%2F}" | grep -o '<Size>[0-9]*</Size>' | tr -dc '0-9\n' |
    awk '{ s += $1 } END { print s + 0 }'
}

# --- the delay proxy ----------------------------------------------------------------------------

# find_delay_proxy WALNUT: the delay_proxy binary built next to WALNUT (BUILD/bench/delay_proxy).
find_delay_proxy() {
  local candidate
  for candidate in "${DELAY_PROXY_BIN:-}" "$(dirname "$1")/../bench/delay_proxy"; do
    if [[ -n $candidate && -x $candidate ]]; then
      realpath "$candidate"
      return
    fi
  done
  die "bench/delay_proxy is not built next to $1; cmake --build BUILD --target delay_proxy (or set DELAY_PROXY_BIN)"
}

# proxy_start BINARY PORT RTT_MS: a delay proxy on 127.0.0.1:PORT in front of RGW's port.
proxy_start() {
  proxy_stop
  "$1" --listen "127.0.0.1:$2" --connect "127.0.0.1:$S3_PORT" --rtt-ms "$3" >"$S3_DIR/log/proxy-$3.log" 2>&1 &
  PROXY_PID=$! PROXY_PORT=$2
  local i
  for ((i = 0; i < 100; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
    kill -0 "$PROXY_PID" 2>/dev/null || die "the delay proxy exited: $(cat "$S3_DIR/log/proxy-$3.log")"
    sleep 0.05
  done
  die "the delay proxy did not listen on 127.0.0.1:$2 within 5 s"
}
proxy_stop() {
  [[ -n $PROXY_PID ]] || return 0
  kill -TERM "$PROXY_PID" 2>/dev/null || true
  wait "$PROXY_PID" 2>/dev/null || true
  PROXY_PID=""
}

# --- what the scripts share ---------------------------------------------------------------------

S3_CLIENT_PORT="" # where the tools connect: RGW's port, or the proxy's while an RTT is added
S3_RTT=""

# s3_bench_start DIR PORT WALNUT: starts RGW under DIR on PORT..PORT+9 (the proxy takes PORT+10)
# and finds the delay proxy built next to WALNUT. The certificate is made readable for the tools.
s3_bench_start() {
  DELAY_PROXY=$(find_delay_proxy "$3")
  log "starting Ceph RGW (HTTPS) on 127.0.0.1:$2 under $1"
  rgw_start "$1" "$2"
  chmod 755 "$1" "$1/tls"
  chmod 644 "$S3_CERT"
}
s3_bench_stop() {
  proxy_stop
  rgw_stop
}

# s3_use_rtt MS: the tools reach RGW with MS of round-trip time added from now on (0: directly).
# Sets S3_CLIENT_PORT.
s3_use_rtt() {
  [[ $1 == "$S3_RTT" ]] && return 0
  if (($1 == 0)); then
    proxy_stop
    S3_CLIENT_PORT=$S3_PORT
  else
    proxy_start "$DELAY_PROXY" $((S3_PORT + 10)) "$1"
    S3_CLIENT_PORT=$PROXY_PORT
  fi
  S3_RTT=$1
}

# s3_walnut_env BUCKET PREFIX: Walnut's settings for s3://BUCKET/PREFIX at the current RTT, one
# NAME=VALUE a line (for env or an exported file). The certificate is trusted explicitly.
s3_walnut_env() {
  printf '%s\n' "WALG_S3_PREFIX=s3://$1/$2" "AWS_ENDPOINT=https://127.0.0.1:$S3_CLIENT_PORT" \
    "AWS_S3_FORCE_PATH_STYLE=true" "AWS_REGION=$S3_REGION" "AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY" \
    "AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY" "WALG_S3_CA_CERT_FILE=$S3_CERT"
}

# s3_pgbackrest_repo BUCKET PATH: pgBackRest's repository 1 in BUCKET under PATH at the current
# RTT (lines for its [global] section). pgBackRest 2.45 does not verify the self-signed certificate.
s3_pgbackrest_repo() {
  printf '%s\n' repo1-type=s3 "repo1-path=$2" "repo1-s3-bucket=$1" repo1-s3-endpoint=127.0.0.1 \
    "repo1-storage-port=$S3_CLIENT_PORT" "repo1-s3-region=$S3_REGION" "repo1-s3-key=$S3_ACCESS_KEY" \
    "repo1-s3-key-secret=$S3_SECRET_KEY" repo1-s3-uri-style=path repo1-storage-verify-tls=n
}

# s3_bucket_bytes BUCKET: the bytes stored in BUCKET (RGW's own count: no listing limit).
s3_bucket_bytes() {
  radosgw-admin -c "$S3_DIR/ceph.conf" bucket stats --bucket="$1" 2>/dev/null |
    jq '[.usage[]?.size // 0] | add // 0'
}

# check_storage_options: validates STORAGE, RTTS and S3_BENCH_PORT as the scripts' options set them.
check_storage_options() {
  [[ $STORAGE == dir || $STORAGE == s3 ]] || die "--storage must be dir or s3, not '$STORAGE'"
  local r
  [[ -n ${RTTS// /} ]] || die "--rtt needs at least one round-trip time in ms (0: none added)"
  for r in $RTTS; do
    if ! [[ $r =~ ^[0-9]+$ ]] || ((r > 1000)); then die "--rtt takes whole milliseconds from 0 to 1000, not '$r'"; fi
  done
  if [[ $STORAGE == dir && $RTTS != 0 ]]; then die "--rtt needs --storage s3 (the delay is added on the way to the S3 server)"; fi
  if ! [[ $S3_BENCH_PORT =~ ^[0-9]+$ ]] || ((S3_BENCH_PORT < 1024 || S3_BENCH_PORT > 65525)); then
    die "--s3-port must be a port from 1024 to 65525, not '$S3_BENCH_PORT'"
  fi
}

# s3_storage_line: describes the storage for a report's header.
s3_storage_line() {
  echo "storage: S3 over HTTPS (TLS 1.3, self-signed certificate): Ceph RGW $(radosgw --version | awk '{ print $3 }') beast, memstore OSD, on 127.0.0.1;" \
    "round-trip times added by bench/delay_proxy: $RTTS ms"
}

# rtt_fractions SUMMARY_FILE THROUGHPUTS: for rows "LABEL<TAB>MEASUREMENT<TAB>SIDE<TAB>SECONDS",
# prints each side's speed at "NAME +Nms" (throughput, or 1 / latency) as a fraction of its speed
# at "NAME"; for Walnut's rows whose MEASUREMENT is one of THROUGHPUTS, against the goal
# (>= 70 %).
rtt_fractions() {
  awk -F'\t' -v throughputs=" $2 " '
    { t[$1 SUBSEP $2 SUBSEP $3] = $4; order[++n] = $1 SUBSEP $2 SUBSEP $3 }
    END {
      for (i = 1; i <= n; i++) {
        split(order[i], k, SUBSEP)
        if (!match(k[1], / \+[0-9]+ms$/)) continue
        base = substr(k[1], 1, RSTART - 1) SUBSEP k[2] SUBSEP k[3]
        if (!(base in t) || t[order[i]] !~ /^[0-9.]+$/ || t[base] !~ /^[0-9.]+$/ || t[order[i]] <= 0) continue
        f = t[base] / t[order[i]] * 100
        printf "%-16s %-12s %-10s %3.0f%% of its no-delay speed%s\n", k[1], k[2], k[3], f,
          (k[3] == "walnut" && index(throughputs, " " k[2] " ") ? (f >= 70 ? " (goal >= 70%: met)" : " (goal >= 70%: NOT met)") : "")
      }
    }' "$1"
}
