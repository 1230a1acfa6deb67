#!/usr/bin/env bash
# shellcheck disable=SC2016  # the bash -c scripts below expand their own arguments
# Base-backup benchmark: Walnut's backup-push / backup-fetch against pgBackRest (full backup,
# process-max=2, compress-type=lz4) + restore, pg_basebackup (-Ft --compress=client-lz4) +
# extraction, and `tar | lz4 -1` + `lz4 -d | tar -x` of the same data directory as the ceiling,
# on the same running PostgreSQL 15 cluster, in one run. See bench/README.md.
# With --storage s3: Walnut against pgBackRest only, both to the same S3 server over HTTPS (a
# throwaway Ceph RGW with a self-signed certificate), at each round-trip time of --rtt (added by
# bench/delay_proxy).
#
# Every backup and restore is a whole process (or pipeline) run as the cluster's user, timed by
# bash; peak RSS is sampled over all the processes of a side together (pgBackRest forks local
# workers) and also read from /usr/bin/time -f %M (the largest single process). The sides run
# interleaved, their order rotated from run to run, and the median of --runs is reported.
set -euo pipefail
export LC_ALL=C

BENCH_NAME=backup.sh
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"
# shellcheck source=bench/lib/s3.sh
source "$SCRIPT_DIR/lib/s3.sh"

SCALE=${BENCH_SCALE:-${WALNUT_BENCH_SCALE:-100}}
RANDOM_MB=${WALNUT_BENCH_RANDOM_MB:-1000}
RUNS=${WALNUT_BENCH_RUNS:-3}
DATASETS=${WALNUT_BENCH_DATASETS:-"pgbench random"}
WORK_DIR=${WALNUT_BENCH_DIR:-/tmp/walnut-bench}
WALNUT=""
MARKDOWN=""
KEEP_SCRATCH=0
STANZA=bench
SIDES="walnut pgbackrest pg_basebackup tar+lz4"
STORAGE=${WALNUT_BENCH_STORAGE:-dir}
RTTS=${WALNUT_BENCH_RTT:-0}
S3_BENCH_PORT=${WALNUT_BENCH_S3_PORT:-14780}

usage() {
  cat <<EOF
Usage: $0 [options]

Compares Walnut's backup-push/backup-fetch with pgBackRest, pg_basebackup and tar | lz4 -1.

Options (environment variable in brackets):
  -s, --scale N        pgbench scale of data set 'pgbench' [BENCH_SCALE, $SCALE]
      --random-mb N    size of data set 'random' (a table of random md5 text and bytes) in MB
                       [WALNUT_BENCH_RANDOM_MB, $RANDOM_MB]
  -r, --runs N         repetitions; the median is reported [WALNUT_BENCH_RUNS, $RUNS]
  -d, --datasets LIST  subset of "pgbench random" [WALNUT_BENCH_DATASETS]
  -w, --work-dir DIR   where the clusters are generated and kept [WALNUT_BENCH_DIR, $WORK_DIR]
      --walnut PATH    the walnut binary [WALNUT_BIN; default: build-bench, build-benchrel, build]
      --markdown FILE  also write the tables as Markdown (default: WORK_DIR/backup-results.md)
      --storage KIND   dir: local directories; s3: Walnut and pgBackRest only, each to its own bucket
                       of one Ceph RGW over HTTPS [WALNUT_BENCH_STORAGE, $STORAGE]
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
    -s | --scale) SCALE=$2; shift 2 ;;
    --random-mb) RANDOM_MB=$2; shift 2 ;;
    -r | --runs) RUNS=$2; shift 2 ;;
    -d | --datasets) DATASETS=$2; shift 2 ;;
    -w | --work-dir) WORK_DIR=$2; shift 2 ;;
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
for n in SCALE RANDOM_MB RUNS; do
  if ! [[ ${!n} =~ ^[0-9]+$ ]] || ((${!n} == 0)); then die "$n must be a positive whole number, not '${!n}'"; fi
done
for d in $DATASETS; do
  [[ $d =~ ^(pgbench|random)$ ]] || die "unknown data set '$d' (pgbench random)"
done
check_storage_options
[[ $STORAGE == s3 ]] && SIDES="walnut pgbackrest"

