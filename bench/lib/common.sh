# shellcheck shell=bash disable=SC2034  # (sets WALL, CPU, RSS, ... for the caller)
# Shell functions shared by the bench/*.sh scripts and tools/drill.sh. Source it; it
# defines functions and a few variables only (nothing runs on load).
#
# Callers set BENCH_NAME (for messages) before sourcing, and SCRATCH before calling measure.

BENCH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_SOURCE_DIR=$(cd "$BENCH_LIB_DIR/../.." && pwd)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_USER=${PG_USER:-postgres}

die() {
  echo "${BENCH_NAME:-bench}: $*" >&2
  exit 1
}
log() { echo "== $*" >&2; }

# --- tools -------------------------------------------------------------------------------------

# find_walnut [PATH]: prints the walnut binary (PATH, WALNUT_BIN, then the usual build dirs).
find_walnut() {
  local candidate
  for candidate in "${1:-}" "${WALNUT_BIN:-}" "$BENCH_SOURCE_DIR/build-bench/src/walnut" \
    "$BENCH_SOURCE_DIR/build-benchrel/src/walnut" "$BENCH_SOURCE_DIR/build-release/src/walnut" \
    "$BENCH_SOURCE_DIR/build/src/walnut" "$(command -v walnut || true)"; do
    if [[ -n $candidate && -x $candidate ]]; then
      realpath "$candidate"
      return
    fi
  done
  die "walnut binary not found; build it (cmake --build build) or pass --walnut PATH"
}

# walnut_has WALNUT COMMAND: true when COMMAND exists and is implemented (stubs answer "not
# implemented").
walnut_has() {
  local out
  "$1" --help 2>&1 | grep -qE "^ +$2( |\$)" || return 1
  local config
  config=$(mktemp)
  echo '{}' >"$config"
  out=$(WALG_FILE_PREFIX=/nonexistent-walnut-probe WALG_CONFIG_PATH=$config "$1" "$2" \
    /nonexistent-walnut-probe/000000010000000000000001 /nonexistent-walnut-probe/x 2>&1 </dev/null) || true
  rm -f "$config"
  [[ $out != *"not implemented"* ]]
}

need_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "'$tool' is missing; tools/install-deps.sh installs it"
  done
  [[ -x /usr/bin/time ]] || die "/usr/bin/time is missing; install GNU time (apt-get install time)"
}

# --- PostgreSQL as the unprivileged user --------------------------------------------------------

