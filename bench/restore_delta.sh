#!/usr/bin/env bash
# Restore into an existing data directory: Walnut's backup-fetch --delta / --delta-fast against
# pgBackRest's restore --delta / --delta --force, beside each tool's full restore into an empty
# directory, on the same data in one run. See bench/README.md.
#
# The data: pgbench -i -s SCALE --partitions P (range partitions of pgbench_accounts by aid, so that
# a change to a range of accounts touches some files and leaves the others as they were, as a real
# database's hot and cold tables do). Both tools take a full backup of it; then CHANGE_PCT % of the
# accounts (the lowest aids: the first partitions) are updated, and the changed data directory,
# copied with its mtimes (untimed), is what each delta restore starts from. Every restore is a
# whole process run as the cluster's user with fsync on, timed by bash; the median of --runs is
# reported, and the ratios full / delta for each tool and Walnut / pgBackRest.
set -euo pipefail
export LC_ALL=C

# shellcheck disable=SC2034  # read by bench/lib/common.sh
BENCH_NAME=restore_delta.sh
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

SCALE=${BENCH_SCALE:-100}
PARTITIONS=${WALNUT_BENCH_PARTITIONS:-20}
CHANGE_PCT=${WALNUT_BENCH_CHANGE_PCT:-5}
RUNS=${WALNUT_BENCH_RUNS:-3}
TAR_MB=${WALNUT_BENCH_TAR_MB:-}
WORK_DIR=${WALNUT_BENCH_DIR:-/tmp/walnut-bench}
WALNUT=""
MARKDOWN=""
STANZA=bench

usage() {
  cat <<EOF
Usage: $0 [options]

Times Walnut's backup-fetch --delta(-fast) and pgBackRest's restore --delta (--force) over a data
directory changed since the backup, beside both tools' full restores.

Options (environment variable in brackets):
  -s, --scale N        pgbench scale [BENCH_SCALE, $SCALE]
  -p, --partitions N   partitions of pgbench_accounts [WALNUT_BENCH_PARTITIONS, $PARTITIONS]
  -c, --change PCT     % of the accounts updated after the backup [WALNUT_BENCH_CHANGE_PCT, $CHANGE_PCT]
  -r, --runs N         repetitions; the median is reported [WALNUT_BENCH_RUNS, $RUNS]
  -t, --tar-mb N       Walnut's WALG_TAR_SIZE_THRESHOLD in MB (default: WAL-G's 1 GiB); a delta
                       restore downloads only the tars holding a file to rewrite [WALNUT_BENCH_TAR_MB]
  -w, --work-dir DIR   where scratch goes when /dev/shm is too small [WALNUT_BENCH_DIR, $WORK_DIR]
      --walnut PATH    the walnut binary [WALNUT_BIN; default: build-bench, build-benchrel, build]
      --markdown FILE  also write the table as Markdown (default: WORK_DIR/restore-delta-results.md)
EOF
}

while (($#)); do
  case $1 in
    -s | --scale) SCALE=$2; shift ;;
    -p | --partitions) PARTITIONS=$2; shift ;;
    -c | --change) CHANGE_PCT=$2; shift ;;
    -r | --runs) RUNS=$2; shift ;;
    -t | --tar-mb) TAR_MB=$2; shift ;;
    -w | --work-dir) WORK_DIR=$2; shift ;;
    --walnut) WALNUT=$2; shift ;;
    --markdown) MARKDOWN=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
  shift
done

WALNUT=$(find_walnut "$WALNUT")
need_tools pgbackrest awk
"$WALNUT" backup-fetch --help 2>&1 | grep -q -- --delta-fast || die "$WALNUT has no backup-fetch --delta"
for b in initdb pgbench pg_ctl; do
  [[ -x $PG_BIN/$b ]] || die "$PG_BIN/$b not found; install postgresql-15 or set PG_BIN"
done
mkdir -p "$WORK_DIR"
WORK_DIR=$(realpath "$WORK_DIR")
chmod 755 "$WORK_DIR"
MARKDOWN=${MARKDOWN:-$WORK_DIR/restore-delta-results.md}
if ((EUID == 0)); then AS_PG=(runuser -u "$PG_USER" --); else AS_PG=(); fi