WALNUT=$(find_walnut "$WALNUT")
need_tools pgbackrest lz4 tar awk ps
[[ $STORAGE == dir ]] || need_tools curl openssl jq
for b in initdb pgbench pg_basebackup; do
  [[ -x $PG_BIN/$b ]] || die "$PG_BIN/$b not found; install postgresql-15 or set PG_BIN"
done
id -u "$PG_USER" >/dev/null 2>&1 || die "user '$PG_USER' is missing (postgresql-15 creates it)"
HAVE_PUSH=0 HAVE_FETCH=0 HAVE_WAL_PUSH=0
walnut_has "$WALNUT" backup-push && HAVE_PUSH=1
walnut_has "$WALNUT" backup-fetch && HAVE_FETCH=1
walnut_has "$WALNUT" wal-push && HAVE_WAL_PUSH=1
((HAVE_PUSH)) || log "walnut backup-push is not implemented in $WALNUT: its rows will read 'not available'"
((HAVE_FETCH)) || log "walnut backup-fetch is not implemented in $WALNUT: its rows will read 'not available'"

mkdir -p "$WORK_DIR"
WORK_DIR=$(realpath "$WORK_DIR")
chmod 755 "$WORK_DIR"
MARKDOWN=${MARKDOWN:-$WORK_DIR/backup-results.md}

# As the cluster's user: PostgreSQL refuses root, and a restored data directory must be its own.
if ((EUID == 0)); then AS_PG=(runuser -u "$PG_USER" --); else AS_PG=(); fi

SCRATCH=""
FINISHED=0
PGDATA=""
SAMPLER_PID=""
cleanup() {
  [[ -n $SAMPLER_PID ]] && rss_sampler_stop
  [[ -n $PGDATA ]] && { pg_stop "$PGDATA" immediate || true; }
  s3_bench_stop
  if [[ -n $SCRATCH ]]; then
    # Keep what was measured when the run stops early.
    if ((!FINISHED)) && [[ -s $SCRATCH/results.tsv ]]; then cp "$SCRATCH/results.tsv" "${MARKDOWN%.md}.partial.tsv"; fi
    if ((KEEP_SCRATCH)); then log "scratch kept in $SCRATCH"; else rm -rf "$SCRATCH"; fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- data sets: stopped clusters kept in WORK_DIR ------------------------------------------------
# pgbench: initdb --data-checksums + pgbench -i -s SCALE (compresses ~6x with lz4).
# random: one table of random md5 text and random bytes (~1.5x with lz4), RANDOM_MB in total.

dataset_dir() {
  case $1 in pgbench) echo "$WORK_DIR/backup-pgbench-s$SCALE" ;; random) echo "$WORK_DIR/backup-random-${RANDOM_MB}M" ;; esac
}

