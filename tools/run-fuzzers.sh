#!/usr/bin/env bash
# Usage: run-fuzzers.sh [--unit-tests] [SECONDS]
# Builds the libFuzzer targets (tests/fuzz/*_fuzz.cc) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer and runs each for SECONDS (default 30). A crash, a leak or a sanitizer
# report fails the run; the reproducer is left in build-fuzz/artifacts/.
# --unit-tests: first builds the unit tests in the same build and runs them (ctest -L unit), so
# one sanitizer build serves both (CI does this: tools/test.sh).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
unit_tests=0
if [ "${1:-}" = --unit-tests ]; then
  unit_tests=1
  shift
fi
seconds=${1:-30}
build="$root/build-fuzz"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 -DWALNUT_BUILD_FUZZ=ON -DWALNUT_BUILD_TESTS=ON \
  -DWALNUT_BUILD_INTEGRATION_TESTS=OFF -DWALNUT_BUILD_BENCH=OFF >/dev/null
if [ "$unit_tests" = 1 ]; then
  cmake --build "$build" -j "$(nproc)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$build" --output-on-failure -j "$(nproc)" -L unit --timeout 900
fi
targets=()
for source in "$root"/tests/fuzz/*_fuzz.cc; do
  [ -e "$source" ] || continue
  targets+=("$(basename "$source" .cc)")
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "no fuzz targets"
  exit 0
fi
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"

mkdir -p "$build/artifacts"
# One target per core at a time (each fuzzer is one process on one core): the same seconds per
# target in less wall time.
run_target() {
  local target=$1
  local corpus="$build/corpus/$target"
  local seeds="$root/tests/fuzz/seeds/$target"
  local rc=0
  mkdir -p "$corpus"
  "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$build/artifacts/$target-" -print_final_stats=1 \
    "$corpus" $( [ -d "$seeds" ] && echo "$seeds" ) > "$build/$target.log" 2>&1 || rc=$?
  echo "$rc" > "$build/$target.status"
}
slots=$(nproc)
for target in "${targets[@]}"; do
  echo "--- $target: ${seconds}s"
  rm -f "$build/$target.status"
  while [ "$(jobs -rp | wc -l)" -ge "$slots" ]; do wait -n || true; done
  run_target "$target" &
done
wait

failed=0
for target in "${targets[@]}"; do
  if [ "$(cat "$build/$target.status" 2>/dev/null)" != 0 ]; then
    echo "$target FAILED:"
    tail -n 40 "$build/$target.log"
    failed=1
  else
    echo "$target: $(grep -E 'Done [0-9]+ runs' "$build/$target.log" | tail -n 1)"
  fi
done
exit $failed
