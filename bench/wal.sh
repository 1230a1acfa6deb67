#!/usr/bin/env bash
# WAL benchmark: Walnut's wal-push / wal-fetch against pgBackRest's archive-push / archive-get on
# the same real 16 MiB WAL segments, in one run, to a local-directory repository each.
# See bench/README.md.
#
# 1. latency of one segment: push, fetch, and a fetch served from Walnut's prefetch (pgBackRest's
#    async archive-get queue as the peer's counterpart), each tool a whole process as PostgreSQL
#    runs it; median of --runs, the sides interleaved and their order alternated;
# 2. a burst of --burst `.ready` segments archived by sequential calls, one per segment as
#    PostgreSQL's archiver makes them: Walnut's upload-ahead against pgBackRest archive-async=y with
#    process-max=2;
# 3. peak RSS: of each process (/usr/bin/time -f %M) and, for the burst, of all the tool's processes
#    together (sampled; pgBackRest's async archiver is a detached process).
# With a local directory, single-segment push and fetch are also measured through `walnut daemon`
# (a daemon per method, started before and kept warm, into a repository of its own) and
# walnut-daemon-client, one client process per segment as PostgreSQL's archive_command runs it.
# With --storage s3 both tools push to and fetch from the same S3 server over HTTPS (a throwaway
# Ceph RGW with a self-signed certificate), at each round-trip time of --rtt (bench/delay_proxy).
set -euo pipefail
export LC_ALL=C

BENCH_NAME=wal.sh
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"
# shellcheck source=bench/lib/s3.sh
source "$SCRIPT_DIR/lib/s3.sh"

RUNS=${WALNUT_BENCH_RUNS:-7}
BURST=${WALNUT_BENCH_BURST:-200}
METHODS=${WALNUT_BENCH_METHODS:-"lz4 zstd"}
WORK_DIR=${WALNUT_BENCH_DIR:-/tmp/walnut-bench}
PGBENCH_SCALE=${WALNUT_BENCH_WAL_SCALE:-60}
WALNUT=""
MARKDOWN=""
KEEP_SCRATCH=0
STANZA=bench
STORAGE=${WALNUT_BENCH_STORAGE:-dir}
RTTS=${WALNUT_BENCH_RTT:-0}
S3_BENCH_PORT=${WALNUT_BENCH_S3_PORT:-14780}

usage() {
  cat <<EOF
Usage: $0 [options]

Compares Walnut's wal-push/wal-fetch with pgBackRest's archive-push/archive-get.

Options (environment variable in brackets):
  -r, --runs N         repetitions of each single-segment measurement [WALNUT_BENCH_RUNS, $RUNS]
  -b, --burst N        segments in the .ready burst (0 skips it) [WALNUT_BENCH_BURST, $BURST]
  -m, --methods LIST   compression, subset of "lz4 zstd" [WALNUT_BENCH_METHODS, $METHODS]
  -w, --work-dir DIR   where the WAL segments are generated and kept [WALNUT_BENCH_DIR, $WORK_DIR]
      --wal-scale N    pgbench scale of the load that writes the first segments
                       [WALNUT_BENCH_WAL_SCALE, $PGBENCH_SCALE]
      --walnut PATH    the walnut binary [WALNUT_BIN; default: build-bench, build-benchrel, build]
      --markdown FILE  also write the tables as Markdown (default: WORK_DIR/wal-results.md)
      --storage KIND   dir: a local directory per tool; s3: a bucket per tool on one Ceph RGW
                       over HTTPS [WALNUT_BENCH_STORAGE, $STORAGE]
      --rtt LIST       with s3: the round-trip times in ms to measure at, each through
                       bench/delay_proxy (0: directly), e.g. "0 10" [WALNUT_BENCH_RTT, $RTTS]
      --s3-port N      with s3: RGW's HTTPS port; it uses N..N+9, the proxy N+10
                       [WALNUT_BENCH_S3_PORT, $S3_BENCH_PORT]
      --keep-scratch   keep the repositories after the run
  -h, --help           this text

Environment: PG_BIN (PostgreSQL 15 binaries, $PG_BIN), PG_USER ($PG_USER).
EOF
}

while (($#)); do
  case $1 in
    -r | --runs) RUNS=$2; shift 2 ;;
    -b | --burst) BURST=$2; shift 2 ;;
    -m | --methods) METHODS=$2; shift 2 ;;
    -w | --work-dir) WORK_DIR=$2; shift 2 ;;
    --wal-scale) PGBENCH_SCALE=$2; shift 2 ;;
    --walnut) WALNUT=$2; shift 2 ;;
    --markdown) MARKDOWN=$2; shift 2 ;;
    --storage) STORAGE=$2; shift 2 ;;
    --rtt) RTTS=$2; shift 2 ;;
    --s3-port) S3_BENCH_PORT=$2; shift 2 ;;
    --keep-scratch) KEEP_SCRATCH=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done
for n in RUNS BURST PGBENCH_SCALE; do
  [[ ${!n} =~ ^[0-9]+$ ]] || die "$n must be a whole number, not '${!n}'"