prepare_dataset() { # name
  local dir tmp
  dir=$(dataset_dir "$1")
  if [[ -f $dir/data/PG_VERSION && -f $dir/ready ]]; then
    log "data set $1: reusing $dir"
    return
  fi
  tmp=$dir.tmp
  rm -rf "$tmp" "$dir"
  mkdir -p "$tmp"
  chown "$PG_USER" "$tmp"
  log "data set $1: generating in $tmp"
  as_pg "$PG_BIN/initdb" -D "$tmp/data" -U postgres -A trust -E UTF8 --locale=C -k --no-sync \
    >"$tmp/initdb.log" 2>&1 || die "initdb failed; see $tmp/initdb.log"
  PGDATA=$tmp/data
  pg_start "$PGDATA" "$tmp" "$tmp/server.log" fsync=off max_wal_size=4GB
  case $1 in
    pgbench)
      as_pg "$PG_BIN/pgbench" -i -q -s "$SCALE" -h "$tmp" -p 5432 -U postgres postgres >"$tmp/load.log" 2>&1 ||
        die "pgbench -i failed; see $tmp/load.log"
      ;;
    random)
      # ~170 bytes on disk per row: 64 hex digits of md5 text, 48 random bytes.
      psql_at "$tmp" "CREATE TABLE random_rows (id bigint, hex text, bytes bytea)"
      local rows=$((RANDOM_MB * 1000000 / 170)) done_rows=0 batch=500000
      while ((done_rows < rows)); do
        psql_at "$tmp" "INSERT INTO random_rows SELECT g, md5(random()::text) || md5(random()::text),
          decode(md5(random()::text) || md5(random()::text) || md5(random()::text), 'hex')
          FROM generate_series($done_rows + 1, $done_rows + $batch) g"
        done_rows=$((done_rows + batch))
      done
      ;;
  esac
  psql_at "$tmp" "VACUUM ANALYZE" >/dev/null
  psql_at "$tmp" "CHECKPOINT" >/dev/null
  pg_stop "$PGDATA"
  PGDATA=""
  rm -f "$tmp"/*.log
  touch "$tmp/ready"
  mv "$tmp" "$dir"
}

# --- scratch ------------------------------------------------------------------------------------

need_mb=512
for d in $DATASETS; do
  case $d in pgbench) need_mb=$((need_mb + SCALE * 16 * 5)) ;; random) need_mb=$((need_mb + RANDOM_MB * 5)) ;; esac
done
for d in $DATASETS; do prepare_dataset "$d"; done
SCRATCH=$(scratch_dir "$need_mb" walnut-bench-backup)
mkdir -p "$SCRATCH"
chmod 755 "$SCRATCH"
if [[ $STORAGE == s3 ]]; then s3_bench_start "$SCRATCH/rgw" "$S3_BENCH_PORT" "$WALNUT"; fi
RESULTS=$SCRATCH/results.tsv # dataset direction side run wall rss_sampled rss_single bytes stored_bytes
: >"$RESULTS"
echo '{}' >"$SCRATCH/walg.json"
chmod 644 "$SCRATCH/walg.json"

# The archive_command: one script that hands the segment to the side being measured, so that each
# tool's backup waits for its own archiver (pg_backup_stop waits for the last segment), and the
# others never wait for a tool's archive. (Its name holds "pgbackrest": pgBackRest's backup refuses
# an archive_command that does not.)
ARCHIVE_SCRIPT=$SCRATCH/archive-walnut-or-pgbackrest.sh
ARCHIVER_FILE=$SCRATCH/archiver
cat >"$ARCHIVE_SCRIPT" <<EOF
#!/bin/sh
case "\$(cat "$ARCHIVER_FILE")" in
  pgbackrest) exec pgbackrest --config="$SCRATCH/pgbackrest.conf" --stanza=$STANZA archive-push "\$1" ;;
  walnut) . "$SCRATCH/walnut-repo.env"
    exec env WALG_CONFIG_PATH="$SCRATCH/walg.json" WALG_COMPRESSION_METHOD=lz4 "$WALNUT" wal-push "\$1" ;;
  *) exit 0 ;;
esac
EOF
chmod 755 "$ARCHIVE_SCRIPT"
set_archiver() { # side; then waits until nothing is left to archive
  local side=$1
  [[ $side == walnut ]] && ((!HAVE_WAL_PUSH)) && side=none
  echo "$side" >"$ARCHIVER_FILE"
  local deadline=$((SECONDS + 120))
  while [[ -n $(find "$PGDATA/pg_wal/archive_status" -name '*.ready' 2>/dev/null | head -n1) ]]; do
    ((SECONDS < deadline)) || die "PostgreSQL did not archive its .ready segments within 2 minutes"
    sleep 0.1
  done
}

# measure_side SIDE CMD...: times CMD as the cluster's user, sampling the RSS of all the side's
# processes (RSS_ALL) besides the largest single one (RSS, from /usr/bin/time).
measure_side() {
  local side=$1 names
  shift
  case $side in
    walnut) names=walnut ;; pgbackrest) names=pgbackrest ;; pg_basebackup) names=pg_basebackup,lz4,tar ;;
    tar+lz4) names=tar,lz4 ;;
  esac
  rss_sampler_start "$side-$$" "$SCRATCH/rss-peak" "$names"
  if ! measure /dev/null "${AS_PG[@]}" env "BENCH_RSS_TAG=$side-$$" "$@"; then
    rss_sampler_stop
    SAMPLER_PID=""
    die "$side failed: $*"
  fi
  rss_sampler_stop
  SAMPLER_PID=""
  RSS_ALL=$(cat "$SCRATCH/rss-peak")
}
record() { # dataset direction side run bytes stored_bytes
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$WALL" "$RSS_ALL" "$RSS" "$5" "$6" >>"$RESULTS"
}

# set_repos RUN RTT: fresh, empty repositories for both tools (untimed): directories, or with S3
# one bucket per tool, reached at RTT ms. Sets WALNUT_REPO_ENV (also written for the archiver)
# and writes pgbackrest.conf.
set_repos() {
  rm -rf "$SCRATCH/walnut-repo" "$SCRATCH/pgbr-repo" "$SCRATCH/pgbr-spool" "$SCRATCH/pgbb" "$SCRATCH/tar"
  mkdir -p "$SCRATCH/walnut-repo" "$SCRATCH/pgbr-repo" "$SCRATCH/pgbb" "$SCRATCH/tar"
  chown "$PG_USER" "$SCRATCH/walnut-repo" "$SCRATCH/pgbr-repo" "$SCRATCH/pgbb" "$SCRATCH/tar"
  if [[ $STORAGE == s3 ]]; then
    s3_use_rtt "$2"
    WALNUT_BUCKET=walnut-r$1-$2 PGBR_BUCKET=pgbr-r$1-$2
    s3_bucket_create "$WALNUT_BUCKET"
    s3_bucket_create "$PGBR_BUCKET"
    mapfile -t WALNUT_REPO_ENV < <(s3_walnut_env "$WALNUT_BUCKET" walnut)
    PGBR_REPO_LINES=$(s3_pgbackrest_repo "$PGBR_BUCKET" /pgbr)
  else
    WALNUT_REPO_ENV=("WALG_FILE_PREFIX=$SCRATCH/walnut-repo")
    PGBR_REPO_LINES="repo1-path=$SCRATCH/pgbr-repo"
  fi
  printf 'export %q\n' "${WALNUT_REPO_ENV[@]}" >"$SCRATCH/walnut-repo.env"
  chmod 644 "$SCRATCH/walnut-repo.env"
  pgbackrest_conf "$SCRATCH/pgbackrest.conf" "$SCRATCH" "$STANZA" "$PGDATA" "$PGBR_REPO_LINES"
  "${AS_PG[@]}" pgbackrest --config="$SCRATCH/pgbackrest.conf" --stanza=$STANZA stanza-create >/dev/null ||
    die "pgbackrest stanza-create failed"
}
drop_repos() {
  [[ $STORAGE == s3 ]] || return 0
  s3_bucket_remove "$WALNUT_BUCKET"
  s3_bucket_remove "$PGBR_BUCKET"
}
# stored_bytes SIDE: what SIDE's backup occupies in its repository (without the WAL archive).
stored_bytes() {
  case $STORAGE/$1 in
    dir/walnut) dir_bytes "$SCRATCH/walnut-repo/basebackups_005" ;;
    dir/pgbackrest) dir_bytes "$SCRATCH/pgbr-repo/backup" ;;
    s3/walnut) s3_bytes "$WALNUT_BUCKET" walnut/basebackups_005/ ;;
    s3/pgbackrest) echo $(($(s3_bucket_bytes "$PGBR_BUCKET") - $(s3_bytes "$PGBR_BUCKET" pgbr/archive/))) ;;
  esac
}

# du of the data directory without pg_wal: what every side has to copy.
data_bytes() { du -sb --exclude=pg_wal "$1" | awk '{ print $1 }'; }
dir_bytes() { du -sb "$1" 2>/dev/null | awk '{ print $1 }'; }

# The restored copy must hold the same relation files of 1 MiB or more (names and sizes) as the
# source, and as many files in base/ and global/. (Small catalogue files may change between one
# side's backup and the next: checkpoints, statistics.)
check_restore() { # side dest
  local a b
  a=$(cd "$PGDATA" && find base global -type f -size +1M -printf '%p %s\n' | sort; find base global -type f ! -name pg_internal.init ! -path '*pgsql_tmp*' | wc -l)
  b=$(cd "$2" && find base global -type f -size +1M -printf '%p %s\n' | sort; find base global -type f ! -name pg_internal.init ! -path '*pgsql_tmp*' | wc -l)
  [[ $a == "$b" ]] || die "$1: the restored base/ and global/ differ from the source: $(diff <(echo "$a") <(echo "$b") | head -n 5)"
}

fresh_dir() { rm -rf "$1" && mkdir -p "$1" && chown "$PG_USER" "$1" && chmod 700 "$1"; }

bench_dataset() { # name
  local d=$1 run bytes rtt rtts
  log "data set $d: copying the cluster to $SCRATCH"
  rm -rf "$SCRATCH/data"
  cp -a "$(dataset_dir "$d")/data" "$SCRATCH/data"
  PGDATA=$SCRATCH/data
  echo none >"$ARCHIVER_FILE"
  chown "$PG_USER" "$SCRATCH" "$ARCHIVER_FILE"
  : >"$SCRATCH/walnut-repo.env"
  chmod 644 "$SCRATCH/walnut-repo.env"
  # No autovacuum: nothing but the sides under test works on the cluster during the run.
  pg_start "$PGDATA" "$SCRATCH" "$SCRATCH/server.log" autovacuum=off archive_mode=on wal_level=replica \
    "archive_command='$ARCHIVE_SCRIPT %p'"
  bytes=$(data_bytes "$PGDATA")
  log "data set $d: $((bytes / 1000000)) MB without pg_wal, $RUNS runs"
  for ((run = 1; run <= RUNS; run++)); do
    # Every round-trip time in every run; their order reversed from one run to the next.
    rtts=$RTTS
    ((run % 2)) || rtts=$(tr ' ' '\n' <<<"$RTTS" | tac | tr '\n' ' ')
    for rtt in $rtts; do bench_round "$d" "$run" "$rtt" "$bytes"; done
  done
  pg_stop "$PGDATA"
  PGDATA=""
  rm -rf "$SCRATCH/data" "$SCRATCH/walnut-repo" "$SCRATCH/pgbr-repo" "$SCRATCH/pgbb" "$SCRATCH/tar"
}

# bench_round DATASET RUN RTT BYTES: every side backs up, then restores, into fresh repositories;
# recorded under the data set's name, with " +RTTms" when a round-trip time was added.
bench_round() {
  local d=$1 run=$2 rtt=$3 bytes=$4 side order rotate label=$1 dest=$SCRATCH/restore
  ((rtt == 0)) || label="$d +${rtt}ms"
  set_repos "$run" "$rtt"
  local -a sides
  read -ra sides <<<"$SIDES"
  rotate=$(((run - 1) % ${#sides[@]}))
  order=("${sides[@]:rotate}" "${sides[@]:0:rotate}")

  for side in "${order[@]}"; do
    set_archiver "$side"
    case $side in
      walnut)
        ((HAVE_PUSH)) || continue
        measure_side walnut "WALG_CONFIG_PATH=$SCRATCH/walg.json" "${WALNUT_REPO_ENV[@]}" \
          WALG_COMPRESSION_METHOD=lz4 "PGHOST=$SCRATCH" PGPORT=5432 PGUSER=postgres "$WALNUT" backup-push "$PGDATA"
        ;;
      pgbackrest)
        measure_side pgbackrest pgbackrest --config="$SCRATCH/pgbackrest.conf" \
          --stanza=$STANZA --type=full backup
        ;;
      pg_basebackup)
        rm -rf "$SCRATCH/pgbb/out"
        measure_side pg_basebackup "$PG_BIN/pg_basebackup" -h "$SCRATCH" -p 5432 \
          -U postgres -D "$SCRATCH/pgbb/out" -Ft --compress=client-lz4 -X fetch --checkpoint=fast
        ;;
      tar+lz4)
        # tar exits 1 when a file changed while read (the server is running): not a failure here.
        measure_side tar+lz4 bash -c 'set -o pipefail
          { tar -cf - -C "$1" --exclude=./pg_wal/0* --exclude=./pg_wal/archive_status/* . || (($? == 1)); } |
            lz4 -1 -q >"$2"' tar "$PGDATA" "$SCRATCH/tar/data.tar.lz4"
        ;;
    esac
    case $side in
      pg_basebackup) STORED_BYTES=$(dir_bytes "$SCRATCH/pgbb/out") ;;
      tar+lz4) STORED_BYTES=$(dir_bytes "$SCRATCH/tar") ;;
      *) STORED_BYTES=$(stored_bytes "$side") ;;
    esac
    record "$label" backup "$side" "$run" "$bytes" "$STORED_BYTES"
  done
  set_archiver none

  for side in "${order[@]}"; do
    fresh_dir "$dest"
    case $side in
      walnut)
        ((HAVE_PUSH && HAVE_FETCH)) || continue
        measure_side walnut "WALG_CONFIG_PATH=$SCRATCH/walg.json" "${WALNUT_REPO_ENV[@]}" \
          "$WALNUT" backup-fetch "$dest" LATEST
        ;;
      pgbackrest)
        measure_side pgbackrest pgbackrest --config="$SCRATCH/pgbackrest.conf" \
          --stanza=$STANZA --pg1-path="$dest" restore
        ;;
      pg_basebackup)
        measure_side pg_basebackup bash -c 'set -o pipefail
          lz4 -d -q -c "$1/base.tar.lz4" | tar -xf - -C "$2" &&
            if [ -f "$1/pg_wal.tar.lz4" ]; then lz4 -d -q -c "$1/pg_wal.tar.lz4" | tar -xf - -C "$2/pg_wal"; fi' \
          x "$SCRATCH/pgbb/out" "$dest"
        ;;
      tar+lz4)
        measure_side tar+lz4 bash -c 'set -o pipefail
          lz4 -d -q -c "$1" | tar -xf - -C "$2"' x "$SCRATCH/tar/data.tar.lz4" "$dest"
        ;;
    esac
    record "$label" restore "$side" "$run" "$bytes" 0
    if ((run == 1)); then check_restore "$side" "$dest"; fi
  done
  rm -rf "$dest"
  drop_repos
}

START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
START_TIME=$(date +%s)
for d in $DATASETS; do bench_dataset "$d"; done
END_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$(($(date +%s) - START_TIME))

# --- report ------------------------------------------------------------------------------------

HEADER="$("$WALNUT" --version 2>/dev/null | head -n1 | cut -f1-2 | tr '\t' ' ' || true); $(pgbackrest version); $("$PG_BIN/pg_basebackup" --version); $(lz4 --version 2>&1 | sed -n 's/.* v\([0-9.]*\),.*/lz4 \1/p')
$(machine_line | sed "s/load average .*/load average $START_LOAD at start, $END_LOAD at end; ${ELAPSED}s/")
data sets: pgbench -i -s $SCALE; random: $RANDOM_MB MB of random md5 text and bytes; PostgreSQL 15 with data checksums, running
$(if [[ $STORAGE == s3 ]]; then s3_storage_line; else echo "storage: local directories in $(df -P "$SCRATCH" | awk 'NR == 2 { print $1 }')"; fi)
MB/s = 10^6 bytes of the data directory (without pg_wal) per second; median of $RUNS runs
Walnut: backup-push/backup-fetch, lz4, default settings; pgBackRest: backup --type=full / restore, process-max=2, compress-type=lz4
  (level 1), start-fast=y, its defaults otherwise (checksum-page=y with data checksums); pg_basebackup -Ft --compress=client-lz4
  -X fetch --checkpoint=fast, extracted with lz4 -d | tar -x; tar+lz4: tar -c | lz4 -1 (pg_wal left out) and lz4 -d | tar -x"

