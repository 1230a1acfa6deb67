#!/usr/bin/env bash
# The main job: a restore drill. On a fresh Debian 12 (as root) it installs the dependencies,
# builds Walnut (Release), starts a throwaway PostgreSQL 15 that archives its WAL through
# `walnut wal-push` into a local directory, loads pgbench data, takes a `walnut backup-push`,
# makes changes, notes the time, makes more changes, then runs `walnut drill --target-time` (restore,
# recovery through `walnut wal-fetch`, pg_amcheck, pg_checksums) with a checksum query whose output
# must equal the one taken at that time on the primary.
#
# Prints a short report and writes it as JSON (WORK_DIR/report.json). Exit 0 only when the
# restored data matched; 1 when it did not or a step failed.
set -euo pipefail
export LC_ALL=C

BENCH_NAME=drill.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib/common.sh
source "$ROOT/bench/lib/common.sh"

WORK_DIR=${WALNUT_DRILL_DIR:-/tmp/walnut-drill}
BUILD_DIR=${WALNUT_DRILL_BUILD_DIR:-$ROOT/build-release}
SCALE=${WALNUT_DRILL_SCALE:-10}
WALNUT=""
SKIP_DEPS=0
SKIP_BUILD=0
KEEP=0

usage() {
  cat <<EOF
Usage: $0 [options]

Backs up a throwaway PostgreSQL 15 with Walnut, restores it to a point in time and checks the data.

Options (environment variable in brackets):
  -s, --scale N        pgbench scale of the data [WALNUT_DRILL_SCALE, $SCALE]
  -w, --work-dir DIR   clusters, storage, logs and report.json [WALNUT_DRILL_DIR, $WORK_DIR]
      --build-dir DIR  where to build Walnut (Release) [WALNUT_DRILL_BUILD_DIR, $BUILD_DIR]
      --walnut PATH    use this walnut binary: no dependency install, no build
      --skip-deps      do not run tools/install-deps.sh
      --skip-build     do not build; use BUILD_DIR/src/walnut
      --keep           keep the data directories and the storage (default: only logs and report)
  -h, --help           this text
EOF
}

while (($#)); do
  case $1 in
    -s | --scale) SCALE=$2; shift 2 ;;
    -w | --work-dir) WORK_DIR=$2; shift 2 ;;
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --walnut) WALNUT=$2; SKIP_DEPS=1; SKIP_BUILD=1; shift 2 ;;
    --skip-deps) SKIP_DEPS=1; shift ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done
if ! [[ $SCALE =~ ^[0-9]+$ ]] || ((SCALE == 0)); then die "--scale must be a positive whole number, not '$SCALE'"; fi

DRILL_START=$(now_ns)
declare -A DURATION
phase_start() { PHASE_T0=$(now_ns); log "$1"; }
phase_end() { DURATION[$1]=$(seconds_since "$PHASE_T0"); }

# --- 1. dependencies and build -------------------------------------------------------------------

if ((!SKIP_DEPS)); then
  if ((EUID == 0)); then
    phase_start "installing dependencies (tools/install-deps.sh)"
    "$ROOT/tools/install-deps.sh"
    phase_end deps
  else
    log "not root: skipping tools/install-deps.sh (run it as root once, or pass --skip-deps)"
  fi
fi
if ((!SKIP_BUILD)); then
  phase_start "building walnut (Release) in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >"${TMPDIR:-/tmp}/walnut-drill-cmake.log" 2>&1 ||
    die "cmake failed; see ${TMPDIR:-/tmp}/walnut-drill-cmake.log"
  cmake --build "$BUILD_DIR" --target walnut || die "the build failed"
  phase_end build
fi
[[ -n $WALNUT ]] || WALNUT=$BUILD_DIR/src/walnut
[[ -x $WALNUT ]] || die "walnut binary not found at $WALNUT"
for c in wal-push wal-fetch backup-push backup-fetch drill; do
  walnut_has "$WALNUT" "$c" || die "walnut $c is not implemented in $WALNUT: the drill needs it"
done
for b in initdb pg_ctl psql pgbench pg_amcheck pg_checksums; do
  [[ -x $PG_BIN/$b ]] || die "$PG_BIN/$b not found; install postgresql-15 (tools/install-deps.sh) or set PG_BIN"
done
((EUID != 0)) || id -u "$PG_USER" >/dev/null 2>&1 || die "user '$PG_USER' is missing (postgresql-15 creates it)"

# --- 2. the work directory -----------------------------------------------------------------------
# Everything PostgreSQL or Walnut (run by PostgreSQL) touches belongs to the cluster's user.