# Source, two repositories, and per tool a full target and a delta target: ~6x the data.
SCRATCH=$(scratch_dir $((SCALE * 16 * 6 + 512)) walnut-bench-restore-delta)
mkdir -p "$SCRATCH"
chmod 755 "$SCRATCH"
chown "$PG_USER" "$SCRATCH"
PGDATA=""
cleanup() {
  [[ -n $PGDATA ]] && { pg_stop "$PGDATA" immediate || true; }
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SRC=$SCRATCH/src
RESULTS=$SCRATCH/results.tsv # case run wall
: >"$RESULTS"
echo '{}' >"$SCRATCH/walg.json"
chmod 644 "$SCRATCH/walg.json"
WALNUT_ENV=(env "WALG_CONFIG_PATH=$SCRATCH/walg.json" "WALG_FILE_PREFIX=$SCRATCH/walnut-repo"
  WALG_COMPRESSION_METHOD=lz4 WALNUT_ARCHIVE_CHECK=false "PGHOST=$SCRATCH" PGPORT=5432 PGUSER=postgres)
[[ -n $TAR_MB ]] && WALNUT_ENV+=("WALG_TAR_SIZE_THRESHOLD=$((TAR_MB * 1000000))")
mkdir -p "$SCRATCH/walnut-repo" "$SCRATCH/pgbr-repo"
chown "$PG_USER" "$SCRATCH/walnut-repo" "$SCRATCH/pgbr-repo"
pgbackrest_conf "$SCRATCH/pgbackrest.conf" "$SCRATCH" "$STANZA" "$SRC" "repo1-path=$SCRATCH/pgbr-repo" \
  archive-check=n
PGBR=(pgbackrest --config="$SCRATCH/pgbackrest.conf" "--stanza=$STANZA")

log "generating pgbench -s $SCALE --partitions $PARTITIONS in $SRC"
"${AS_PG[@]}" "$PG_BIN/initdb" -D "$SRC" -U postgres -A trust -E UTF8 --locale=C -k --no-sync \
  >"$SCRATCH/initdb.log" 2>&1 || die "initdb failed; see $SCRATCH/initdb.log"
PGDATA=$SRC
# WAL is not archived (nothing here replays it): both tools are told not to wait for it.
pg_start "$SRC" "$SCRATCH" "$SCRATCH/server.log" max_wal_size=4GB archive_mode=on "archive_command='/bin/true'"
"${AS_PG[@]}" "$PG_BIN/pgbench" -i -q -s "$SCALE" --partitions="$PARTITIONS" -h "$SCRATCH" -p 5432 \
  -U postgres postgres >"$SCRATCH/load.log" 2>&1 || die "pgbench -i failed; see $SCRATCH/load.log"
psql_at "$SCRATCH" "VACUUM ANALYZE" >/dev/null
psql_at "$SCRATCH" "CHECKPOINT" >/dev/null
DATA_BYTES=$(du -sb --exclude=pg_wal "$SRC" | cut -f1)

log "backups: walnut backup-push, pgbackrest backup --type=full"
"${AS_PG[@]}" "${PGBR[@]}" stanza-create >/dev/null || die "pgbackrest stanza-create failed"
"${AS_PG[@]}" "${WALNUT_ENV[@]}" "$WALNUT" backup-push "$SRC" 2>"$SCRATCH/push.log" ||
  die "walnut backup-push failed: $(tail -n 3 "$SCRATCH/push.log")"
"${AS_PG[@]}" "${PGBR[@]}" --type=full backup || die "pgbackrest backup failed"
WALNUT_TARS=$(find "$SCRATCH/walnut-repo/basebackups_005" -path '*/tar_partitions/part_*' | wc -l)

ACCOUNTS=$((SCALE * 100000))
CHANGED=$((ACCOUNTS * CHANGE_PCT / 100))
log "changing the source: UPDATE of $CHANGED of $ACCOUNTS accounts ($CHANGE_PCT %)"
psql_at "$SCRATCH" "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid <= $CHANGED" >/dev/null
psql_at "$SCRATCH" "CHECKPOINT" >/dev/null
pg_stop "$SRC"
PGDATA=""
rm -f "$SRC/postmaster.pid" "$SRC/postmaster.opts"

# fresh TARGET: an empty directory; changed TARGET: a copy of the changed source, mtimes kept.
fresh() {
  rm -rf "$1"
  mkdir -p "$1"
  chown "$PG_USER" "$1"
  chmod 700 "$1"
}
changed() {
  rm -rf "$1"
  cp -a "$SRC" "$1"
  sync
}
timed() { # case run CMD...
  local name=$1 run=$2
  shift 2
  measure /dev/null "${AS_PG[@]}" "$@" || die "$name failed"
  printf '%s\t%s\t%s\n' "$name" "$run" "$WALL" >>"$RESULTS"
  if [[ $name == walnut-delta* ]]; then
    grep -o 'delta restore: .*' "$SCRATCH/stderr" | head -n1 >"$SCRATCH/$name.line" || true
  fi
}

T=$SCRATCH/target
for run in $(seq 1 "$RUNS"); do
  log "run $run of $RUNS"
  fresh "$T"
  timed walnut-full "$run" "${WALNUT_ENV[@]}" "$WALNUT" backup-fetch "$T" LATEST
  changed "$T"
  timed walnut-delta "$run" "${WALNUT_ENV[@]}" "$WALNUT" backup-fetch --delta "$T" LATEST
  changed "$T"
  timed walnut-delta-fast "$run" "${WALNUT_ENV[@]}" "$WALNUT" backup-fetch --delta-fast "$T" LATEST
  fresh "$T"
  timed pgbackrest-full "$run" "${PGBR[@]}" --pg1-path="$T" restore
  changed "$T"
  timed pgbackrest-delta "$run" "${PGBR[@]}" --pg1-path="$T" --delta restore
  changed "$T"
  timed pgbackrest-delta-force "$run" "${PGBR[@]}" --pg1-path="$T" --delta --force restore
done

med() {
  local values
  mapfile -t values < <(awk -F'\t' -v c="$1" '$1 == c { print $3 }' "$RESULTS")
  median "${values[@]}"
}
W_FULL=$(med walnut-full) W_DELTA=$(med walnut-delta) W_FAST=$(med walnut-delta-fast)
P_FULL=$(med pgbackrest-full) P_DELTA=$(med pgbackrest-delta) P_FORCE=$(med pgbackrest-delta-force)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }
mbs() { awk -v t="$1" -v b="$DATA_BYTES" 'BEGIN { if (t > 0) printf "%.0f", b / 1e6 / t; else print "-" }'; }

