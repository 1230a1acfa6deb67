#!/usr/bin/env bash
# The whole test suite, as CI runs it, on a fresh Debian 12 as root:
#   1. installs the Debian packages and the npm test servers (tools/install-deps.sh),
#   2. checks the layering of src/ and that comments cite only what is in the repository
#      (tools/check-layers.py), that every field of Settings is read outside config/
#      (tools/check-settings-fields.py), builds Walnut with warnings as errors, checks the locking annotations
#      with clang's thread-safety analysis (tools/check-thread-safety.py, syntax only: no second
#      build) and runs every test (unit + integration against s3rver and a throwaway Ceph RGW, which
#      ctest starts once and stops at the end: tests/tools/ceph-rgw.sh; WALNUT_TEST_RGW=ON makes a
#      missing Ceph package a configure error rather than skipped RGW cases),
#   3. builds once more with clang, AddressSanitizer and UndefinedBehaviorSanitizer, runs the unit
#      tests again in that build, then each libFuzzer target for a short while
#      (tools/run-fuzzers.sh --unit-tests).
# Set WALNUT_TEST_QUICK=1 to stop after step 2.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
jobs=$(nproc)
fuzz_seconds=${WALNUT_FUZZ_SECONDS:-30}

# Each step's heading says how long the suite has run so far, so a slow CI run shows where the
# time went (the budget is 60 minutes on a cold machine).
step() { printf '\n=== [%dm%02ds] %s ===\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

step "install dependencies"
bash tools/install-deps.sh

step "layering and citations (tools/check-layers.py), settings read (tools/check-settings-fields.py)"
python3 tools/check-layers.py
python3 tools/check-settings-fields.py

step "build (release, -Werror)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWALNUT_WERROR=ON -DWALNUT_TEST_RGW=ON
cmake --build build -j "$jobs"

step "thread-safety analysis (clang++-14 -Wthread-safety over every src/ and tests/ file)"
python3 tools/check-thread-safety.py build

step "tests: unit and integration"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 600

if [ "${WALNUT_TEST_QUICK:-0}" = 1 ]; then
  exit 0
fi

step "sanitizers: one clang build (AddressSanitizer + UndefinedBehaviorSanitizer) runs the unit tests, then each fuzzer ${fuzz_seconds}s"
bash tools/run-fuzzers.sh --unit-tests "$fuzz_seconds"
step "done"