done
((RUNS > 0 && PGBENCH_SCALE > 0)) || die "--runs and --wal-scale must be positive"
for m in $METHODS; do
  [[ $m =~ ^(lz4|zstd)$ ]] || die "unknown method '$m' (lz4 zstd)"
done
check_storage_options

WALNUT=$(find_walnut "$WALNUT")
need_tools pgbackrest lz4 awk cmp ps
[[ $STORAGE == dir ]] || need_tools curl openssl jq
[[ -x $PG_BIN/initdb && -x $PG_BIN/pgbench ]] ||
  die "PostgreSQL binaries not found in $PG_BIN; install postgresql-15 or set PG_BIN"
id -u "$PG_USER" >/dev/null 2>&1 || die "user '$PG_USER' is missing (postgresql-15 creates it)"
HAVE_PUSH=0 HAVE_FETCH=0 HAVE_DAEMON=0
walnut_has "$WALNUT" wal-push && HAVE_PUSH=1
walnut_has "$WALNUT" wal-fetch && HAVE_FETCH=1
((HAVE_PUSH)) || log "walnut wal-push is not implemented in $WALNUT: its rows will read 'not available'"
((HAVE_FETCH)) || log "walnut wal-fetch is not implemented in $WALNUT: its rows will read 'not available'"
DAEMON_CLIENT=$(dirname "$WALNUT")/walnut-daemon-client
if [[ $STORAGE == dir ]] && walnut_has "$WALNUT" daemon && [[ -x $DAEMON_CLIENT ]]; then
  HAVE_DAEMON=1
else
  log "no walnut daemon and walnut-daemon-client next to $WALNUT (or not a directory storage): no daemon column"
fi
[[ $STORAGE == dir ]] || ((HAVE_PUSH)) || die "--storage s3 needs a walnut with wal-push"

mkdir -p "$WORK_DIR"
WORK_DIR=$(realpath "$WORK_DIR")
chmod 755 "$WORK_DIR"
MARKDOWN=${MARKDOWN:-$WORK_DIR/wal-results.md}

# --- the segments: real WAL from a throwaway PostgreSQL 15, generated once ----------------------
# Load: pgbench -i (bulk COPY, compresses ~10x), 20 s of pgbench's TPC-B transactions (full-page
# images, ~4x), then rows of random md5 text (~2x) until there are enough segments. The server
# archives them with cp; they are kept in WORK_DIR/wal-data with the cluster's pg_control and a
# pgBackRest stanza created for it (archive.info holds its system identifier).

NEED_SEGMENTS=$((BURST > 2 * RUNS + 2 ? BURST : 2 * RUNS + 2))
NEED_SEGMENTS=$((NEED_SEGMENTS + 4))
DATA_DIR=$WORK_DIR/wal-data

