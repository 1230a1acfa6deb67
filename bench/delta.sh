#!/usr/bin/env bash
# shellcheck disable=SC2016  # the SQL below holds $-free literals on purpose
# Delta-backup benchmark: after changing ~5 % of the pages of a pgbench database, the size and time
# of Walnut's delta backup against its full, against pgBackRest's incremental backup and against
# pgBackRest's block incremental (repo-block, where the installed version has it); the delta's
# size against the lz4 -1 size of exactly the pages that changed; and the restore time of a full +
# 6 deltas against a full of the same final state. One run; see bench/README.md.
#
# Changed pages are counted exactly: every main-fork page of the database whose page LSN is at or
# after the base backup's start LSN (or that is new, pd_upper = 0), which is what a delta must
# store (WAL-G's internal/databases/postgres/pagefile.go). pageinspect hands their bytes out; lz4 -1 compresses them.
set -euo pipefail
export LC_ALL=C

BENCH_NAME=delta.sh
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

SCALE=${BENCH_SCALE:-50}
ROUNDS=6
STRIDE=30
RUNS=${WALNUT_BENCH_RUNS:-3}
WORK_DIR=${WALNUT_BENCH_DIR:-/tmp/walnut-bench}
WALNUT=""
MARKDOWN=""
KEEP_SCRATCH=0
STANZA=bench

usage() {
  cat <<EOF
Usage: $0 [options]

Delta backups: Walnut's backup-push delta against pgBackRest's --type=incr (and its block
incremental), and backup-fetch of a full + $ROUNDS deltas against a full.

Options (environment variable in brackets):
  -s, --scale N        pgbench scale [BENCH_SCALE, $SCALE]; -s 1 is a smoke run (< 1 minute)
      --stride N       each round updates one row on every N-th page of pgbench_accounts, which
                       with the index entries changes ~5 % of the database's pages [$STRIDE]
  -r, --runs N         restore repetitions; the median is reported [WALNUT_BENCH_RUNS, $RUNS]
  -w, --work-dir DIR   for the results and, when /dev/shm is short, the scratch [WALNUT_BENCH_DIR, $WORK_DIR]
      --walnut PATH    the walnut binary [WALNUT_BIN; default: build-bench, build-benchrel, build]
      --markdown FILE  also write the tables as Markdown (default: WORK_DIR/delta-results.md)
      --keep-scratch   keep the cluster and the repositories after the run
  -h, --help           this text

Environment: PG_BIN (PostgreSQL 15 binaries, $PG_BIN), PG_USER ($PG_USER).
EOF
}

while (($#)); do
  case $1 in
    -s | --scale) SCALE=$2; shift 2 ;;
    --stride) STRIDE=$2; shift 2 ;;
    -r | --runs) RUNS=$2; shift 2 ;;
    -w | --work-dir) WORK_DIR=$2; shift 2 ;;
    --walnut) WALNUT=$2; shift 2 ;;
    --markdown) MARKDOWN=$2; shift 2 ;;
    --keep-scratch) KEEP_SCRATCH=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done
for n in SCALE STRIDE RUNS; do
  if ! [[ ${!n} =~ ^[0-9]+$ ]] || ((${!n} == 0)); then die "$n must be a positive whole number, not '${!n}'"; fi
done
((STRIDE > ROUNDS)) || die "--stride must be above $ROUNDS (each round changes other pages)"

WALNUT=$(find_walnut "$WALNUT")
need_tools pgbackrest lz4 perl awk du
for b in initdb pgbench psql; do
  [[ -x $PG_BIN/$b ]] || die "$PG_BIN/$b not found; install postgresql-15 or set PG_BIN"
done
id -u "$PG_USER" >/dev/null 2>&1 || die "user '$PG_USER' is missing (postgresql-15 creates it)"
for c in backup-push backup-fetch wal-push; do
  walnut_has "$WALNUT" "$c" || die "walnut $c is not implemented in $WALNUT"
done
# Block incremental came with pgBackRest 2.45 (as a beta feature); older versions lack the option.
HAVE_BLOCK=0
pgbackrest help backup 2>/dev/null | grep -q -- '--repo-block ' && HAVE_BLOCK=1
((HAVE_BLOCK)) || log "pgBackRest $(pgbackrest version) has no --repo-block: its block-incremental rows will read 'unavailable'"