PRIMARY_UP=0
cleanup() {
  ((PRIMARY_UP)) && { pg_stop "$WORK_DIR/primary" immediate || true; }
  if ((!KEEP)) && [[ -d $WORK_DIR ]]; then rm -rf "$WORK_DIR/primary" "$WORK_DIR/restored" "$WORK_DIR/storage"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK_DIR"
WORK_DIR=$(realpath "$WORK_DIR")
for d in primary restored storage bin sock logs dumps report.json; do rm -rf "${WORK_DIR:?}/$d"; done
mkdir -p "$WORK_DIR"/{storage,bin,sock,logs,dumps,primary}
chmod 755 "$WORK_DIR"
chmod 700 "$WORK_DIR/primary"
# A copy PostgreSQL's user can execute wherever the source tree lives.
install -m 755 "$WALNUT" "$WORK_DIR/bin/walnut"
((EUID == 0)) && chown -R "$PG_USER" "$WORK_DIR"/{storage,sock,logs,dumps,primary}
W=$WORK_DIR/bin/walnut
STORAGE=$WORK_DIR/storage
SOCK=$WORK_DIR/sock
# An empty config file: no ~/.walg.json of the cluster's user changes what the drill does.
echo '{}' >"$WORK_DIR/bin/walg.json"
chmod 644 "$WORK_DIR/bin/walg.json"
WALNUT_ENV="WALG_FILE_PREFIX=$STORAGE WALG_COMPRESSION_METHOD=lz4 WALG_CONFIG_PATH=$WORK_DIR/bin/walg.json"
walnut_pg() { as_pg env WALG_FILE_PREFIX="$STORAGE" WALG_COMPRESSION_METHOD=lz4 WALG_CONFIG_PATH="$WORK_DIR/bin/walg.json" \
  PGHOST="$SOCK" PGPORT=5432 PGUSER=postgres "$W" "$@"; }
sql() { psql_at "$SOCK" "$1"; }

# --- 3. the primary: archives through walnut wal-push --------------------------------------------

phase_start "starting PostgreSQL 15 in $WORK_DIR/primary (data checksums, archive_command = walnut wal-push)"
as_pg "$PG_BIN/initdb" -D "$WORK_DIR/primary" -U postgres -A trust -E UTF8 --locale=C -k \
  >"$WORK_DIR/logs/initdb.log" 2>&1 || die "initdb failed; see $WORK_DIR/logs/initdb.log"
pg_start "$WORK_DIR/primary" "$SOCK" "$WORK_DIR/logs/primary.log" wal_level=replica archive_mode=on \
  "archive_command='$WALNUT_ENV $W wal-push %p'" archive_timeout=0
PRIMARY_UP=1
phase_end setup

phase_start "loading pgbench -i -s $SCALE"
as_pg "$PG_BIN/pgbench" -i -q -s "$SCALE" -h "$SOCK" -p 5432 -U postgres postgres >"$WORK_DIR/logs/pgbench.log" 2>&1 ||
  die "pgbench -i failed; see $WORK_DIR/logs/pgbench.log"
# No serial column: a sequence comes back from recovery up to 32 values ahead (it is WAL-logged
# ahead), which a comparison of dumps would show as a difference.
sql "CREATE TABLE drill_marker (id int PRIMARY KEY, phase text, at timestamptz DEFAULT now())"
sql "INSERT INTO drill_marker (id, phase) VALUES (1, 'loaded')"
DATA_BYTES=$(sql "SELECT sum(pg_database_size(oid)) FROM pg_database")
phase_end load

# --- 4. backup-push ------------------------------------------------------------------------------

phase_start "walnut backup-push $WORK_DIR/primary"
walnut_pg backup-push "$WORK_DIR/primary" >"$WORK_DIR/logs/backup-push.log" 2>&1 ||
  die "walnut backup-push failed: $(tail -n 3 "$WORK_DIR/logs/backup-push.log")"
phase_end backup_push
BACKUP_NAME=$(find "$STORAGE/basebackups_005" -maxdepth 1 -name '*_backup_stop_sentinel.json' -printf '%f\n' |
  sed 's/_backup_stop_sentinel.json$//' | sort | tail -n1)
[[ -n $BACKUP_NAME ]] || die "backup-push left no sentinel in $STORAGE/basebackups_005"
BACKUP_BYTES=$(du -sb "$STORAGE/basebackups_005" | awk '{ print $1 }')

# --- 5. changes, the target time, more changes -------------------------------------------------

# A digest of the data that recovery must bring back exactly.
CHECK_SQL="SELECT (SELECT count(*) || ':' || sum(abalance) FROM pgbench_accounts) || '|' ||
  (SELECT count(*) || ':' || sum(bbalance) FROM pgbench_branches) || '|' ||
  (SELECT count(*) || ':' || sum(tbalance) FROM pgbench_tellers) || '|' ||
  (SELECT count(*) || ':' || coalesce(md5(string_agg(aid || ',' || delta || ',' || mtime, ';' ORDER BY mtime, aid, delta)), '') FROM pgbench_history) || '|' ||
  (SELECT count(*) || ':' || md5(string_agg(id || phase, ';' ORDER BY id)) FROM drill_marker)"

phase_start "changes before the target time (pgbench, 5 s), then the target time"
as_pg "$PG_BIN/pgbench" -T 5 -c 2 -h "$SOCK" -p 5432 -U postgres postgres >>"$WORK_DIR/logs/pgbench.log" 2>&1 ||
  die "pgbench failed; see $WORK_DIR/logs/pgbench.log"
sql "INSERT INTO drill_marker (id, phase) VALUES (2, 'before target')"
sql "DELETE FROM pgbench_accounts WHERE aid % 1000 = 0"
sleep 1
# Nothing commits between here and the changes below: the state now is the state at the target.
TARGET_TIME=$(sql "SELECT now()")
EXPECTED=$(sql "$CHECK_SQL")
sleep 1
phase_end changes_before

phase_start "changes after the target time (pgbench, 5 s; a dropped table), archiving the last segment"
as_pg "$PG_BIN/pgbench" -T 5 -c 2 -h "$SOCK" -p 5432 -U postgres postgres >>"$WORK_DIR/logs/pgbench.log" 2>&1 ||
  die "pgbench failed; see $WORK_DIR/logs/pgbench.log"
sql "INSERT INTO drill_marker (id, phase) VALUES (3, 'after target')"
sql "DROP TABLE pgbench_tellers"
LAST_WAL=$(sql "SELECT pg_walfile_name(pg_switch_wal())")
deadline=$((SECONDS + 120))
until [[ $(sql "SELECT coalesce(last_archived_wal, '') >= '$LAST_WAL' FROM pg_stat_archiver") == t ]]; do
  ((SECONDS < deadline)) || die "PostgreSQL did not archive $LAST_WAL within 2 minutes; see $WORK_DIR/logs/primary.log"
  sleep 0.2
done
ARCHIVED=$(sql "SELECT archived_count || ' ' || failed_count FROM pg_stat_archiver")
pg_stop "$WORK_DIR/primary" fast || die "the primary did not stop"
PRIMARY_UP=0
WAL_COUNT=$(find "$STORAGE/wal_005" -type f -name '[0-9A-F]*' | wc -l)
WAL_BYTES=$(du -sb "$STORAGE/wal_005" | awk '{ print $1 }')
phase_end changes_after

# --- 6. walnut drill: restore, point-in-time recovery and the checks ----------------------------
# `walnut drill` restores the backup into a scratch directory, recovers it to the target time with a
# private PostgreSQL (no TCP; restore_command = walnut wal-fetch), runs pg_amcheck, a query per
# database and our check SQL, whose output must equal what the primary gave at the target time,
# stops it and runs pg_checksums; it removes the scratch directory unless --keep.

printf '%s;\n' "$CHECK_SQL" >"$WORK_DIR/dumps/check.sql"
printf '%s\n' "$EXPECTED" >"$WORK_DIR/dumps/expected.txt"
chmod 644 "$WORK_DIR/dumps/check.sql" "$WORK_DIR/dumps/expected.txt"
DRILL_ARGS=(drill "$BACKUP_NAME" --target-time "$TARGET_TIME" --dir "$WORK_DIR/restored"
  --sql "$WORK_DIR/dumps/check.sql" --expect "$WORK_DIR/dumps/expected.txt"
  --report "$WORK_DIR/logs/drill.json" --timeout 30m)
((KEEP)) && DRILL_ARGS+=(--keep)
((EUID == 0)) && DRILL_ARGS+=(--os-user "$PG_USER")
phase_start "walnut drill $BACKUP_NAME --target-time '$TARGET_TIME' --sql/--expect (the data of that moment)"
DRILL_OK=1
env WALG_FILE_PREFIX="$STORAGE" WALG_COMPRESSION_METHOD=lz4 WALG_CONFIG_PATH="$WORK_DIR/bin/walg.json" \
  "$W" "${DRILL_ARGS[@]}" >"$WORK_DIR/logs/drill.log" 2>&1 || DRILL_OK=0
phase_end drill
[[ -s $WORK_DIR/logs/drill.json ]] || die "walnut drill wrote no report: $(tail -n 3 "$WORK_DIR/logs/drill.log")"
DJ=$WORK_DIR/logs/drill.json
jget() { jq -r "$1" "$DJ"; }
RESTORED_BYTES=$(jget '.restored_bytes')
SEGMENTS_FETCHED=$(jget '.wal_files_fetched')
RECOVERED_TO=$(jget '.recovered_to // ""')
DURATION[backup_fetch]=$(jget '.phases.fetch.seconds // 0')
DURATION[recovery]=$(jget '.phases.recovery.seconds // 0')
DURATION[verify]=$(jget '((.phases.checks.seconds // 0) + (.phases.checksums.seconds // 0))')
QUERY_MATCHED=$(jget '.checks.sql.ok // false')
CHECKS=$(jget '.checks | to_entries | map(.key + " " + (if .value.ok then "ok" else "FAILED" end)) | join(", ")')
ERRORS=$(jget '.errors | join("; ")')
MATCHED=false
[[ $DRILL_OK == 1 && $(jget '.success') == true && $QUERY_MATCHED == true ]] && MATCHED=true
TOTAL=$(seconds_since "$DRILL_START")

# --- 7. the report -------------------------------------------------------------------------------

mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
VERSION=$("$W" --version 2>/dev/null | head -n1 | cut -f1-2 | tr '\t' ' ')
{
  echo
  echo "Walnut restore drill — $VERSION, $("$PG_BIN/postgres" --version)"
  echo "  data:        pgbench -i -s $SCALE, $(mb "$DATA_BYTES") in databases"
  echo "  backup:      $BACKUP_NAME, $(mb "$BACKUP_BYTES") stored (lz4), backup-push ${DURATION[backup_push]} s"
  echo "  WAL:         $WAL_COUNT files archived by wal-push, $(mb "$WAL_BYTES") stored; archiver: ${ARCHIVED% *} archived, ${ARCHIVED#* } failed"
  echo "  restore:     walnut drill: backup-fetch ${DURATION[backup_fetch]} s ($(mb "$RESTORED_BYTES")), recovery ${DURATION[recovery]} s ($SEGMENTS_FETCHED WAL files through wal-fetch)"
  echo "  target time: $TARGET_TIME; recovered to the last transaction at ${RECOVERED_TO:-unknown}"
  echo "  RTO / RPO:   $(jget '.rto_seconds // "?"') s / $(jget '.rpo_seconds // "?"') s"
  echo "  checks:      ${CHECKS:-none}"
  echo "  checksums:   $([[ $QUERY_MATCHED == true ]] && echo "match" || echo "DIFFER (see $WORK_DIR/logs/drill.log)")"
  [[ -z $ERRORS ]] || echo "  errors:      $ERRORS"
  echo "  phases (s):  $(for p in deps build setup load backup_push changes_before changes_after drill; do
    [[ -n ${DURATION[$p]:-} ]] && printf '%s %s, ' "$p" "${DURATION[$p]}"; done | sed 's/, $//')"
  echo "  total:       $TOTAL s"
  echo "  result:      $([[ $MATCHED == true ]] && echo "MATCHED: the restored cluster equals the primary at the target time" || echo "NOT MATCHED")"
} | tee "$WORK_DIR/report.txt"