as_pg() {
  if ((EUID == 0)); then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

# pg_start DATA SOCKET_DIR LOG [extra -c settings...]: starts a server that listens on a Unix
# socket in SOCKET_DIR only (no TCP port to collide with other servers), port 5432.
pg_start() {
  local data=$1 logfile=$3 opts="-c listen_addresses='' -k $2 -p 5432"
  shift 3
  local s
  for s in "$@"; do opts+=" -c $s"; done
  as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$logfile" -w -t 120 -o "$opts" start >/dev/null ||
    die "the PostgreSQL server in $data did not start; see $logfile"
}
pg_stop() { # DATA [mode]
  as_pg "$PG_BIN/pg_ctl" -D "$1" -m "${2:-fast}" -w -t 120 stop >/dev/null 2>&1
}
# psql_at SOCKET_DIR SQL: one query, unaligned tuples only.
psql_at() {
  as_pg "$PG_BIN/psql" -h "$1" -p 5432 -U postgres -d postgres -X -qAt -v ON_ERROR_STOP=1 -c "$2"
}

# --- pgBackRest --------------------------------------------------------------------------------

# pgbackrest_conf FILE DIR STANZA PGDATA [GLOBAL_LINE...]: writes the benchmarks' pgbackrest.conf,
# world-readable: lock, log and spool under DIR, lz4, 2 processes, start-fast, no expiry, and the
# stanza of the server of PGDATA on DIR's socket, port 5432 (as pg_start starts it). Each
# GLOBAL_LINE (the repository's lines, archive-check=n, ...) goes into [global]; one may hold
# several lines.
pgbackrest_conf() {
  local file=$1 dir=$2 stanza=$3 data=$4
  shift 4
  {
    echo '[global]'
    if (($#)); then printf '%s\n' "$@"; fi
    cat <<EOF
lock-path=$dir/pgbr-lock
log-path=$dir
spool-path=$dir/pgbr-spool
log-level-console=warn
log-level-file=off
compress-type=lz4
process-max=2
start-fast=y
repo1-retention-full=9999999

[$stanza]
pg1-path=$data
pg1-socket-path=$dir
pg1-port=5432
pg1-user=postgres
EOF
  } >"$file"
  chmod 644 "$file"
}

# --- measurement -------------------------------------------------------------------------------

# measure OUT CMD...: runs CMD (stdout to OUT, stderr to $SCRATCH/stderr); sets WALL, CPU
# (seconds, ms resolution) and RSS (KiB, peak of the process and the children it waited for).
measure() {
  local out=$1 user sys
  shift
  local TIMEFORMAT='%3R %3U %3S'
  if ! { time /usr/bin/time -f %M -o "$SCRATCH/rss" "$@" >"$out" 2>"$SCRATCH/stderr"; } 2>"$SCRATCH/timing"; then
    echo "${BENCH_NAME:-bench}: '$*' failed: $(tail -n 5 "$SCRATCH/stderr" 2>/dev/null)" >&2
    return 1
  fi
  read -r WALL user sys <"$SCRATCH/timing"
  CPU=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", u + s }')
  RSS=$(tail -n 1 "$SCRATCH/rss")
}

# median VALUES...: prints the median (mean of the middle two for an even count).
median() {
  printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

now_ns() { date +%s%N; }
# seconds_since START_NS: elapsed seconds with ms resolution.
seconds_since() { awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

# rss_sampler_start TAG OUTFILE COMMAND_NAME...: samples every 50 ms the summed RSS (KiB) of the
# processes named COMMAND_NAME whose environment holds BENCH_RSS_TAG=TAG (the tool and whatever it
# forks: pgBackRest's async and local processes, Walnut's prefetcher; not other users' processes of
# the same name) and writes the peak to OUTFILE when stopped. Sets SAMPLER_PID.
rss_sampler_start() {
  local tag=$1 out=$2 names
  shift 2
  names=$(IFS=,; echo "$*")
  (
    peak=0
    trap 'echo "$peak" >"$out"; exit 0' TERM
    while :; do
      total=0
      while read -r pid kb; do
        grep -qsz "^BENCH_RSS_TAG=$tag\$" "/proc/$pid/environ" && total=$((total + kb))
      done < <(ps -C "$names" -o pid=,rss= 2>/dev/null)
      ((total > peak)) && peak=$total
      sleep 0.05
    done
  ) &
  SAMPLER_PID=$!
}
rss_sampler_stop() { # prints nothing; the peak is in the OUTFILE given to start
  kill -TERM "$SAMPLER_PID" 2>/dev/null || true
  wait "$SAMPLER_PID" 2>/dev/null || true
}

# scratch_dir NEED_MB NAME: prints /dev/shm/NAME.$$ when /dev/shm has NEED_MB free, else
# WORK_DIR/NAME.$$ (and says that disk speed will show).
scratch_dir() {
  local free
  free=$(df -Pm /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }' || true)
  if [[ -n $free ]] && ((free > $1)); then
    echo "/dev/shm/$2.$$"
  else
    log "/dev/shm has under $1 MiB free; measuring in $WORK_DIR (disk speed will show)"
    echo "$WORK_DIR/$2.$$"
  fi
}

machine_line() {
  local cpu
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
  echo "machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $(free -g | awk '/^Mem:/ { print $2 }') GB RAM; load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

# Aligns each block of tab-separated lines read from stdin (a line without a tab ends a block):
# the first $1 columns left-aligned (text), the others right-aligned (numbers).
align_columns() {
  awk -F'\t' -v left="${1:-1}" '
    function flush(   r, i, n, c, s) {
      for (r = 1; r <= nl; r++) {
        n = split(line[r], c, "\t"); s = ""
        for (i = 1; i <= n; i++) s = s sprintf(i <= left ? "%-" w[i] "s  " : "%" w[i] "s  ", c[i])
        sub(/ +$/, "", s); print s
      }
      nl = 0; split("", w)
    }
    NF < 2 { flush(); print; next }
    { line[++nl] = $0; for (i = 1; i <= NF; i++) if (length($i) > w[i]) w[i] = length($i) }
    END { flush() }'
}

# publish_results HEADER GOALS MARKDOWN RESULTS RENDER: prints HEADER, the table (`RENDER text`,
# aligned by RENDER) and GOALS, writes the same with `RENDER markdown` to MARKDOWN, and copies
# RESULTS (every measurement) next to it as .tsv.
publish_results() { # HEADER GOALS MARKDOWN RESULTS RENDER [LEFT]: LEFT aligns RENDER's text output
  local header=$1 goals=$2 markdown=$3 results=$4 render=$5 left=${6:-}
  printf '\n%s\n\n' "$header"
  if [[ -n $left ]]; then "$render" text | align_columns "$left"; else "$render" text; fi
  printf '\nGoals\n%s\n' "$goals"
  {
    printf '```\n%s\n```\n\n' "$header"
    "$render" markdown
    printf '\n```\n%s\n```\n' "$goals"
  } >"$markdown"
  cp "$results" "${markdown%.md}.tsv"
  printf '\nMarkdown: %s; every measurement: %s\n' "$markdown" "${markdown%.md}.tsv"
}