HEADER="restore into an existing directory: pgbench -s $SCALE --partitions $PARTITIONS ($((DATA_BYTES / 1000000)) MB), $CHANGE_PCT % of the accounts updated after the backup; Walnut's tars ${TAR_MB:-1074} MB ($WALNUT_TARS data tars); median of $RUNS
$(machine_line)
$("$WALNUT" --version 2>/dev/null | head -n1 | cut -f1-2 | tr '\t' ' '); $(pgbackrest version); scratch in $(dirname "$SCRATCH")
walnut --delta: $(cat "$SCRATCH/walnut-delta.line" 2>/dev/null)
walnut --delta-fast: $(cat "$SCRATCH/walnut-delta-fast.line" 2>/dev/null)"
render() {
  local fmt=$1
  if [[ $fmt == markdown ]]; then
    printf '| case | Walnut s | Walnut MB/s | pgBackRest s | pgBackRest MB/s | Walnut / pgBackRest speed |\n|---|---:|---:|---:|---:|---:|\n'
  else
    printf 'case\tWalnut s\tMB/s\tpgBackRest s\tMB/s\tWalnut/pgBackRest\n'
  fi
  local row
  for row in "full restore (empty directory)|$W_FULL|$P_FULL" "delta, checksums (--delta / --delta)|$W_DELTA|$P_DELTA" \
    "delta, size+mtime (--delta-fast / --delta --force)|$W_FAST|$P_FORCE"; do
    IFS='|' read -r name w p <<<"$row"
    if [[ $fmt == markdown ]]; then
      printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$w" "$(mbs "$w")" "$p" "$(mbs "$p")" "$(ratio "$p" "$w")"
    else
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$w" "$(mbs "$w")" "$p" "$(mbs "$p")" "$(ratio "$p" "$w")"
    fi
  done
  printf '\n'
  printf 'full / delta: Walnut %s (--delta), %s (--delta-fast); pgBackRest %s (--delta), %s (--delta --force)\n' \
    "$(ratio "$W_FULL" "$W_DELTA")" "$(ratio "$W_FULL" "$W_FAST")" "$(ratio "$P_FULL" "$P_DELTA")" "$(ratio "$P_FULL" "$P_FORCE")"
}
GOALS="a delta restore after a change to 5 % of the pages >= 5x faster than a full restore"
publish_results "$HEADER" "$GOALS" "$MARKDOWN" "$RESULTS" render 1
