#!/usr/bin/env python3
"""Checks that src/ keeps its layering and that no comment cites a document outside the repository.

The module table is read from src/CMakeLists.txt: every walnut_module(NAME DIRS d... DEPS x...) and every
add_executable(NAME source...) with its target_link_libraries(NAME ...). A file belongs to the module
whose DIRS hold its folder. The rules, one output line per violation:

  1. An #include "a/b.h" of a file in module M, from module N, needs M == N or M among N's dependencies
     (transitively): includes point down the layers.
  2. A direct walnut_ dependency of N needs at least one include of that module from N's files: a link
     with no include behind it is a layer edge nothing uses. A link needed for a reason this script
     cannot see is kept by a comment in src/CMakeLists.txt of the form
         # layering: N -> M: why
     (module names without the walnut_ prefix).
  3. Every source file under src/ belongs to a module, and a module depends only on modules declared
     before it (the table is lowest first, so the layers cannot form a cycle).
  4. No comment or page in src/, tests/, bench/, tools/, cmake/, docs/ or the README cites a document
     that is not in the repository (the project's private notes and issue numbers), nor a docs/*.md
     that does not exist.

Exit status 0 when clean, 1 with one line per violation otherwise. Needs only python3.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")
SOURCE_SUFFIXES = (".h", ".cc")

# Documents that live outside the repository; a comment must cite the repository's docs/ or an
# upstream source by path instead, or state the fact.
OUTSIDE_DOCUMENTS = re.compile(
    r"walg-reference\.md|STYLE\.md|test-servers\.md|shared/docs|/work/shared|\bissue \d+\b",
    re.IGNORECASE)
DOCS_CITATION = re.compile(r"\bdocs/([A-Za-z0-9_.-]+\.md)")
# Upstream documents (WAL-G's docs/, PostgreSQL's doc/) are cited with the project's name close by.
UPSTREAM_NAMES = re.compile(r"WAL-G|PostgreSQL|pgBackRest|upstream", re.IGNORECASE)


def strip_cmake_comments(text):
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def cmake_calls(text, function):
    """Yields the argument lists of every call of `function` (words, ${VARS} kept as words)."""
    for match in re.finditer(r"\b%s\s*\(([^)]*)\)" % re.escape(function), text, re.DOTALL):
        yield match.group(1).split()


def read_modules(cmake_path):
    with open(cmake_path, encoding="utf-8") as f:
        raw = f.read()
    text = strip_cmake_comments(raw)
    modules = {}  # name -> {"dirs": [...], "deps": [...]}
    for args in cmake_calls(text, "walnut_module"):
        name, section = args[0], None
        entry = {"dirs": [], "deps": []}
        for word in args[1:]:
            if word in ("DIRS", "DEPS"):
                section = word.lower()
            elif section:
                entry[section].append(word)
        modules[name] = entry
    # Executables built from files of src/ itself (main.cc): a module of their own.
    for args in cmake_calls(text, "add_executable"):
        name = args[0]
        files = [w for w in args[1:] if w.endswith(".cc")]
        deps = []
        for link in cmake_calls(text, "target_link_libraries"):
            if link and link[0] == name:
                deps += [w for w in link[1:] if w not in ("PRIVATE", "PUBLIC", "INTERFACE")]
        modules[name] = {"dirs": [], "files": files, "deps": deps}
    allowed = set()
    for match in re.finditer(r"#\s*layering:\s*(\w+)\s*->\s*(\w+)\s*:\s*\S", raw):
        allowed.add((match.group(1), match.group(2)))
    return modules, allowed


def module_of_file(rel_path, modules):
    folder = os.path.dirname(rel_path)
    for name, entry in modules.items():
        if folder in entry["dirs"] or rel_path in entry.get("files", []):
            return name
    return None


def module_deps(entry, modules):
    """The walnut_ modules among a module's DEPS, without the prefix."""
    result = []
    for dep in entry["deps"]:
        if dep.startswith("walnut_") and dep[len("walnut_"):] in modules:
            result.append(dep[len("walnut_"):])
    return result


