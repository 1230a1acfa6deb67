#!/usr/bin/env bash
# Line coverage of src/ by the unit and integration tests (docs/coverage.md has the last figure).
#   1. builds Walnut with --coverage (-O0) in build-cov/,
#   2. starts its own s3rver (tests/tools/test-servers.sh) on WALNUT_TEST_S3_PORT (default 14614,
#      so it runs beside a test server on the default port), and its own Ceph RGW on 14620-14629
#      when Ceph is installed, and runs every ctest test against them,
#   3. prints gcovr's per-file table for src/ and the total, and lists the files under 70 %.
# Not part of tools/test.sh: a second full build and an -O0 test run take about as long as CI.
# Needs gcovr (tools/install-deps.sh installs it). Failed tests are reported but do not stop the
# report: their lines simply count as not covered. Outputs, in build-cov/: coverage.txt (the
# table), coverage-summary.json (gcovr's JSON summary), ctest.log.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build="$root/build-cov"
jobs=$(nproc)
export WALNUT_TEST_S3_PORT=${WALNUT_TEST_S3_PORT:-14614}
export WALNUT_TEST_STATE_DIR=${WALNUT_TEST_STATE_DIR:-$build/test-servers}
export WALNUT_IT_S3_ENDPOINT="http://127.0.0.1:$WALNUT_TEST_S3_PORT"
export WALNUT_IT_S3_BUCKET=walnut-it
# Where tests find the repository's own scripts (the libsodium oracle), whatever __FILE__ says.
export WALNUT_SOURCE_DIR="$root"
threshold=70

step() { printf '\n=== %s ===\n' "$*"; }

command -v gcovr >/dev/null || { echo "coverage: gcovr is missing; run tools/install-deps.sh" >&2; exit 1; }
[ -x node_modules/.bin/s3rver ] || { echo "coverage: s3rver is missing; run tools/install-deps.sh" >&2; exit 1; }

step "build with --coverage ($build)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DWALNUT_BUILD_BENCH=OFF \
  "-DCMAKE_CXX_FLAGS=--coverage -fprofile-update=atomic" -DCMAKE_EXE_LINKER_FLAGS=--coverage \
  -DWALNUT_TEST_RGW_DIR="$WALNUT_TEST_STATE_DIR/rgw" -DWALNUT_TEST_RGW_PORT=14620 >/dev/null
cmake --build "$build" -j "$jobs"

# The integration tests run walnut as the unprivileged user PostgreSQL runs as (archive_command,
# restore_command, tests/support/pg_cluster.cc), and every process writes its counters into the
# .gcda files beside the objects: both users must be able to create and update them.
find "$build" -name '*.gcda' -delete
find "$build" -type d -name '*.dir' -exec chmod -R a+rwX {} +
umask 000

step "tests (s3rver on port $WALNUT_TEST_S3_PORT)"
tests/tools/test-servers.sh stop >/dev/null 2>&1 || true
status=0
ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 1200 > "$build/ctest.log" 2>&1 || status=$?
tests/tools/test-servers.sh stop >/dev/null 2>&1 || true
tail -n 3 "$build/ctest.log"
if [ "$status" -ne 0 ]; then
  echo "coverage: some tests failed (their untested lines count as not covered):"
  sed -n '/The following tests FAILED/,$p' "$build/ctest.log"
fi

step "line coverage of src/"
# Counters updated by several threads at once can still come out negative for a branch (gcov then
# prints "taken -6", which gcovr refuses); line counts are unaffected, so such lines are skipped.
gcovr --root "$root" --object-directory "$build" --filter "$root/src/" -j "$jobs" --gcov-ignore-parse-errors \
  --txt "$build/coverage.txt" --json-summary "$build/coverage-summary.json" --json-summary-pretty \
  --print-summary
cat "$build/coverage.txt"

step "files under $threshold % of lines"
python3 - "$build/coverage-summary.json" "$threshold" <<'EOF'
import json, sys
summary = json.load(open(sys.argv[1]))
threshold = float(sys.argv[2])
low = [f for f in summary["files"] if f["line_total"] and f["line_percent"] < threshold]
for f in sorted(low, key=lambda f: f["line_percent"]):
    print(f"{f['line_percent']:5.1f} %  {f['line_covered']:5d} / {f['line_total']:<5d} {f['filename']}")
print(f"total: {summary['line_percent']:.1f} % of {summary['line_total']} lines; "
      f"{len(low)} files under {threshold:.0f} %")
EOF
exit 0
