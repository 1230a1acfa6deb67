#!/usr/bin/env bash
# Pipeline benchmark: Walnut's upload/download pipeline (`walnut st put` / `walnut st get` into a
# local-directory storage) against each codec's command-line tool on the same data, in one run,
# with and without libsodium encryption. See bench/README.md.
#
# Every measurement is a whole process timed by bash (wall, user+sys CPU, ms resolution) with its
# peak RSS from /usr/bin/time -f %M. The sides of a comparison run interleaved (tool, walnut,
# walnut+encryption, then the same for decompression) so that load from other processes hits
# them alike; each is repeated --runs times and the median is reported.
set -euo pipefail
export LC_ALL=C

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOURCE_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=bench/lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"  # align_columns

SCALE=${WALNUT_BENCH_SCALE:-20}
RUNS=${WALNUT_BENCH_RUNS:-5}
MIXED_MB=${WALNUT_BENCH_MIXED_MB:-256}
LZMA_MB=${WALNUT_BENCH_LZMA_MB:-4}
METHODS=${WALNUT_BENCH_METHODS:-"none lz4 zstd brotli lzma"}
DATASETS=${WALNUT_BENCH_DATASETS:-"pgbench mixed"}
WORK_DIR=${WALNUT_BENCH_DIR:-/tmp/walnut-bench}
WALNUT=${WALNUT_BIN:-}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
MARKDOWN=""
KEEP_SCRATCH=0
BENCH_USER=walnut-bench
# Fixed test key (not a secret): 32 bytes as 64 hex digits.
SODIUM_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

usage() {
  cat <<EOF
Usage: $0 [options]

Compares Walnut's compression (and encryption) pipeline with the codecs' command-line tools.

Options (environment variable in brackets):
  -s, --scale N        pgbench scale factor of data set 'pgbench' [WALNUT_BENCH_SCALE, $SCALE]
  -r, --runs N         repetitions of every measurement; the median is reported [WALNUT_BENCH_RUNS, $RUNS]
      --mixed-mb N     size of data set 'mixed' in MiB [WALNUT_BENCH_MIXED_MB, $MIXED_MB]
      --lzma-mb N      lzma runs on the first N MiB of each data set (xz -6 runs at 1-10 MB/s)
                       [WALNUT_BENCH_LZMA_MB, $LZMA_MB]; 0 = whole data set
  -m, --methods LIST   space-separated subset of "none lz4 zstd brotli lzma" [WALNUT_BENCH_METHODS]
  -d, --datasets LIST  space-separated subset of "pgbench mixed" [WALNUT_BENCH_DATASETS]
  -w, --work-dir DIR   where data sets are generated and kept for later runs [WALNUT_BENCH_DIR, $WORK_DIR]
      --walnut PATH    the walnut binary [WALNUT_BIN; default: build-bench/src/walnut, build/src/walnut, PATH]
      --markdown FILE  also write the result tables as Markdown to FILE (default: WORK_DIR/results.md)
      --keep-scratch   keep the compressed outputs (scratch directory) after the run
  -h, --help           this text

Environment: PG_BIN (PostgreSQL 15 binaries, $PG_BIN).
EOF
}

die() {
  echo "pipeline.sh: $*" >&2
  exit 1
}
log() { echo "== $*" >&2; }

while (($#)); do
  case $1 in
    -s | --scale) SCALE=$2; shift 2 ;;
    -r | --runs) RUNS=$2; shift 2 ;;
    --mixed-mb) MIXED_MB=$2; shift 2 ;;
    --lzma-mb) LZMA_MB=$2; shift 2 ;;
    -m | --methods) METHODS=$2; shift 2 ;;
    -d | --datasets) DATASETS=$2; shift 2 ;;
    -w | --work-dir) WORK_DIR=$2; shift 2 ;;
    --walnut) WALNUT=$2; shift 2 ;;
    --markdown) MARKDOWN=$2; shift 2 ;;
    --keep-scratch) KEEP_SCRATCH=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done