PG_TMP=""
SCRATCH=""
FINISHED=0
SAMPLER_PID=""
DAEMON_PID=""
cleanup() {
  [[ -n $SAMPLER_PID ]] && rss_sampler_stop
  daemon_stop
  s3_bench_stop
  if [[ -n $PG_TMP ]]; then
    pg_stop "$PG_TMP/data" immediate || true
    rm -rf "$PG_TMP"
  fi
  if [[ -n $SCRATCH ]]; then
    # Keep what was measured when the run stops early.
    if ((!FINISHED)) && [[ -s $SCRATCH/results.tsv ]]; then cp "$SCRATCH/results.tsv" "${MARKDOWN%.md}.partial.tsv"; fi
    if ((KEEP_SCRATCH)); then log "scratch kept in $SCRATCH"; else rm -rf "$SCRATCH"; fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

segment_count() { find "$DATA_DIR/segments" -maxdepth 1 -name '[0-9A-F]*' -size 16M 2>/dev/null | wc -l; }

generate_segments() {
  PG_TMP=$WORK_DIR/wal-data.tmp
  rm -rf "$PG_TMP" "$DATA_DIR"
  mkdir -p "$PG_TMP/archive"
  chown -R "$PG_USER" "$PG_TMP"
  log "WAL segments: initdb, pgbench -i -s $PGBENCH_SCALE, TPC-B, random rows until $NEED_SEGMENTS segments"
  as_pg "$PG_BIN/initdb" -D "$PG_TMP/data" -U postgres -A trust -E UTF8 --locale=C -k --no-sync \
    >"$PG_TMP/initdb.log" 2>&1 || die "initdb failed; see $PG_TMP/initdb.log"
  pg_start "$PG_TMP/data" "$PG_TMP" "$PG_TMP/server.log" archive_mode=on wal_level=replica \
    "archive_command='test ! -f $PG_TMP/archive/%f && cp %p $PG_TMP/archive/%f'" max_wal_size=4GB
  cat >"$PG_TMP/pgbackrest.conf" <<EOF
[global]
repo1-path=$PG_TMP/repo
lock-path=$PG_TMP/lock
log-path=$PG_TMP
log-level-console=warn
log-level-file=off
[$STANZA]
pg1-path=$PG_TMP/data
pg1-socket-path=$PG_TMP
pg1-port=5432
pg1-user=postgres
EOF
  pgbackrest --config="$PG_TMP/pgbackrest.conf" --stanza=$STANZA stanza-create >"$PG_TMP/stanza.log" 2>&1 ||
    die "pgbackrest stanza-create failed: $(tail -n 3 "$PG_TMP/stanza.log")"
  as_pg "$PG_BIN/pgbench" -i -q -s "$PGBENCH_SCALE" -h "$PG_TMP" -p 5432 -U postgres postgres \
    >"$PG_TMP/pgbench.log" 2>&1 || die "pgbench -i failed; see $PG_TMP/pgbench.log"
  as_pg "$PG_BIN/pgbench" -T 20 -c 2 -j 2 -h "$PG_TMP" -p 5432 -U postgres postgres \
    >>"$PG_TMP/pgbench.log" 2>&1 || die "pgbench failed; see $PG_TMP/pgbench.log"
  psql_at "$PG_TMP" "CREATE TABLE random_rows (id bigint, payload text, at timestamptz)"
  local written
  while :; do
    written=$(psql_at "$PG_TMP" "SELECT floor((pg_current_wal_lsn() - '0/0') / 16777216)::bigint")
    ((written >= NEED_SEGMENTS + 1)) && break
    psql_at "$PG_TMP" "INSERT INTO random_rows SELECT g, md5(random()::text) || md5(random()::text), now()
                       FROM generate_series(1, 300000) g"
  done
  psql_at "$PG_TMP" "SELECT pg_switch_wal()" >/dev/null
  local deadline=$((SECONDS + 300))
  while (($(find "$PG_TMP/archive" -name '[0-9A-F]*' | wc -l) < NEED_SEGMENTS)); do
    ((SECONDS < deadline)) || die "PostgreSQL did not archive $NEED_SEGMENTS segments in 5 minutes"
    sleep 0.5
  done
  pg_stop "$PG_TMP/data"
  mkdir -p "$DATA_DIR.new/segments" "$DATA_DIR.new/pgroot/global" "$DATA_DIR.new/repo-template"
  find "$PG_TMP/archive" -name '[0-9A-F]*' -size 16M -exec mv -t "$DATA_DIR.new/segments" {} +
  cp "$PG_TMP/data/global/pg_control" "$DATA_DIR.new/pgroot/global/"
  cp "$PG_TMP/data/PG_VERSION" "$DATA_DIR.new/pgroot/"
  cp -r "$PG_TMP/repo/." "$DATA_DIR.new/repo-template/"
  echo "pgbench -i -s $PGBENCH_SCALE, 20 s of TPC-B and random md5 rows" >"$DATA_DIR.new/source"
  chown -R root: "$DATA_DIR.new" 2>/dev/null || true
  rm -rf "$PG_TMP"
  PG_TMP=""
  mv "$DATA_DIR.new" "$DATA_DIR"
}

if (($(segment_count) < NEED_SEGMENTS)) || [[ ! -f $DATA_DIR/repo-template/archive/$STANZA/archive.info ]]; then
  generate_segments
else
  log "WAL segments: reusing $DATA_DIR ($(segment_count) segments)"
fi
mapfile -t ALL_SEGMENTS < <(find "$DATA_DIR/segments" -maxdepth 1 -name '[0-9A-F]*' -size 16M -printf '%f\n' | sort)
TOTAL=${#ALL_SEGMENTS[@]}
((TOTAL >= NEED_SEGMENTS)) || die "only $TOTAL segments in $DATA_DIR/segments; delete it to regenerate"

# --- scratch: segments, repositories, pg_wal directories ----------------------------------------

SCRATCH=$(scratch_dir $(((TOTAL * 16) * 3 + 512)) walnut-bench-wal)
mkdir -p "$SCRATCH/segments"
chmod 755 "$SCRATCH"
log "copying $TOTAL segments to $SCRATCH"
cp "$DATA_DIR/segments/"* "$SCRATCH/segments/"
echo '{}' >"$SCRATCH/walg.json"
RESULTS=$SCRATCH/results.tsv # method measurement side run wall cpu rss
: >"$RESULTS"
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$WALL" "$CPU" "$RSS" >>"$RESULTS"; }

# A directory laid out as a data directory as far as both tools look: global/pg_control and
# PG_VERSION (pgBackRest checks the version and system identifier against the stanza), pg_wal with
# the given segments hard-linked, archive_status with a .ready file for each when asked.
make_pgroot() { # dir ready(0|1) segment...
  local dir=$1 ready=$2 s
  shift 2
  rm -rf "$dir"
  mkdir -p "$dir/pg_wal/archive_status"
  cp -r "$DATA_DIR/pgroot/." "$dir/"
  for s in "$@"; do
    ln "$SCRATCH/segments/$s" "$dir/pg_wal/$s"
    ((ready)) && : >"$dir/pg_wal/archive_status/$s.ready"
  done
  return 0
}

# Per method and round-trip time: one pgBackRest repository (from the stanza template) and one
# Walnut repository: local directories, or with S3 a bucket each, reached at RTT ms.
setup_repos() { # method rtt
  local m=$1 pgbr_type=$1
  [[ $m == zstd ]] && pgbr_type=zst
  M_DIR=$SCRATCH/$m-$2
  rm -rf "$M_DIR"
  mkdir -p "$M_DIR"
  if [[ $STORAGE == s3 ]]; then
    s3_use_rtt "$2"
    WALNUT_BUCKET=walnut-$m-$2 PGBR_BUCKET=pgbr-$m-$2
    mapfile -t WALNUT_REPO_ENV < <(s3_walnut_env "$WALNUT_BUCKET" walnut)
    PGBR_REPO_LINES=$(s3_pgbackrest_repo "$PGBR_BUCKET" /pgbr)
  else
    WALNUT_REPO_ENV=("WALG_FILE_PREFIX=$M_DIR/walnut-repo")
    PGBR_REPO_LINES="repo1-path=$M_DIR/pgbr-repo"
  fi
  PGBR_CONF=$M_DIR/pgbackrest.conf
  cat >"$PGBR_CONF" <<EOF
[global]
$PGBR_REPO_LINES
lock-path=$M_DIR/lock
log-path=$M_DIR
spool-path=$M_DIR/spool
log-level-console=warn
log-level-file=off
compress-type=$pgbr_type

[global:archive-push]
process-max=2

[global:archive-get]
process-max=2

[$STANZA]
pg1-path=$SCRATCH/pgroot
EOF
  set_commands "$m"
  clear_repos
  daemon_start
}

# `walnut daemon` for the method's settings, PGDATA the latency runs' pgroot (recreated per run: the
# daemon resolves each request's path anew), its own repository; up once a client's call answers.
daemon_start() {
  ((HAVE_DAEMON)) || return 0
  DAEMON_SOCKET=$M_DIR/daemon.sock
  # A tag of its own: the waits for Walnut's processes to end must not wait for the daemon.
  "${WALNUT_CMD[@]:0:${#WALNUT_CMD[@]}-1}" "BENCH_RSS_TAG=daemon-$$" "WALG_FILE_PREFIX=$M_DIR/daemon-repo" \
    "PGDATA=$SCRATCH/pgroot" \
    "$WALNUT" daemon "$DAEMON_SOCKET" >"$M_DIR/daemon.log" 2>&1 &
  DAEMON_PID=$!
  local deadline=$((SECONDS + 20)) rc
  while :; do
    rc=0
    "$DAEMON_CLIENT" "$DAEMON_SOCKET" wal-fetch 000000FF00000000000000FF probe --timeout 2s 2>/dev/null || rc=$?
    ((rc == 74)) && return 0
    ((SECONDS < deadline)) || die "walnut daemon did not come up: $(tail -n 3 "$M_DIR/daemon.log")"
    sleep 0.1
  done
}
daemon_stop() {
  [[ -n $DAEMON_PID ]] || return 0
  kill -TERM "$DAEMON_PID" 2>/dev/null || true
  wait "$DAEMON_PID" 2>/dev/null || true
  DAEMON_PID=""
}
daemon_object_count() {
  find "$M_DIR/daemon-repo/wal_005" -type f -name '[0-9A-F]*' 2>/dev/null | wc -l
}
# clear_repos: empties both repositories (pgBackRest's keeps its stanza's archive.info).
clear_repos() {
  rm -rf "$M_DIR/walnut-repo" "$M_DIR/spool" "$M_DIR/pgbr-repo" "$M_DIR/daemon-repo"
  if [[ $STORAGE == s3 ]]; then
    drop_repos
    s3_bucket_create "$WALNUT_BUCKET"
    s3_bucket_create "$PGBR_BUCKET"
    local f
    for f in archive.info archive.info.copy; do
      s3_put "$PGBR_BUCKET" "pgbr/archive/$STANZA/$f" "$DATA_DIR/repo-template/archive/$STANZA/$f"
    done
  else
    mkdir -p "$M_DIR/walnut-repo" "$M_DIR/pgbr-repo" "$M_DIR/daemon-repo"
    cp -r "$DATA_DIR/repo-template/." "$M_DIR/pgbr-repo/"
  fi
}
drop_repos() {
  [[ $STORAGE == s3 && -n ${WALNUT_BUCKET:-} ]] || return 0
  s3_bucket_remove "$WALNUT_BUCKET"
  s3_bucket_remove "$PGBR_BUCKET"
}

# The commands as argument arrays (measure runs them through /usr/bin/time, which cannot call
# shell functions); `env` sets the tag that the RSS sampler looks for.
set_commands() { # method
  PGBR=(env "BENCH_RSS_TAG=pgbr-$$" pgbackrest "--config=$PGBR_CONF" "--stanza=$STANZA")
  # Walnut at its defaults otherwise: upload concurrency 16, TOTAL_BG_UPLOADED_LIMIT 32, prefetch 10.
  WALNUT_CMD=(env "BENCH_RSS_TAG=walnut-$$" "WALG_CONFIG_PATH=$SCRATCH/walg.json"
    "${WALNUT_REPO_ENV[@]}" "WALG_COMPRESSION_METHOD=$1" "$WALNUT")
  DAEMON_CLIENT_CMD=(env "BENCH_RSS_TAG=daemon-$$" "$DAEMON_CLIENT")
  # The same without prefetch (WAL-G's wal-fetch with WALG_DOWNLOAD_CONCURRENCY=1).
  WALNUT_NO_PREFETCH=("${WALNUT_CMD[@]:0:${#WALNUT_CMD[@]}-1}" WALG_DOWNLOAD_CONCURRENCY=1 "$WALNUT")
}
walnut_object_count() {
  if [[ $STORAGE == s3 ]]; then s3_count "$WALNUT_BUCKET" walnut/wal_005/; return; fi
  find "$M_DIR/walnut-repo/wal_005" -type f -name '[0-9A-F]*' 2>/dev/null | wc -l
}
pgbr_object_count() {
  if [[ $STORAGE == s3 ]]; then s3_count "$PGBR_BUCKET" "pgbr/archive/$STANZA/15-1/"; return; fi
  find "$M_DIR/pgbr-repo/archive/$STANZA" -type f -name '[0-9A-F]*-*' 2>/dev/null | wc -l
}

# wait_for_file DIR NAME SECONDS: true once a file NAME exists under DIR outside a directory
# named running (where WAL-G's prefetcher keeps segments still downloading).
wait_for_file() {
  local deadline=$((SECONDS + $3))
  while ((SECONDS < deadline)); do
    [[ -n $(find "$1" -name "$2" -type f -not -path '*/running/*' 2>/dev/null | head -n1) ]] && return 0
    sleep 0.01
  done
  return 1
}
# wait_for_tag_exit TAG NAME: waits (up to 60 s) until no process NAME with BENCH_RSS_TAG=TAG runs.
wait_for_tag_exit() {
  local deadline=$((SECONDS + 60)) pid found
  while ((SECONDS < deadline)); do
    found=0
    while read -r pid; do
      grep -qsz "^BENCH_RSS_TAG=$1\$" "/proc/$pid/environ" && found=1
    done < <(ps -C "$2" -o pid= 2>/dev/null)
    ((found)) || return 0
    sleep 0.1
  done
  log "processes of $2 still running 60 s after the burst"
}

# --- 1. one segment: push, fetch, prefetch hit --------------------------------------------------

latency_runs() { # method
  local m=$1 run i seg next src=$SCRATCH/pgroot dest=$SCRATCH/restore side
  for ((run = 1; run <= RUNS; run++)); do
    # Spread the runs over the whole set: bulk-load, TPC-B and random-row segments alike.
    i=$(((run - 1) * (TOTAL - 2) / RUNS))
    seg=${ALL_SEGMENTS[i]}
    next=${ALL_SEGMENTS[i + 1]}
    clear_repos
    make_pgroot "$src" 0 "$seg" "$next"
    local order="pgbr walnut"
    ((run % 2)) || order="walnut pgbr"

    for side in $order; do
      if [[ $side == pgbr ]]; then
        measure /dev/null "${PGBR[@]}" --pg1-path="$src" archive-push "$src/pg_wal/$seg" || die "pgbackrest archive-push $seg failed"
        record "$m" push pgbackrest "$run"
      elif ((HAVE_PUSH)); then
        measure /dev/null "${WALNUT_CMD[@]}" wal-push "$src/pg_wal/$seg" || die "walnut wal-push $seg failed"
        record "$m" push walnut "$run"
      fi
    done
    if ((HAVE_DAEMON)); then
      # The name, as archive_command's %f; the daemon reads it from its PGDATA's pg_wal.
      measure /dev/null "${DAEMON_CLIENT_CMD[@]}" "$DAEMON_SOCKET" wal-push "$seg" || die "walnut-daemon-client wal-push $seg failed"
      record "$m" push walnut-daemon "$run"
      (($(daemon_object_count) == 1)) || die "walnut daemon did not store $seg"
    fi
    (($(pgbr_object_count) == 1)) || die "pgbackrest archive-push did not store $seg"
    if ((HAVE_PUSH)); then
      (($(walnut_object_count) == 1)) || die "walnut wal-push did not store $seg (found $(walnut_object_count) objects)"
    fi

    # Both repositories now hold seg; a fetch of the next one needs it stored too (untimed).
    "${PGBR[@]}" --pg1-path="$src" archive-push "$src/pg_wal/$next" >/dev/null || die "pgbackrest archive-push $next failed"
    if ((HAVE_PUSH)); then
      "${WALNUT_CMD[@]}" wal-push "$src/pg_wal/$next" >/dev/null 2>&1 || die "walnut wal-push $next failed"
    else
      mkdir -p "$M_DIR/walnut-repo/wal_005"
      for s in "$seg" "$next"; do
        case $m in
          lz4) lz4 -1 -q -c "$src/pg_wal/$s" >"$M_DIR/walnut-repo/wal_005/$s.lz4" ;;
          zstd) zstd -3 -q -c "$src/pg_wal/$s" >"$M_DIR/walnut-repo/wal_005/$s.zst" ;;
        esac
      done
    fi

    # Fetch (no prefetch: WALG_DOWNLOAD_CONCURRENCY=1 on Walnut's side; pgBackRest synchronous).
    for side in $order; do
      rm -rf "$dest"
      mkdir -p "$dest"
      if [[ $side == pgbr ]]; then
        measure /dev/null "${PGBR[@]}" --pg1-path="$src" archive-get "$seg" "$dest/$seg" || die "pgbackrest archive-get $seg failed"
        cmp -s "$dest/$seg" "$src/pg_wal/$seg" || die "pgbackrest archive-get $seg: the segment differs"
        record "$m" fetch pgbackrest "$run"
      elif ((HAVE_FETCH)); then
        measure /dev/null "${WALNUT_NO_PREFETCH[@]}" wal-fetch "$seg" "$dest/$seg" || die "walnut wal-fetch $seg failed"
        cmp -s "$dest/$seg" "$src/pg_wal/$seg" || die "walnut wal-fetch $seg: the segment differs"
        record "$m" fetch walnut "$run"
      fi
    done

    if ((HAVE_DAEMON)); then
      rm -rf "$src/daemon-restore"
      mkdir -p "$src/daemon-restore"
      # The destination relative to the daemon's PGDATA, as restore_command's %p.
      measure /dev/null "${DAEMON_CLIENT_CMD[@]}" "$DAEMON_SOCKET" wal-fetch "$seg" "daemon-restore/$seg" ||
        die "walnut-daemon-client wal-fetch $seg failed"
      cmp -s "$src/daemon-restore/$seg" "$src/pg_wal/$seg" || die "walnut daemon wal-fetch $seg: the segment differs"
      record "$m" fetch walnut-daemon "$run"
    fi

    # Served ahead: fetch seg (untimed), which starts the look-ahead, wait until next is there,
    # then time the fetch of next. Walnut: its prefetch (default WALG_DOWNLOAD_CONCURRENCY);
    # pgBackRest: archive-async=y, whose async process fills spool/archive/<stanza>/in.
    for side in $order; do
      rm -rf "$dest" "$M_DIR/spool"
      mkdir -p "$dest/pg_wal"
      if [[ $side == pgbr ]]; then
        "${PGBR[@]}" --pg1-path="$src" --archive-async archive-get "$seg" "$dest/pg_wal/$seg" >/dev/null ||
          die "pgbackrest archive-get --archive-async $seg failed"
        wait_for_file "$M_DIR/spool" "$next" 30 || die "pgbackrest's async archive-get did not queue $next"
        measure /dev/null "${PGBR[@]}" --pg1-path="$src" --archive-async archive-get "$next" "$dest/pg_wal/$next" ||
          die "pgbackrest archive-get --archive-async $next failed"
        cmp -s "$dest/pg_wal/$next" "$src/pg_wal/$next" || die "pgbackrest async archive-get $next: the segment differs"
        record "$m" fetch-ahead pgbackrest "$run"
        wait_for_tag_exit "pgbr-$$" pgbackrest
      elif ((HAVE_FETCH)); then
        "${WALNUT_CMD[@]}" wal-fetch "$seg" "$dest/pg_wal/$seg" >/dev/null 2>&1 || die "walnut wal-fetch $seg failed"
        if wait_for_file "$dest" "$next" 30; then
          measure /dev/null "${WALNUT_CMD[@]}" wal-fetch "$next" "$dest/pg_wal/$next" || die "walnut wal-fetch $next failed"
          cmp -s "$dest/pg_wal/$next" "$src/pg_wal/$next" || die "walnut wal-fetch $next from prefetch: the segment differs"
          record "$m" fetch-ahead walnut "$run"
        else
          log "walnut's prefetch did not store $next under $dest within 30 s: no prefetch-hit figure for run $run"
        fi
        wait_for_tag_exit "walnut-$$" walnut
      fi
    done
  done
  rm -rf "$dest" "$src"
}