mkdir -p "$WORK_DIR"
WORK_DIR=$(realpath "$WORK_DIR")
chmod 755 "$WORK_DIR"
MARKDOWN=${MARKDOWN:-$WORK_DIR/delta-results.md}
if ((EUID == 0)); then AS_PG=(runuser -u "$PG_USER" --); else AS_PG=(); fi

# The data directory (~16 MB per scale), Walnut's two fulls and six deltas, pgBackRest's three
# fulls and incrementals, and two restored copies at a time.
SCRATCH=$(scratch_dir $((512 + SCALE * 16 * 6)) walnut-bench-delta)
PGDATA=""
FINISHED=0
cleanup() {
  [[ -n $PGDATA ]] && { pg_stop "$PGDATA" immediate || true; }
  if ((!FINISHED)) && [[ -s $SCRATCH/results.tsv ]]; then cp "$SCRATCH/results.tsv" "${MARKDOWN%.md}.partial.tsv"; fi
  if ((KEEP_SCRATCH)); then log "scratch kept in $SCRATCH"; else rm -rf "$SCRATCH"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$SCRATCH"
chmod 755 "$SCRATCH"
RESULTS=$SCRATCH/results.tsv # what side round seconds bytes
: >"$RESULTS"
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }

# --- the cluster and both tools' repositories ----------------------------------------------------

echo '{}' >"$SCRATCH/walg.json"
WALNUT_ENV=("WALG_CONFIG_PATH=$SCRATCH/walg.json" "WALG_FILE_PREFIX=$SCRATCH/walnut-repo"
  WALG_COMPRESSION_METHOD=lz4 "WALG_DELTA_MAX_STEPS=$ROUNDS" "PGHOST=$SCRATCH" PGPORT=5432 PGUSER=postgres)
# archive_command: every segment to both tools (pgBackRest's archive-push stores it in each of its
# repositories). The name holds "pgbackrest": pgBackRest's backup refuses an archive_command that
# does not.
ARCHIVE_SCRIPT=$SCRATCH/archive-walnut-and-pgbackrest.sh
cat >"$ARCHIVE_SCRIPT" <<EOF
#!/bin/sh
env ${WALNUT_ENV[*]} "$WALNUT" wal-push "\$1" || exit 1
exec pgbackrest --config="$SCRATCH/pgbackrest.conf" --stanza=$STANZA archive-push "\$1"
EOF
PGDATA_PATH=$SCRATCH/data
PGBR_GLOBAL=("repo1-path=$SCRATCH/pgbr-repo")
if ((HAVE_BLOCK)); then
  PGBR_GLOBAL+=("repo2-path=$SCRATCH/pgbr-block-repo" repo2-retention-full=9999999 repo2-bundle=y repo2-block=y)
  # 2.45 asks for beta=y before it takes repo-block (later versions have no beta option).
  if pgbackrest help backup beta 2>/dev/null | grep -q 'Allow beta features'; then PGBR_GLOBAL+=(beta=y); fi
fi
pgbackrest_conf "$SCRATCH/pgbackrest.conf" "$SCRATCH" "$STANZA" "$PGDATA_PATH" "${PGBR_GLOBAL[@]}"
chmod 755 "$ARCHIVE_SCRIPT"
chmod 644 "$SCRATCH/walg.json"
chown "$PG_USER" "$SCRATCH"

log "initdb + pgbench -i -s $SCALE in $SCRATCH"
"${AS_PG[@]}" "$PG_BIN/initdb" -D "$PGDATA_PATH" -U postgres -A trust -E UTF8 --locale=C -k --no-sync \
  >"$SCRATCH/initdb.log" 2>&1 || die "initdb failed; see $SCRATCH/initdb.log"
PGDATA=$PGDATA_PATH
# No autovacuum and no timed checkpoints: only the benchmark's own changes touch pages.
pg_start "$PGDATA" "$SCRATCH" "$SCRATCH/server.log" autovacuum=off archive_mode=on wal_level=replica \
  "archive_command='$ARCHIVE_SCRIPT %p'" max_wal_size=8GB checkpoint_timeout=1h