for n in SCALE RUNS MIXED_MB LZMA_MB; do
  [[ ${!n} =~ ^[0-9]+$ ]] || die "--$(tr 'A-Z_' 'a-z-' <<<"$n") must be a whole number, not '${!n}'"
done
((SCALE > 0 && RUNS > 0 && MIXED_MB > 0)) || die "--scale, --runs and --mixed-mb must be positive"
for m in $METHODS; do
  [[ $m =~ ^(none|lz4|zstd|brotli|lzma)$ ]] || die "unknown method '$m' (none lz4 zstd brotli lzma)"
done
for d in $DATASETS; do
  [[ $d =~ ^(pgbench|mixed)$ ]] || die "unknown data set '$d' (pgbench mixed)"
done

# --- tools -------------------------------------------------------------------------------------

if [[ -z $WALNUT ]]; then
  for candidate in "$SOURCE_DIR/build-bench/src/walnut" "$SOURCE_DIR/build/src/walnut" "$(command -v walnut || true)"; do
    if [[ -n $candidate && -x $candidate ]]; then WALNUT=$candidate; break; fi
  done
fi
[[ -n $WALNUT && -x $WALNUT ]] ||
  die "walnut binary not found; build it (ninja -C build-bench walnut) or pass --walnut PATH"
WALNUT=$(realpath "$WALNUT")
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing; install GNU time (apt-get install time)"
for tool in lz4 zstd brotli xz tar awk openssl cmp; do
  command -v "$tool" >/dev/null || die "'$tool' is missing; tools/install-deps.sh installs it"
done

# Walnut's levels, read from its codecs so the tools run at the same ones (fallbacks: WAL-G's).
codec_constant() { # file name fallback
  local file=$SOURCE_DIR/src/pipeline/compress/$1 value=""
  [[ -f $file ]] && value=$(sed -n "s/.*constexpr int $2 = \([0-9]*\);.*/\1/p" "$file" | head -n1)
  echo "${value:-$3}"
}
ZSTD_LEVEL=$(codec_constant zstd_compressor.cc kDefaultLevel 3)
BROTLI_QUALITY=$(codec_constant brotli_compressor.cc kDefaultQuality 3)
LZMA_PRESET=$(codec_constant lzma_compressor.cc kDefaultPreset 6)

# The command-line side. Walnut's lz4 writer uses LZ4F level 0, the same fast mode as `lz4 -1`
# (LZ4F levels below 3 all run LZ4_compress_fast with acceleration 1), 4 MiB independent blocks
# and a content checksum: the lz4 CLI defaults. zstd: -T1 is the CLI default (one worker thread;
# the CLI's main thread does I/O beside it). brotli: Walnut keeps the 4 MiB window (-w 22).
# lzma: the .lzma ("alone") format at Walnut's preset.
tool_compress() { # method input: prints the command
  case $1 in
    none) echo "cat $2" ;;
    lz4) echo "lz4 -1 -q -c $2" ;;
    zstd) echo "zstd -$ZSTD_LEVEL -T1 -q -c $2" ;;
    brotli) echo "brotli -q $BROTLI_QUALITY -w 22 -c $2" ;;
    lzma) echo "xz --format=lzma -$LZMA_PRESET -T1 -q -c $2" ;;
  esac
}
tool_decompress() {
  case $1 in
    none) echo "cat $2" ;;
    lz4) echo "lz4 -d -q -c $2" ;;
    zstd) echo "zstd -d -q -c $2" ;;
    brotli) echo "brotli -d -c $2" ;;
    lzma) echo "xz --format=lzma -d -q -c $2" ;;
  esac
}
extension() {
  case $1 in none) echo "" ;; lz4) echo ".lz4" ;; zstd) echo ".zst" ;; brotli) echo ".br" ;; lzma) echo ".lzma" ;; esac
}

# --- directories -------------------------------------------------------------------------------