# --- 2. a burst of .ready segments --------------------------------------------------------------

burst_run() { # method side(pgbr|walnut)
  local m=$1 side=$2 root=$SCRATCH/burst s start total per_call=() rss_max=0 ok
  local -a segs=("${ALL_SEGMENTS[@]:0:BURST}")
  clear_repos
  make_pgroot "$root" 1 "${segs[@]}"
  log "$m / $side: burst of $BURST .ready segments"
  rss_sampler_start "$side-$$" "$SCRATCH/rss-peak" "$([[ $side == pgbr ]] && echo pgbackrest || echo walnut)"
  start=$(now_ns)
  local failures=0 attempt
  for s in "${segs[@]}"; do
    # A failed call is retried at once, as PostgreSQL's archiver retries (it waits 1 s first; the
    # retry is counted and shown instead).
    ok=0
    for attempt in 1 2 3; do
      if [[ $side == pgbr ]]; then
        measure /dev/null "${PGBR[@]}" --pg1-path="$root" --archive-async archive-push "$root/pg_wal/$s" && ok=1
      else
        measure /dev/null "${WALNUT_CMD[@]}" wal-push "$root/pg_wal/$s" && ok=1
      fi
      ((ok)) && break
      failures=$((failures + 1))
      log "$side: pushing $s failed (attempt $attempt): $(tail -n 1 "$SCRATCH/stderr")"
    done
    ((ok)) || die "$side: pushing $s in the burst failed three times"
    # What PostgreSQL's archiver does after archive_command succeeds.
    mv "$root/pg_wal/archive_status/$s.ready" "$root/pg_wal/archive_status/$s.done"
    per_call+=("$WALL")
    ((RSS > rss_max)) && rss_max=$RSS
  done
  total=$(seconds_since "$start")
  rss_sampler_stop
  SAMPLER_PID=""
  local stored
  if [[ $side == pgbr ]]; then stored=$(pgbr_object_count); else stored=$(walnut_object_count); fi
  ((stored == BURST)) || die "$side: $stored of $BURST segments stored after the burst"
  local peak_total
  peak_total=$(cat "$SCRATCH/rss-peak")
  local name=walnut
  [[ $side == pgbr ]] && name=pgbackrest
  WALL=$total CPU=- RSS=$peak_total
  record "$m" burst "$name" 1
  ((failures == 0)) || log "$m / $side: $failures failed calls in the burst (retried)"
  WALL=$failures RSS=-
  record "$m" burst-failed-calls "$name" 1
  WALL=$(median "${per_call[@]}") RSS=$rss_max
  record "$m" burst-call-median "$name" 1
  WALL=$(printf '%s\n' "${per_call[@]}" | sort -g | tail -n1)
  record "$m" burst-call-max "$name" 1
  wait_for_tag_exit "$side-$$" "$([[ $side == pgbr ]] && echo pgbackrest || echo walnut)"
  rm -rf "$root"
}