sql() { psql_at "$SCRATCH" "$1"; }
"${AS_PG[@]}" pgbackrest --config="$SCRATCH/pgbackrest.conf" --stanza=$STANZA stanza-create >/dev/null ||
  die "pgbackrest stanza-create failed"
"${AS_PG[@]}" "$PG_BIN/pgbench" -i -q -s "$SCALE" -h "$SCRATCH" -p 5432 -U postgres postgres >"$SCRATCH/load.log" 2>&1 ||
  die "pgbench -i failed; see $SCRATCH/load.log"
sql "CREATE EXTENSION pageinspect" >/dev/null
# Hint bits and the visibility map set now, so that reading rows later does not dirty pages.
sql "VACUUM (FREEZE, ANALYZE)" >/dev/null
sql "CHECKPOINT" >/dev/null

# --- one backup or restore of each kind ------------------------------------------------------------

walnut_names() {
  [[ -d $SCRATCH/walnut-repo/basebackups_005 ]] || return 0
  find "$SCRATCH/walnut-repo/basebackups_005" -maxdepth 1 -name '*_backup_stop_sentinel.json' -printf '%f\n' | sed 's/_backup_stop_sentinel.json$//' | sort
}

# walnut_push [ARGS]: sets WALL, NAME (the new backup) and BYTES (what it stores).
walnut_push() {
  local before
  before=$(walnut_names)
  measure /dev/null "${AS_PG[@]}" env "${WALNUT_ENV[@]}" "$WALNUT" backup-push "$@" "$PGDATA" ||
    die "walnut backup-push $* failed"
  NAME=$(comm -13 <(echo "$before") <(walnut_names) | tail -n1)
  [[ -n $NAME ]] || die "walnut backup-push $* made no backup"
  BYTES=$(du -sbc "$SCRATCH/walnut-repo/basebackups_005/$NAME" "$SCRATCH/walnut-repo/basebackups_005/${NAME}_backup_stop_sentinel.json" | tail -n1 | cut -f1)
}
walnut_lsn() { grep -o '"LSN":[0-9]*' "$SCRATCH/walnut-repo/basebackups_005/${1}_backup_stop_sentinel.json" | head -n1 | cut -d: -f2; }

# pgbr_backup REPO TYPE: sets WALL, LABEL and BYTES.
pgbr_backup() {
  local path
  path=$(sed -n "s/^repo$1-path=//p" "$SCRATCH/pgbackrest.conf")
  measure /dev/null "${AS_PG[@]}" pgbackrest --config="$SCRATCH/pgbackrest.conf" --stanza=$STANZA \
    --repo="$1" --type="$2" backup || die "pgbackrest --repo=$1 --type=$2 backup failed"
  LABEL=$(find "$path/backup/$STANZA" -mindepth 1 -maxdepth 1 -type d -name '2*' -printf '%f\n' | sort | tail -n1)
  BYTES=$(du -sb "$path/backup/$STANZA/$LABEL" | cut -f1)
}

fresh_dir() { rm -rf "$1" && mkdir -p "$1" && chown "$PG_USER" "$1" && chmod 700 "$1"; }

# change_pages ROUND: one row on every STRIDE-th page of pgbench_accounts (a different page set
# each round); the new row versions and their index entries change more pages.
change_pages() {
  sql "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE ctid = ANY (ARRAY(
         SELECT format('(%s,1)', b)::tid FROM generate_series($1, (pg_relation_size('pgbench_accounts') / 8192)::int - 1, $STRIDE) b))" >/dev/null
  sql "CHECKPOINT" >/dev/null
}

# changed_pages LSN OUT: writes every main-fork page of the database's relations (outside
# pg_global) whose LSN is >= LSN or that is new into OUT; sets PAGES and TOTAL_PAGES.
changed_pages() {
  local from="'0/0'::pg_lsn + $1"
  sql "SELECT encode(p, 'hex') FROM (
         SELECT get_raw_page(c.oid::regclass::text, 'main', b) AS p
         FROM pg_class c, generate_series(0, (pg_relation_size(c.oid) / 8192)::int - 1) b
         WHERE c.relkind IN ('r', 'i', 't', 'm', 'S') AND c.relpersistence = 'p'
           AND c.reltablespace <> (SELECT oid FROM pg_tablespace WHERE spcname = 'pg_global')) s
       WHERE (page_header(p)).lsn >= $from OR (page_header(p)).upper = 0" |
    perl -ne 'chomp; print pack("H*", $_)' >"$2"
  PAGES=$(($(stat -c %s "$2") / 8192))
  TOTAL_PAGES=$(sql "SELECT sum(pg_relation_size(oid) / 8192) FROM pg_class WHERE relkind IN ('r', 'i', 't', 'm', 'S')
                     AND relpersistence = 'p' AND reltablespace <> (SELECT oid FROM pg_tablespace WHERE spcname = 'pg_global')")
}