mkdir -p "$WORK_DIR"
WORK_DIR=$(realpath "$WORK_DIR")
chmod 755 "$WORK_DIR"
MARKDOWN=${MARKDOWN:-$WORK_DIR/results.md}

dataset_mb() { # name: MiB the data set will take
  case $1 in pgbench) echo $((SCALE * 32 + 64)) ;; mixed) echo "$MIXED_MB" ;; esac
}
# Scratch holds the data sets being measured, the compressed outputs (at most ~1x the input for
# incompressible data, times three sides) and the decompressed copies: about 5x the data.
need_mb=64
for d in $DATASETS; do need_mb=$((need_mb + 5 * $(dataset_mb "$d"))); done
shm_free_mb=$(df -Pm /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }' || true)
if [[ -n $shm_free_mb ]] && ((shm_free_mb > need_mb)); then
  SCRATCH=/dev/shm/walnut-bench.$$
else
  SCRATCH=$WORK_DIR/scratch.$$
  log "/dev/shm has under $need_mb MiB free; measuring in $SCRATCH (disk speed will show)"
fi
mkdir -p "$SCRATCH"

PG_DIR=""
PG_RUNNING=0
cleanup() {
  if ((PG_RUNNING)); then run_as_bench_user "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
  [[ -n $PG_DIR ]] && rm -rf "$PG_DIR"
  if ((KEEP_SCRATCH)); then log "scratch kept in $SCRATCH"; else rm -rf "$SCRATCH"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- data set (a): a tar of a pgbench data directory --------------------------------------------

run_as_bench_user() {
  if ((EUID == 0)); then runuser -u "$BENCH_USER" -- "$@"; else "$@"; fi
}

prepare_pgbench() { # sets DATA_PATH to the tar
  local tar=$WORK_DIR/pgbench-s$SCALE.tar
  if [[ -s $tar ]]; then
    log "data set pgbench: reusing $tar"
    DATA_PATH=$tar
    return
  fi
  [[ -x $PG_BIN/initdb && -x $PG_BIN/pgbench ]] ||
    die "PostgreSQL binaries not found in $PG_BIN; install postgresql-15 or set PG_BIN"
  if ((EUID == 0)) && ! id -u "$BENCH_USER" >/dev/null 2>&1; then
    log "creating unprivileged user $BENCH_USER to run PostgreSQL"
    useradd --system --no-create-home --shell /usr/sbin/nologin "$BENCH_USER"
  fi
  PG_DIR=$WORK_DIR/pgbench-s$SCALE.tmp
  rm -rf "$PG_DIR"
  mkdir -p "$PG_DIR"
  ((EUID == 0)) && chown "$BENCH_USER" "$PG_DIR"
  run_as_bench_user test -w "$PG_DIR" ||
    die "$PG_DIR is not writable by $BENCH_USER; choose a --work-dir all users can traverse"
  log "data set pgbench: initdb + pgbench -i -s $SCALE in $PG_DIR"
  run_as_bench_user "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C \
    --no-sync >"$PG_DIR/initdb.log" 2>&1 || die "initdb failed; see $PG_DIR/initdb.log"
  # Unix socket in PG_DIR only: no TCP port to collide with other servers.
  PG_RUNNING=1
  run_as_bench_user "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-c listen_addresses='' -k $PG_DIR -p 5432 -c fsync=off" start >/dev/null ||
    die "the PostgreSQL server did not start; see $PG_DIR/server.log"
  run_as_bench_user "$PG_BIN/pgbench" -i -q -s "$SCALE" -h "$PG_DIR" -p 5432 -U postgres postgres \
    >"$PG_DIR/pgbench.log" 2>&1 || die "pgbench -i failed; see $PG_DIR/pgbench.log"
  run_as_bench_user "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null ||
    die "the PostgreSQL server did not stop; see $PG_DIR/server.log"
  PG_RUNNING=0
  tar -cf "$tar.tmp" -C "$PG_DIR" data
  mv "$tar.tmp" "$tar"
  rm -rf "$PG_DIR"
  PG_DIR=""
  DATA_PATH=$tar
}

# --- data set (b): data that compresses 2-4x ----------------------------------------------------
# Each MiB holds 896 KiB of table rows (ids, timestamps, enum values, names, amounts and a random
# 12-hex-digit token: what heap pages of real tables carry; about 3x with zstd alone) and 128 KiB of
# pseudo-random bytes (already-compressed TOAST values, encrypted or hashed columns). Deterministic:
# awk's rand() with a fixed seed and AES-CTR of zeros under a fixed key.

prepare_mixed() { # sets DATA_PATH
  local out=$WORK_DIR/mixed-${MIXED_MB}M.bin
  if [[ -s $out ]]; then
    log "data set mixed: reusing $out"
    DATA_PATH=$out
    return
  fi
  log "data set mixed: generating $MIXED_MB MiB"
  local text=$WORK_DIR/mixed.text.tmp random=$WORK_DIR/mixed.random.tmp
  local text_block=$((896 * 1024)) random_block=$((128 * 1024))
  awk -v seed=20240229 -v total=$((MIXED_MB * text_block)) '
    BEGIN {
      srand(seed)
      n_st = split("active pending shipped returned cancelled on_hold", st, " ")
      n_nm = split("alice bob carol dave erin frank grace heidi ivan judy mallory niaj olivia " \
                   "peggy rupert sybil trent victor walter", nm, " ")
      n_dom = split("example.com mail.net corp.org shop.io db.test", dom, " ")
      hex = "0123456789abcdef"
      t = 1700000000
      for (i = 1; bytes < total; i++) {
        t += int(rand() * 30)
        tok = ""
        for (k = 0; k < 12; k++) tok = tok substr(hex, int(rand() * 16) + 1, 1)
        line = sprintf("%d\t%s\t%d\t%s.%s%d@%s\t%.2f\t%s\tnote: %s ordered item %d\n", i,
                       st[int(rand() * n_st) + 1], t, nm[int(rand() * n_nm) + 1],
                       nm[int(rand() * n_nm) + 1], int(rand() * 1000), dom[int(rand() * n_dom) + 1],
                       rand() * 10000, tok, nm[int(rand() * n_nm) + 1], int(rand() * 500))
        printf "%s", line
        bytes += length(line)
      }
    }' >"$text"
  head -c $((MIXED_MB * random_block)) /dev/zero |
    openssl enc -aes-128-ctr -nosalt -K 00112233445566778899aabbccddeeff \
      -iv 0102030405060708090a0b0c0d0e0f10 >"$random"
  local i
  {
    exec 3<"$text" 4<"$random"
    for ((i = 0; i < MIXED_MB; i++)); do
      head -c "$text_block" <&3
      head -c "$random_block" <&4
    done
    exec 3<&- 4<&-
  } >"$out.tmp"
  rm -f "$text" "$random"
  [[ $(stat -c %s "$out.tmp") -eq $((MIXED_MB * 1048576)) ]] || die "generating $out failed"
  mv "$out.tmp" "$out"
  DATA_PATH=$out
}

# --- measurement -------------------------------------------------------------------------------

RESULTS=$SCRATCH/results.tsv # dataset method direction side run wall_s cpu_s rss_kb in_bytes out_bytes
: >"$RESULTS"

# measure OUT CMD...: runs CMD with stdout to OUT; sets WALL and CPU (seconds) and RSS (KiB).
measure() {
  local out=$1 timing
  shift
  local TIMEFORMAT='%3R %3U %3S'
  if ! { time /usr/bin/time -f %M -o "$SCRATCH/rss" "$@" >"$out" 2>"$SCRATCH/stderr"; } 2>"$SCRATCH/timing"; then
    die "'$*' failed: $(tail -n 5 "$SCRATCH/stderr" "$SCRATCH/rss" 2>/dev/null)"
  fi
  read -r WALL user sys <"$SCRATCH/timing"
  CPU=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", u + s }')
  RSS=$(tail -n 1 "$SCRATCH/rss")
}

record() { # dataset method direction side run in_bytes out_bytes
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$WALL" "$CPU" "$RSS" "$6" "$7" >>"$RESULTS"
}

walnut_env() { # method encrypt(0|1)
  export WALG_FILE_PREFIX=$SCRATCH/store WALG_COMPRESSION_METHOD=$1
  export WALG_CONFIG_PATH=$SCRATCH/walg.json
  if (($2)); then
    export WALG_LIBSODIUM_KEY=$SODIUM_KEY WALG_LIBSODIUM_KEY_TRANSFORM=hex
  else
    unset WALG_LIBSODIUM_KEY WALG_LIBSODIUM_KEY_TRANSFORM
  fi
}
walnut_env_clear() {
  unset WALG_FILE_PREFIX WALG_COMPRESSION_METHOD WALG_CONFIG_PATH WALG_LIBSODIUM_KEY WALG_LIBSODIUM_KEY_TRANSFORM
}

bench_method() { # dataset input method
  local dataset=$1 input=$2 method=$3 ext in_bytes run size
  ext=$(extension "$method")
  in_bytes=$(stat -c %s "$input")
  local store=$SCRATCH/store plain enc
  plain=$store/plain$ext
  enc=$store/enc$ext
  local -a tool_c tool_d
  read -ra tool_c <<<"$(tool_compress "$method" "$input")"
  read -ra tool_d <<<"$(tool_decompress "$method" "$SCRATCH/tool.out")"
  log "$dataset / $method: $((in_bytes / 1048576)) MiB x $RUNS runs (tool: ${tool_c[*]:0:${#tool_c[@]}-1})"
  for ((run = 1; run <= RUNS; run++)); do
    # Compression: tool, walnut, walnut + encryption.
    rm -f "$SCRATCH/tool.out" "$plain" "$enc"
    measure "$SCRATCH/tool.out" "${tool_c[@]}"
    record "$dataset" "$method" compress tool "$run" "$in_bytes" "$(stat -c %s "$SCRATCH/tool.out")"
    walnut_env "$method" 0
    measure /dev/null "$WALNUT" st put "$input" plain
    walnut_env_clear
    record "$dataset" "$method" compress walnut "$run" "$in_bytes" "$(stat -c %s "$plain")"
    walnut_env "$method" 1
    measure /dev/null "$WALNUT" st put "$input" enc
    walnut_env_clear
    record "$dataset" "$method" compress walnut+enc "$run" "$in_bytes" "$(stat -c %s "$enc")"

    # Decompression of what each side wrote.
    rm -f "$SCRATCH/tool.dec" "$SCRATCH/walnut.dec" "$SCRATCH/walnut-enc.dec"
    measure "$SCRATCH/tool.dec" "${tool_d[@]}"
    record "$dataset" "$method" decompress tool "$run" "$in_bytes" "$in_bytes"
    walnut_env "$method" 0
    measure /dev/null "$WALNUT" st get "plain$ext" "$SCRATCH/walnut.dec"
    walnut_env_clear
    record "$dataset" "$method" decompress walnut "$run" "$in_bytes" "$in_bytes"
    walnut_env "$method" 1
    measure /dev/null "$WALNUT" st get "enc$ext" "$SCRATCH/walnut-enc.dec"
    walnut_env_clear
    record "$dataset" "$method" decompress walnut+enc "$run" "$in_bytes" "$in_bytes"

    if ((run == 1)); then
      for size in tool walnut walnut-enc; do
        cmp -s "$input" "$SCRATCH/$size.dec" || die "$dataset/$method: $size's round trip differs from the input"
      done
      if [[ $method != none ]] && cmp -s "$plain" "$enc"; then
        die "$dataset/$method: the encrypted object equals the plain one; encryption is not on"
      fi
    fi
  done
  rm -f "$SCRATCH/tool.out" "$SCRATCH"/*.dec "$plain" "$enc"
}

# --- run ---------------------------------------------------------------------------------------

echo '{}' >"$SCRATCH/walg.json"
mkdir -p "$SCRATCH/store"
START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
START_TIME=$(date +%s)

declare -A INPUT
for d in $DATASETS; do
  case $d in
    pgbench) prepare_pgbench ;;
    mixed) prepare_mixed ;;
  esac
  src=$DATA_PATH
  cp "$src" "$SCRATCH/$d.data"
  INPUT[$d]=$SCRATCH/$d.data
  if [[ $LZMA_MB != 0 && " $METHODS " == *" lzma "* ]]; then
    head -c $((LZMA_MB * 1048576)) "$src" >"$SCRATCH/$d.lzma-slice"
  fi
done

for d in $DATASETS; do
  zstd_size=$(zstd -"$ZSTD_LEVEL" -T1 -q -c "${INPUT[$d]}" | wc -c)
  log "data set $d: $(stat -c %s "${INPUT[$d]}") bytes, zstd -$ZSTD_LEVEL ratio $(awk -v a="$(stat -c %s "${INPUT[$d]}")" -v b="$zstd_size" 'BEGIN { printf "%.2f", a / b }')"
  for m in $METHODS; do
    input=${INPUT[$d]}
    [[ $m == lzma && $LZMA_MB != 0 ]] && input=$SCRATCH/$d.lzma-slice
    bench_method "$d" "$input" "$m"
  done
done

END_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$(($(date +%s) - START_TIME))

# --- report ------------------------------------------------------------------------------------

CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
HEADER="$("$WALNUT" --version 2>/dev/null | head -n1 | cut -f1-2 | tr "\t" " " || true); $(lz4 --version 2>&1 | sed -n 's/.* v\([0-9.]*\),.*/lz4 \1/p'), \
$(zstd --version | sed -n 's/.* v\([0-9.]*\),.*/zstd \1/p'), $(brotli --version), $(xz --version | head -n1)
machine: $(nproc) CPUs, ${CPU_MODEL:-unknown CPU}; load average $START_LOAD at start, $END_LOAD at end; ${ELAPSED}s
levels (read from src/pipeline/compress): lz4 -1 = LZ4F level 0; zstd -$ZSTD_LEVEL; brotli -q $BROTLI_QUALITY -w 22; xz --format=lzma -$LZMA_PRESET
MB = 10^6 bytes of uncompressed data per second (both directions); median of $RUNS runs; CPU = user+sys
scratch: $SCRATCH ($(df -P "$SCRATCH" | awk 'NR == 2 { print $1 }'))"

# Medians per (dataset, method, direction, side), then one line per (dataset, method, direction).
SUMMARY=$(awk -F'\t' '
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  {
    k = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4
    wall[k] = wall[k] " " $6; cpu[k] = cpu[k] " " $7; rss[k] = rss[k] " " $8
    in_b[k] = $9; out_b[k] = $10
    g = $1 SUBSEP $2 SUBSEP $3
    if (!(g in seen)) { seen[g] = 1; order[++n] = g }
  }
  END {
    for (i = 1; i <= n; i++) {
      split(order[i], p, SUBSEP)
      line = p[1] "\t" p[2] "\t" p[3] "\t" in_b[order[i] SUBSEP "tool"]
      for (s = 1; s <= 3; s++) {
        side = s == 1 ? "tool" : s == 2 ? "walnut" : "walnut+enc"
        k = order[i] SUBSEP side
        line = line "\t" median(wall[k]) "\t" median(cpu[k]) "\t" median(rss[k]) "\t" out_b[k]
      }
      print line
    }
  }' "$RESULTS")

# Fields of SUMMARY: dataset method dir in_bytes, then wall cpu rss out for tool, walnut, walnut+enc.
render() { # text|markdown
  awk -F'\t' -v style="$1" '
    function mbs(bytes, secs) { return secs > 0 ? sprintf("%.0f", bytes / secs / 1e6) : "inf" }
    function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
    function pct(enc, plain) { return plain > 0 ? sprintf("%+.1f%%", (enc / plain - 1) * 100) : "-" }
    function mib(kb) { return sprintf("%.0f", kb / 1024) }
    function row(cells, n,   i, s) {
      if (style == "markdown") { s = "|"; for (i = 1; i <= n; i++) s = s " " cells[i] " |"; print s; return }
      s = cells[1]; for (i = 2; i <= n; i++) s = s "\t" cells[i]; print s
    }
    function header(text, n,   i, s) {
      split(text, h, "|"); row(h, n)
      if (style == "markdown") { s = "|"; for (i = 1; i <= n; i++) s = s (i <= 3 ? " --- |" : " ---: |"); print s }
    }
    { d[NR] = $0 }
    END {
      print style == "markdown" ? "**Walnut vs the command-line tool** (speed = walnut MB/s / tool MB/s; >= 0.95 is the goal for lz4 and zstd)\n" : "Walnut vs the command-line tool"
      header("data set|method|direction|input MB|tool MB/s|walnut MB/s|speed wall|speed CPU|tool ratio|walnut ratio|tool RSS MiB|walnut RSS MiB", 12)
      for (i = 1; i <= NR; i++) {
        split(d[i], f, "\t")
        c[1] = f[1]; c[2] = f[2]; c[3] = f[3]; c[4] = sprintf("%.0f", f[4] / 1e6)
        c[5] = mbs(f[4], f[5]); c[6] = mbs(f[4], f[9])
        c[7] = ratio(f[5], f[9]); c[8] = ratio(f[6], f[10])
        c[9] = f[3] == "compress" ? ratio(f[4], f[8]) : "-"
        c[10] = f[3] == "compress" ? ratio(f[4], f[12]) : "-"
        c[11] = mib(f[7]); c[12] = mib(f[11])
        row(c, 12)
      }
      print ""
      print style == "markdown" ? "**Encryption overhead** (walnut with libsodium vs walnut without; <= 10% is the goal)\n" : "Encryption overhead (walnut + libsodium vs walnut)"
      header("data set|method|direction|walnut MB/s|walnut+enc MB/s|overhead wall|overhead CPU|walnut+enc RSS MiB", 8)
      for (i = 1; i <= NR; i++) {
        split(d[i], f, "\t")
        c[1] = f[1]; c[2] = f[2]; c[3] = f[3]
        c[4] = mbs(f[4], f[9]); c[5] = mbs(f[4], f[13])
        c[6] = pct(f[13], f[9]); c[7] = pct(f[14], f[10]); c[8] = mib(f[15])
        row(c, 8)
      }
    }' <<<"$SUMMARY"
}


# Goals: lz4 and zstd at >= 95% of the tools; encryption costs <= 10%.
GOALS=$(awk -F'\t' '
  $2 == "lz4" || $2 == "zstd" {
    wall = $9 > 0 ? $5 / $9 * 100 : 0
    cpu = $10 > 0 ? $6 / $10 * 100 : 0
    verdict = wall >= 95 ? "met" : "NOT met"
    printf "%-8s %-6s %-10s walnut at %3.0f%% of the tool (wall), %3.0f%% (CPU): %s\n", $1, $2, $3, wall, cpu, verdict
  }
  $2 != "none" {
    wall = $9 > 0 ? ($13 / $9 - 1) * 100 : 0
    cpu = $10 > 0 ? ($14 / $10 - 1) * 100 : 0
    verdict = wall <= 10 ? "met" : "NOT met"
    printf "%-8s %-6s %-10s encryption overhead %+5.1f%% (wall), %+5.1f%% (CPU): %s\n", $1, $2, $3, wall, cpu, verdict
  }' <<<"$SUMMARY")

publish_results "$HEADER" "$GOALS" "$MARKDOWN" "$RESULTS" render 3