def transitive(name, modules, memo):
    if name not in memo:
        memo[name] = set()  # a cycle ends here instead of recursing forever
        seen = set()
        for dep in module_deps(modules[name], modules):
            seen.add(dep)
            seen |= transitive(dep, modules, memo)
        memo[name] = seen
    return memo[name]


def source_files(top):
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for file in sorted(files):
            if file.endswith(SOURCE_SUFFIXES):
                yield os.path.join(folder, file)


def check_layers(errors):
    cmake = os.path.join(SRC, "CMakeLists.txt")
    modules, allowed = read_modules(cmake)
    memo = {}
    used = {name: set() for name in modules}  # module -> modules its files include
    for path in source_files(SRC):
        rel = os.path.relpath(path, SRC)
        owner = module_of_file(rel, modules)
        if owner is None:
            errors.append(f"src/{rel}: in no module of src/CMakeLists.txt (add its folder to DIRS)")
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                match = re.match(r'\s*#\s*include\s*"([^"]+)"', line)
                if not match:
                    continue
                included = match.group(1)
                # As the compiler does: next to the including file first, then src/.
                beside = os.path.normpath(os.path.join(os.path.dirname(rel), included))
                if os.path.exists(os.path.join(SRC, beside)):
                    target_rel = beside
                elif os.path.exists(os.path.join(SRC, included)):
                    target_rel = os.path.normpath(included)
                else:
                    continue  # generated (cli/version.h's build-tree sibling) or not ours
                target = module_of_file(target_rel, modules)
                if target is None or target == owner:
                    continue
                used[owner].add(target)
                if target not in transitive(owner, modules, memo):
                    errors.append(f"src/{rel}:{number}: includes {included} of module {target}, "
                                  f"which module {owner} does not depend on (an include up a layer, "
                                  f"or a missing DEPS entry in src/CMakeLists.txt)")
    order = list(modules)  # as declared: lowest first
    for name, entry in modules.items():
        for dep in module_deps(entry, modules):
            if order.index(dep) > order.index(name):
                errors.append(f"src/CMakeLists.txt: {name} depends on {dep}, declared after it "
                              f"(modules are declared lowest first, so the layers have no cycle)")
            if dep not in used[name] and (name, dep) not in allowed:
                errors.append(f"src/CMakeLists.txt: {name} links walnut_{dep} but includes nothing "
                              f"of it (remove the link, or explain it with '# layering: {name} -> "
                              f"{dep}: why')")


def citation_files():
    """The files whose comments and text are checked for citations: the sources, scripts and docs."""
    yield os.path.join(ROOT, "README.md")
    yield os.path.join(ROOT, "CMakeLists.txt")
    for top in ("src", "tests", "bench", "tools", "cmake", "docs"):
        for folder, dirs, files in os.walk(os.path.join(ROOT, top)):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "seeds")
            for file in sorted(files):
                if file.endswith((".h", ".cc", ".sh", ".py", ".txt", ".cmake", ".in", ".md")):
                    yield os.path.join(folder, file)


def check_citations(errors):
    docs = set(os.listdir(os.path.join(ROOT, "docs")))
    for path in citation_files():
        if path == os.path.abspath(__file__) or not os.path.exists(path):
            continue
        rel = os.path.relpath(path, ROOT)
        in_docs = rel.startswith("docs" + os.sep)  # docs/ links its pages as "x.md"
        with open(path, encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                match = OUTSIDE_DOCUMENTS.search(line)
                if match:
                    errors.append(f"{rel}:{number}: cites '{match.group(0)}', which is not in the "
                                  f"repository (cite docs/, an upstream source by path, or state "
                                  f"the fact)")
                for doc in DOCS_CITATION.finditer(line):
                    if doc.group(1) not in docs and not in_docs and not UPSTREAM_NAMES.search(line):
                        errors.append(f"{rel}:{number}: cites docs/{doc.group(1)}, which does not "
                                      f"exist")


def main():
    errors = []
    check_layers(errors)
    check_citations(errors)
    for error in errors:
        print(error)
    if errors:
        print(f"check-layers: {len(errors)} violation(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