START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
START_TIME=$(date +%s)

# --- fulls, then ROUNDS rounds of (change ~5 %, delta / incr) ------------------------------------

log "full backups"
walnut_push
record full walnut 0 "$WALL" "$BYTES"
BASE=$NAME
pgbr_backup 1 full
record full pgbackrest 0 "$WALL" "$BYTES"
if ((HAVE_BLOCK)); then
  pgbr_backup 2 full
  record full pgbackrest-block 0 "$WALL" "$BYTES"
fi

for ((round = 1; round <= ROUNDS; round++)); do
  change_pages "$round"
  changed_pages "$(walnut_lsn "$BASE")" "$SCRATCH/pages.bin"
  lz4 -1 -q -c "$SCRATCH/pages.bin" >"$SCRATCH/pages.bin.lz4"
  record pages changed "$round" 0 "$((PAGES * 8192))"
  record pages total "$round" 0 "$((TOTAL_PAGES * 8192))"
  record pages lz4 "$round" 0 "$(stat -c %s "$SCRATCH/pages.bin.lz4")"
  log "round $round: $PAGES of $TOTAL_PAGES pages changed ($((PAGES * 100 / TOTAL_PAGES)) %)"
  # The tools take turns going first.
  sides=(walnut pgbackrest pgbackrest-block)
  ((round % 2)) || sides=(pgbackrest-block pgbackrest walnut)
  for side in "${sides[@]}"; do
    case $side in
      walnut)
        walnut_push
        [[ $NAME == *_D_* ]] || die "walnut made a full backup ($NAME) where a delta of $BASE was due: does $WALNUT take delta backups (WALG_DELTA_MAX_STEPS)?"
        BASE=$NAME
        ;;
      pgbackrest) pgbr_backup 1 incr ;;
      pgbackrest-block)
        ((HAVE_BLOCK)) || continue
        pgbr_backup 2 incr
        ;;
    esac
    record delta "$side" "$round" "$WALL" "$BYTES"
  done
done
CHAIN=$NAME
CHAIN_LABEL=$(find "$SCRATCH/pgbr-repo/backup/$STANZA" -mindepth 1 -maxdepth 1 -type d -name '*I' -printf '%f\n' | sort | tail -n1)

log "full backups of the final state"
walnut_push --full
[[ $NAME != *_D_* ]] || die "walnut backup-push --full made a delta ($NAME)"
record final-full walnut 0 "$WALL" "$BYTES"
FINAL_FULL=$NAME
pgbr_backup 1 full
record final-full pgbackrest 0 "$WALL" "$BYTES"
FINAL_LABEL=$LABEL
pg_stop "$PGDATA"
PGDATA=""

# --- restores: full + ROUNDS deltas against a full, interleaved, RUNS times ------------------------
# Both tools at their defaults, which fsync every restored file (Walnut: WALG_TAR_DISABLE_FSYNC
# unset; pgBackRest always syncs).