# --- run ---------------------------------------------------------------------------------------

START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
START_TIME=$(date +%s)
LZ4_RATIO=$(cat "$SCRATCH/segments/"* | lz4 -1 -q -c | wc -c | awk -v n="$((TOTAL * 16777216))" '{ printf "%.2f", n / $1 }')
log "$TOTAL segments, lz4 -1 ratio $LZ4_RATIO"

if [[ $STORAGE == s3 ]]; then s3_bench_start "$SCRATCH/rgw" "$S3_BENCH_PORT" "$WALNUT"; fi
i=0
for m in $METHODS; do
  for rtt in $RTTS; do
    # Recorded under the method's name, with " +RTTms" when a round-trip time was added.
    label=$m
    ((rtt == 0)) || label="$m +${rtt}ms"
    setup_repos "$m" "$rtt"
    log "$label: single-segment latency, $RUNS runs"
    latency_runs "$label"
    if ((BURST > 0)); then
      # Alternate which side goes first from one round to the next.
      if ((i % 2 == 0)); then sides="pgbr walnut"; else sides="walnut pgbr"; fi
      for side in $sides; do
        if [[ $side == walnut ]] && ((!HAVE_PUSH)); then continue; fi
        burst_run "$label" "$side"
      done
    fi
    daemon_stop
    drop_repos
    i=$((i + 1))
  done