json_str() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
{
  echo "{"
  echo "  \"walnut_version\": $(json_str "$VERSION"),"
  echo "  \"finished_at\": $(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)"),"
  echo "  \"pgbench_scale\": $SCALE,"
  echo "  \"data_bytes\": $DATA_BYTES,"
  echo "  \"backup_name\": $(json_str "$BACKUP_NAME"),"
  echo "  \"backup_bytes\": $BACKUP_BYTES,"
  echo "  \"wal_files_archived\": $WAL_COUNT,"
  echo "  \"wal_bytes\": $WAL_BYTES,"
  echo "  \"restored_bytes\": $RESTORED_BYTES,"
  echo "  \"wal_files_fetched\": $SEGMENTS_FETCHED,"
  echo "  \"target_time\": $(json_str "$TARGET_TIME"),"
  echo "  \"recovered_to\": $(json_str "${RECOVERED_TO:-}"),"
  echo "  \"durations_seconds\": {"
  first=1
  for p in deps build setup load backup_push changes_before changes_after backup_fetch recovery verify drill; do
    [[ -n ${DURATION[$p]:-} ]] || continue
    ((first)) || echo ","
    printf '    "%s": %s' "$p" "${DURATION[$p]}"
    first=0
  done
  echo
  echo "  },"
  echo "  \"total_seconds\": $TOTAL,"
  echo "  \"checksum_query_matched\": $QUERY_MATCHED,"
  echo "  \"matched\": $MATCHED,"
  echo "  \"drill\": $(cat "$DJ"),"
  echo "  \"work_dir\": $(json_str "$WORK_DIR")"
  echo "}"
} >"$WORK_DIR/report.json"
jq -e . "$WORK_DIR/report.json" >/dev/null || die "report.json is not valid JSON"
echo "  report:      $WORK_DIR/report.json"
[[ $MATCHED == true ]] || exit 1