restore() { # side dest
  case $1 in
    walnut-chain) measure /dev/null "${AS_PG[@]}" env "${WALNUT_ENV[@]}" "$WALNUT" backup-fetch "$2" "$CHAIN" ;;
    walnut-full) measure /dev/null "${AS_PG[@]}" env "${WALNUT_ENV[@]}" "$WALNUT" backup-fetch "$2" "$FINAL_FULL" ;;
    pgbackrest-chain) measure /dev/null "${AS_PG[@]}" pgbackrest --config="$SCRATCH/pgbackrest.conf" --stanza=$STANZA \
      --repo=1 --set="$CHAIN_LABEL" --pg1-path="$2" restore ;;
    pgbackrest-full) measure /dev/null "${AS_PG[@]}" pgbackrest --config="$SCRATCH/pgbackrest.conf" --stanza=$STANZA \
      --repo=1 --set="$FINAL_LABEL" --pg1-path="$2" restore ;;
  esac || die "restore $1 failed"
}
RESTORE_SIDES=(walnut-chain walnut-full pgbackrest-chain pgbackrest-full)
for ((run = 1; run <= RUNS; run++)); do
  rotate=$(((run - 1) % ${#RESTORE_SIDES[@]}))
  for side in "${RESTORE_SIDES[@]:rotate}" "${RESTORE_SIDES[@]:0:rotate}"; do
    fresh_dir "$SCRATCH/restore-$side"
    restore "$side" "$SCRATCH/restore-$side"
    record restore "$side" "$run" "$WALL" 0
    # The chain must give the full's relation files byte for byte (nothing changed in between).
    if ((run == 1)) && [[ -d $SCRATCH/restore-walnut-chain && -d $SCRATCH/restore-walnut-full ]]; then
      DIFFERING=$(diff -rq "$SCRATCH/restore-walnut-chain/base" "$SCRATCH/restore-walnut-full/base" | wc -l || true)
      ((DIFFERING == 0)) || log "WARNING: $DIFFERING files in base/ differ between walnut's chain and full restores"
      rm -rf "$SCRATCH/restore-walnut-chain" "$SCRATCH/restore-walnut-full"
    fi
    [[ $side == pgbackrest-* ]] && rm -rf "$SCRATCH/restore-$side"
  done
  rm -rf "$SCRATCH"/restore-*
done
END_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$(($(date +%s) - START_TIME))

# --- report ------------------------------------------------------------------------------------

HEADER="$("$WALNUT" --version 2>/dev/null | head -n1 | cut -f1-2 | tr '\t' ' ' || true); $(pgbackrest version); $(lz4 --version 2>&1 | sed -n 's/.* v\([0-9.]*\),.*/lz4 \1/p')
$(machine_line | sed "s/load average .*/load average $START_LOAD at start, $END_LOAD at end; ${ELAPSED}s/")
data: pgbench -i -s $SCALE, PostgreSQL 15 with data checksums, autovacuum off; each round updates one row on every ${STRIDE}th page of pgbench_accounts
storage: local directories in $(df -P "$SCRATCH" | awk 'NR == 2 { print $1 }'); MB = 10^6 bytes stored (du); restores: median of $RUNS runs, both tools fsync
Walnut: backup-push lz4, WALG_DELTA_MAX_STEPS=$ROUNDS, defaults otherwise; pgBackRest: compress-type=lz4 (level 1), process-max=2, start-fast=y;
  block incremental: a second repository with repo-bundle=y repo-block=y$( ((HAVE_BLOCK)) || echo ' (unavailable in this version)')"

# REPORT lines: label<TAB>value<TAB>note; then the goals.
REPORT=$(awk -F'\t' -v rounds="$ROUNDS" -v runs="$RUNS" -v have_block="$HAVE_BLOCK" '
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  $1 == "restore" { r[$2] = r[$2] " " $4; rr[$2, $3] = $4; next }
  $1 == "pages" { p[$2, $3] = $5; if ($2 == "changed") { pc += $5 } else if ($2 == "lz4") { pl += $5 } else { pt += $5 }; next }
  { t[$1, $2, $3] = $4; b[$1, $2, $3] = $5; if ($1 == "delta") { sb[$2] += $5; st[$2] += $4 } }
  function mb(x) { return sprintf("%.1f", x / 1e6) }
  function row(what, side, secs, bytes, note) { printf "%s\t%s\t%s\t%s\t%s\n", what, side, secs, bytes, note }
  END {
    row("what", "side", "seconds", "stored MB", "note")
    split("walnut pgbackrest pgbackrest-block", sides, " ")
    for (i = 1; i <= 3; i++) {
      s = sides[i]
      if (s == "pgbackrest-block" && !have_block) { row("full backup", s, "unavailable", "unavailable", "no --repo-block"); continue }
      row("full backup", s, sprintf("%.2f", t["full", s, 0]), mb(b["full", s, 0]), "")
    }
    for (i = 1; i <= 3; i++) {
      s = sides[i]
      if (s == "pgbackrest-block" && !have_block) { row("delta, round 1", s, "unavailable", "unavailable", "no --repo-block"); continue }
      row("delta, round 1", s, sprintf("%.2f", t["delta", s, 1]), mb(b["delta", s, 1]),
          sprintf("%.1f%% of its full; %.2fx Walnut", 100 * b["delta", s, 1] / b["full", s, 0], b["delta", s, 1] / b["delta", "walnut", 1]))
    }
    for (i = 1; i <= 3; i++) {
      s = sides[i]
      if (s == "pgbackrest-block" && !have_block) continue
      row("deltas, mean of " rounds, s, sprintf("%.2f", st[s] / rounds), mb(sb[s] / rounds), sprintf("%.2fx Walnut", sb[s] / sb["walnut"]))
    }
    row("changed pages, round 1", "-", "-", mb(p["changed", 1]), sprintf("%d of %d pages (%.1f%%); lz4 -1: %s MB", p["changed", 1] / 8192, p["total", 1] / 8192, 100 * p["changed", 1] / p["total", 1], mb(p["lz4", 1])))
    row("changed pages, mean of " rounds, "-", "-", mb(pc / rounds), sprintf("%.1f%% of the pages; lz4 -1: %s MB", 100 * pc / pt, mb(pl / rounds)))
    row("final full backup", "walnut", sprintf("%.2f", t["final-full", "walnut", 0]), mb(b["final-full", "walnut", 0]), "")
    row("final full backup", "pgbackrest", sprintf("%.2f", t["final-full", "pgbackrest", 0]), mb(b["final-full", "pgbackrest", 0]), "")
    wc = median(r["walnut-chain"]); wf = median(r["walnut-full"]); pcn = median(r["pgbackrest-chain"]); pf = median(r["pgbackrest-full"])
    # The same run restored both (interleaved, so under the same load): the median of those ratios.
    for (i = 1; i <= runs; i++) { pw = pw " " rr["walnut-chain", i] / rr["walnut-full", i]; pp = pp " " rr["pgbackrest-chain", i] / rr["pgbackrest-full", i] }
    wr = median(pw); pr = median(pp)
    row("restore full + " rounds " deltas", "walnut", sprintf("%.2f", wc), "-", sprintf("%.2fx its full restore (per run: %.2fx)", wc / wf, wr))
    row("restore full", "walnut", sprintf("%.2f", wf), "-", "")
    row("restore full + " rounds " incrs", "pgbackrest", sprintf("%.2f", pcn), "-", sprintf("%.2fx its full restore (per run: %.2fx); %.2fx Walnut'"'"'s chain", pcn / pf, pr, pcn / wc))
    row("restore full", "pgbackrest", sprintf("%.2f", pf), "-", sprintf("%.2fx Walnut", pf / wf))
    g1 = b["delta", "walnut", 1] / p["lz4", 1]; g1m = sb["walnut"] / pl
    printf "GOAL\tdelta size / lz4 -1 of the changed pages: %.2f in round 1, %.2f over all %d rounds (goal <= 1.2): %s\n", g1, g1m, rounds, (g1 <= 1.2 && g1m <= 1.2) ? "met" : "NOT met"
    printf "GOAL\trestore of full + %d deltas / restore of a full: %.2f, median of the runs'"'"' own ratios %.2f (goal <= 1.3): %s\n", rounds, wc / wf, wr, (wc / wf <= 1.3 && wr <= 1.3) ? "met" : "NOT met"
  }' "$RESULTS")

render() { # text|markdown
  if [[ $1 == text ]]; then
    grep -v '^GOAL' <<<"$REPORT" | align_columns 2
    return
  fi
  grep -v '^GOAL' <<<"$REPORT" | awk -F'\t' '
    { s = "|"; for (i = 1; i <= NF; i++) s = s " " $i " |"; print s; if (NR == 1) print "| --- | --- | ---: | ---: | --- |" }'
}
GOALS=$(grep '^GOAL' <<<"$REPORT" | cut -f2-)

publish_results "$HEADER" "$GOALS" "$MARKDOWN" "$RESULTS" render
FINISHED=1