done

END_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$(($(date +%s) - START_TIME))

# --- report ------------------------------------------------------------------------------------

HEADER="$("$WALNUT" --version 2>/dev/null | head -n1 | cut -f1-2 | tr '\t' ' ' || true); $(pgbackrest version)
$(machine_line | sed "s/load average .*/load average $START_LOAD at start, $END_LOAD at end; ${ELAPSED}s/")
segments: $TOTAL real 16 MiB segments from $(cat "$DATA_DIR/source" 2>/dev/null || echo "an earlier run"); lz4 -1 ratio $LZ4_RATIO
$(if [[ $STORAGE == s3 ]]; then s3_storage_line; else echo "repositories: local directories in $(df -P "$SCRATCH" | awk 'NR == 2 { print $1 }')"; fi)
every call a whole process; median of $RUNS runs
pgBackRest: compress-type lz4/zst at its default levels (lz4 1, zst 3); archive-push/get synchronous except 'fetch ahead'
  (archive-async=y, process-max=2) and the burst (archive-async=y, process-max=2)
Walnut: default settings (upload concurrency 16, TOTAL_BG_UPLOADED_LIMIT 32, prefetch 10); 'fetch' with WALG_DOWNLOAD_CONCURRENCY=1
Walnut daemon: walnut-daemon-client per segment to a warm \`walnut daemon\` (no prefetch); CPU and RSS of the client only"

# SUMMARY: method measurement pgbr_wall walnut_wall pgbr_rss walnut_rss pgbr_cpu walnut_cpu
# daemon_wall daemon_rss (medians; '-' when absent; the daemon's for push and fetch only)
SUMMARY=$(awk -F'\t' '
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    if (n == 0) return "-"
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  {
    k = $1 SUBSEP $2 SUBSEP $3
    wall[k] = wall[k] " " $5; rss[k] = rss[k] " " $7; if ($6 != "-") cpu[k] = cpu[k] " " $6
    g = $1 SUBSEP $2
    if (!(g in seen)) { seen[g] = 1; order[++n] = g }
  }
  END {
    for (i = 1; i <= n; i++) {
      split(order[i], p, SUBSEP)
      a = order[i] SUBSEP "pgbackrest"; b = order[i] SUBSEP "walnut"; d = order[i] SUBSEP "walnut-daemon"
      print p[1] "\t" p[2] "\t" median(wall[a]) "\t" median(wall[b]) "\t" median(rss[a]) "\t" median(rss[b]) "\t" median(cpu[a]) "\t" median(cpu[b]) "\t" median(wall[d]) "\t" median(rss[d])
    }
  }' "$RESULTS")

render() { # text|markdown
  awk -F'\t' -v style="$1" -v burst="$BURST" '
    function ms(s) { return s == "-" ? "not available" : sprintf("%.1f ms", s * 1000) }
    function secs(s) { return s == "-" ? "not available" : sprintf("%.2f s", s) }
    function mib(kb) { return kb == "-" || kb == "" ? "-" : sprintf("%.0f", kb / 1024) }
    function row(c, n,   i, s) {
      if (style == "markdown") { s = "|"; for (i = 1; i <= n; i++) s = s " " c[i] " |"; print s; return }
      s = c[1]; for (i = 2; i <= n; i++) s = s "\t" c[i]; print s
    }
    BEGIN {
      name["push"] = "push one segment"; name["fetch"] = "fetch one segment"
      name["fetch-ahead"] = "fetch, served ahead"; name["burst"] = "burst of " burst " .ready, total"
      name["burst-failed-calls"] = "burst: failed calls (retried)"
      name["burst-call-median"] = "burst: one call, median"; name["burst-call-max"] = "burst: one call, slowest"
      split("method|measurement|pgBackRest|Walnut|pgBackRest / Walnut|pgBackRest CPU|Walnut CPU|pgBackRest RSS MiB|Walnut RSS MiB|Walnut daemon|pgBackRest / daemon", h, "|")
      row(h, 11)
      if (style == "markdown") print "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    }
    {
      c[1] = $1; c[2] = name[$2]
      t = ($2 == "burst") ? "s" : ($2 == "burst-failed-calls") ? "n" : "ms"
      c[3] = t == "s" ? secs($3) : t == "n" ? $3 : ms($3); c[4] = t == "s" ? secs($4) : t == "n" ? $4 : ms($4)
      c[5] = (t != "n" && $3 != "-" && $4 != "-" && $4 > 0) ? sprintf("%.2fx", $3 / $4) : "-"
      c[6] = $7 == "-" ? "-" : ms($7); c[7] = $8 == "-" ? "-" : ms($8)
      c[8] = mib($5); c[9] = mib($6)
      c[10] = ($9 == "-" || $9 == "") ? "-" : ms($9)
      c[11] = ($3 != "-" && $9 != "-" && $9 != "" && $9 > 0) ? sprintf("%.2fx", $3 / $9) : "-"
      row(c, 11)
    }' <<<"$SUMMARY"
  if [[ $1 == text ]]; then
    echo
    echo "CPU: user+sys of the process (and the children it waited for), median over runs."
    echo "RSS: per process (/usr/bin/time -f %M), median over runs; 'burst, total': the peak of all the tool's"
    echo "processes together (sampled every 50 ms); 'burst: one call': the largest single process of the burst."
  fi
}

# The goal for wal-push: to S3 half of pgBackRest's latency; to a local directory a third.
PUSH_GOAL=3
[[ $STORAGE == s3 ]] && PUSH_GOAL=2
GOALS=$(awk -F'\t' -v push_goal="$PUSH_GOAL" '
  function verdict(ok) { return ok ? "met" : "NOT met" }
  $2 ~ /^burst-/ { next }
  $4 == "-" { printf "%-10s %-12s Walnut not available\n", $1, $2; next }
  $2 == "push" { r = $3 / $4; printf "%-10s push         pgBackRest/Walnut %.2fx (goal >= %dx: Walnut <= 1/%d of the latency): %s\n", $1, r, push_goal, push_goal, verdict(r >= push_goal) }
  $2 == "push" && $9 != "-" && $9 != "" { r = $3 / $9; printf "%-10s push, daemon pgBackRest/daemon %.2fx (goal >= 3x: <= 1/3 of the latency): %s\n", $1, r, verdict(r >= 3) }
  $2 == "fetch" { r = $3 / $4; printf "%-10s fetch        pgBackRest/Walnut %.2fx (goal >= 2x): %s\n", $1, r, verdict(r >= 2) }
  $2 == "fetch-ahead" { printf "%-10s prefetch hit %.1f ms (goal <= 5 ms): %s\n", $1, $4 * 1000, verdict($4 <= 0.005) }
  $2 == "burst" { r = $3 / $4; printf "%-10s burst        drained %.2fx faster than pgBackRest async (goal >= 2x): %s\n", $1, r, verdict(r >= 2) }
' <<<"$SUMMARY")
if [[ $STORAGE == s3 && $RTTS != 0 ]]; then
  awk -F'\t' '$2 !~ /^burst-/ { print $1 "\t" $2 "\tpgbackrest\t" $3; print $1 "\t" $2 "\twalnut\t" $4 }' <<<"$SUMMARY" \
    >"$SCRATCH/summary-rtt"
  GOALS+=$'\n'"With added round-trip time (speed = the no-delay time / the time with the delay):"$'\n'
  GOALS+=$(rtt_fractions "$SCRATCH/summary-rtt" "burst")
fi

publish_results "$HEADER" "$GOALS" "$MARKDOWN" "$RESULTS" render 2
FINISHED=1
