#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/*_fuzz.cc) with clang and runs each for N seconds
# (default 30). A crash, a leak or a sanitizer report fails the run; the reproducer is left in
# build-fuzz/artifacts/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-30}
build="$root/build-fuzz"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 -DWALNUT_BUILD_FUZZ=ON -DWALNUT_BUILD_TESTS=ON \
  -DWALNUT_BUILD_BENCH=OFF >/dev/null
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
failed=0
for target in "${targets[@]}"; do
  corpus="$build/corpus/$target"
  mkdir -p "$corpus"
  seeds="$root/tests/fuzz/seeds/$target"
  echo "--- $target: ${seconds}s"
  if ! "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$build/artifacts/$target-" -print_final_stats=1 \
      "$corpus" $( [ -d "$seeds" ] && echo "$seeds" ) > "$build/$target.log" 2>&1; then
    echo "$target FAILED:"
    tail -n 40 "$build/$target.log"
    failed=1
  else
    grep -E 'stat::number_of_executed_units|Done [0-9]+ runs' "$build/$target.log" | tail -n 2 || true
  fi
done
exit $failed