# SUMMARY: dataset direction side bytes wall rss_sampled rss_single stored (medians)
SUMMARY=$(awk -F'\t' '
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  {
    k = $1 SUBSEP $2 SUBSEP $3
    if (!(k in seen)) { seen[k] = 1; order[++n] = k }
    wall[k] = wall[k] " " $5; rs[k] = rs[k] " " $6; r1[k] = r1[k] " " $7; bytes[k] = $8; stored[k] = stored[k] " " $9
  }
  END {
    for (i = 1; i <= n; i++) {
      k = order[i]; split(k, p, SUBSEP)
      print p[1] "\t" p[2] "\t" p[3] "\t" bytes[k] "\t" median(wall[k]) "\t" median(rs[k]) "\t" median(r1[k]) "\t" median(stored[k])
    }
  }' "$RESULTS" | sort -t$'\t' -k1,1 -k2,2 -s)

render() { # text|markdown
  awk -F'\t' -v style="$1" -v have_push="$HAVE_PUSH" -v have_fetch="$HAVE_FETCH" '
    function row(c, n,   i, s) {
      if (style == "markdown") { s = "|"; for (i = 1; i <= n; i++) s = s " " c[i] " |"; print s; return }
      s = c[1]; for (i = 2; i <= n; i++) s = s "\t" c[i]; print s
    }
    BEGIN {
      split("data set|direction|side|MB/s|seconds|Walnut faster by|stored MB|ratio|peak RSS MiB (all processes)|largest process MiB", h, "|")
      row(h, 10)
      if (style == "markdown") print "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    }
    { d[NR] = $0; split($0, f, "\t"); if (f[3] == "walnut") w[f[1] SUBSEP f[2]] = f[5] }
    END {
      for (i = 1; i <= NR; i++) {
        split(d[i], f, "\t")
        c[1] = f[1]; c[2] = f[2]; c[3] = f[3]
        c[4] = sprintf("%.0f", f[4] / f[5] / 1e6); c[5] = sprintf("%.2f", f[5])
        k = f[1] SUBSEP f[2]
        c[6] = (k in w) ? (f[3] == "walnut" ? "1.00x" : sprintf("%.2fx", f[5] / w[k])) : "not available"
        c[7] = f[2] == "backup" ? sprintf("%.0f", f[8] / 1e6) : "-"
        c[8] = f[2] == "backup" && f[8] > 0 ? sprintf("%.2f", f[4] / f[8]) : "-"
        c[9] = sprintf("%.0f", f[6] / 1024); c[10] = sprintf("%.0f", f[7] / 1024)
        row(c, 10)
      }
      if (!have_push) { c[1] = "all"; c[2] = "backup"; c[3] = "walnut"; for (j = 4; j <= 10; j++) c[j] = "not available"; row(c, 10) }
      if (!have_fetch || !have_push) { c[1] = "all"; c[2] = "restore"; c[3] = "walnut"; for (j = 4; j <= 10; j++) c[j] = "not available"; row(c, 10) }
    }' <<<"$SUMMARY"
}

# The goal for backup-fetch: from S3 1.5x pgBackRest's restore; from a directory 1.3x.
FETCH_GOAL=1.3
[[ $STORAGE == s3 ]] && FETCH_GOAL=1.5
GOALS=$(awk -F'\t' -v fetch_goal="$FETCH_GOAL" '
  { t[$1 SUBSEP $2 SUBSEP $3] = $5; ds[$1] = 1 }
  END {
    for (d in ds) {
      w = t[d SUBSEP "backup" SUBSEP "walnut"]; p = t[d SUBSEP "backup" SUBSEP "pgbackrest"]; c = t[d SUBSEP "backup" SUBSEP "tar+lz4"]
      if (w == "") printf "%-14s backup-push  not available\n", d
      else {
        printf "%-14s backup-push  %.2fx pgBackRest'"'"'s throughput (goal >= 2x): %s\n", d, p / w, (p / w >= 2 ? "met" : "NOT met")
        if (c != "") printf "%-14s backup-push  %.0f%% of tar | lz4 -1 (goal >= 80%%): %s\n", d, c / w * 100, (c / w >= 0.8 ? "met" : "NOT met")
      }
      w = t[d SUBSEP "restore" SUBSEP "walnut"]; p = t[d SUBSEP "restore" SUBSEP "pgbackrest"]
      if (w == "") printf "%-14s backup-fetch not available\n", d
      else printf "%-14s backup-fetch %.2fx pgBackRest'"'"'s restore (goal >= %.1fx): %s\n", d, p / w, fetch_goal, (p / w >= fetch_goal ? "met" : "NOT met")
    }
  }' <<<"$SUMMARY" | sort)
if [[ $STORAGE == s3 && $RTTS != 0 ]]; then
  cut -f1-3,5 <<<"$SUMMARY" | sed 's/\tbackup\t/\tbackup-push\t/; s/\trestore\t/\tbackup-fetch\t/' >"$SCRATCH/summary-rtt"
  GOALS+=$'\n'"With added round-trip time:"$'\n'$(rtt_fractions "$SCRATCH/summary-rtt" "backup-push backup-fetch")
fi


publish_results "$HEADER" "$GOALS" "$MARKDOWN" "$RESULTS" render 3
FINISHED=1
