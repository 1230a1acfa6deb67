#!/usr/bin/env python3
"""Runs clang's thread-safety analysis over every translation unit of src/ and tests/.

Usage: tools/check-thread-safety.py [BUILD_DIR [FILE...]]
BUILD_DIR (default: build) needs compile_commands.json, which every CMake configure of Walnut
writes, so the release build's tree serves. FILEs (paths from the repository root) narrow the run
to those translation units.

Each file is compiled by clang++-14 with -fsyntax-only (no code is generated, so this costs a
fraction of a build) with the build's include paths and definitions, and -Wthread-safety -Werror:
a member marked GUARDED_BY(mu_) touched without mu_ held, a REQUIRES(mu_) function called without
it, a lock not released, all fail (the macros are in src/common/mutex.h and expand to nothing under
g++). Before that: a use of std::mutex, std::lock_guard, std::condition_variable ... in src/ or
tests/ fails (the analysis cannot see those), and a small file that breaks the rules must fail, so
the check cannot pass because the annotations stopped reaching clang. Only the files that include
common/mutex.h, directly or through the project's headers, are compiled: the others have nothing
to check. Runs one clang per core. Exit status 0 when clean.
"""

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLANG = os.environ.get("WALNUT_CLANG", "clang++-14")
# Only the analysis decides: g++'s own warnings are checked by the -Werror build, and clang's
# different set would fail here for reasons that have nothing to do with locking.
ANALYSIS_FLAGS = ["-fsyntax-only", "-Wthread-safety", "-Werror"]

# The standard's own locks carry no annotations: code that used them would escape the analysis.
RAW_LOCKS = re.compile(r"std::(mutex|shared_mutex|recursive_mutex|timed_mutex|lock_guard|unique_lock|"
                       r"scoped_lock|condition_variable)\b")
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)

MUST_FAIL = """
#include "common/mutex.h"
class Counter {
 public:
  void Add() { ++count_; }  // not under mu_: the analysis must reject this
 private:
  walnut::Mutex mu_;
  int count_ GUARDED_BY(mu_) = 0;
};
void Use() { Counter c; c.Add(); }
"""


def clang_command(entry):
    """The entry's compile command turned into an analysis-only clang run."""
    args = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
    out = [CLANG]
    skip_next = False
    for arg in args[1:]:
        if skip_next:
            skip_next = False
            continue
        if arg in ("-o", "-MF", "-MT", "-MQ"):
            skip_next = True
            continue
        if arg in ("-c", "-MD", "-MMD") or arg.startswith("-W") or arg == "-pedantic":
            continue
        out.append(arg)
    return out + ANALYSIS_FLAGS


def raw_lock_uses():
    """Lines of src/ and tests/ that use a std:: lock instead of common/mutex.h's."""
    found = []
    for top in ("src", "tests"):
        for folder, dirs, files in os.walk(os.path.join(ROOT, top)):
            dirs.sort()
            for file in sorted(files):
                path = os.path.join(folder, file)
                if not file.endswith((".h", ".cc")) or path.endswith("src/common/mutex.h"):
                    continue
                with open(path, encoding="utf-8", errors="replace") as f:
                    for number, line in enumerate(f, 1):
                        code = line.split("//", 1)[0]
                        if RAW_LOCKS.search(code):
                            found.append(f"{os.path.relpath(path, ROOT)}:{number}: {line.strip()}")
    return found


class IncludeGraph:
    """Which files include common/mutex.h, directly or through the project's own headers."""

    def __init__(self):
        self.memo = {}

    def resolve(self, name, beside):
        for base in (beside, os.path.join(ROOT, "src"), os.path.join(ROOT, "tests")):
            path = os.path.normpath(os.path.join(base, name))
            if os.path.exists(path):
                return path
        return None

    def uses_mutex(self, path):
        if path in self.memo:
            return self.memo[path]
        self.memo[path] = False  # an include cycle ends here
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        result = False
        for name in INCLUDE.findall(text):
            if name == "common/mutex.h":
                result = True
                break
            included = self.resolve(name, os.path.dirname(path))
            if included and self.uses_mutex(included):
                result = True
                break
        self.memo[path] = result
        return result


def run(command, directory):
    result = subprocess.run(command, cwd=directory, capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def self_test():
    with tempfile.NamedTemporaryFile("w", suffix=".cc", delete=False) as f:
        f.write(MUST_FAIL)
        path = f.name
    try:
        code, output = run([CLANG, "-std=c++20", "-I", os.path.join(ROOT, "src"), path] +
                           ANALYSIS_FLAGS, ROOT)
    finally:
        os.unlink(path)
    if code == 0 or "-Wthread-safety" not in output:
        print("check-thread-safety: clang accepted a guarded member touched without its mutex; "
              "the annotations of src/common/mutex.h do not reach clang")
        print(output)
        return False
    return True


def main():
    build = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    only = {os.path.normpath(os.path.join(ROOT, path)) for path in sys.argv[2:]}
    database = os.path.join(build, "compile_commands.json")
    if not os.path.exists(database):
        print(f"check-thread-safety: {database} is missing; configure the build first (cmake -S . "
              f"-B {build})")
        return 2
    with open(database, encoding="utf-8") as f:
        entries = json.load(f)
    tops = tuple(os.path.join(ROOT, top) + os.sep for top in ("src", "tests"))
    entries = [e for e in entries
               if os.path.normpath(os.path.join(e["directory"], e["file"])).startswith(tops)]
    if only:
        entries = [e for e in entries
                   if os.path.normpath(os.path.join(e["directory"], e["file"])) in only]
    if not entries:
        print(f"check-thread-safety: no src/ or tests/ file in {database}")
        return 2
    raw = raw_lock_uses()
    if raw:
        print("check-thread-safety: std:: locks escape the analysis; use Mutex, MutexLock and CondVar "
              "of src/common/mutex.h:")
        print("\n".join(raw))
        return 1
    # A file that does not reach common/mutex.h has no capability for the analysis to check (and,
    # by the check above, no lock of another kind).
    graph = IncludeGraph()
    entries = [e for e in entries
               if graph.uses_mutex(os.path.normpath(os.path.join(e["directory"], e["file"])))]
    if not self_test():
        return 1

    started = time.monotonic()
    failed = 0
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = pool.map(lambda e: (e, run(clang_command(e), e["directory"])), entries)
        for entry, (code, output) in results:
            if code != 0:
                failed += 1
                print(f"--- {os.path.relpath(entry['file'], ROOT)}")
                print(output.rstrip())
    seconds = time.monotonic() - started
    print(f"check-thread-safety: {len(entries)} files, {failed} failed, {seconds:.0f}s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
