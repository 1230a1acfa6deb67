#!/usr/bin/env bash
# Builds the Debian package of a build directory (cpack -G DEB), checks it with lintian (errors
# fail, warnings are printed), extracts it into a scratch root and runs walnut and wal-g from
# there. Prints how long each step took.
# Usage: package-test.sh BUILD_DIR   (the build must be complete: ctest runs it after the build)
set -euo pipefail

[[ $# == 1 ]] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }
t0=$EPOCHREALTIME
elapsed() { awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", b - a }'; }

cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; fail "cpack"; }
deb=$(find "$work/out" -maxdepth 1 -name 'walnut_*.deb' -print -quit)
[[ -n $deb ]] || { cat "$work/cpack.log" >&2; fail "cpack made no walnut_*.deb"; }
echo "package: $(basename "$deb"), $(du -h "$deb" | cut -f1), built in $(elapsed)"

# The control file: the dlopen'ed libraries declared by hand, the linked ones by dpkg-shlibdeps.
depends=$(dpkg-deb --field "$deb" Depends)
echo "Depends: $depends"
for lib in libcurl4 libpq5 libc6 libstdc++6; do
  [[ ", $depends," == *", $lib"[\ ,]* ]] || fail "Depends lacks $lib: $depends"
done

# What it holds.
dpkg-deb --contents "$deb" >"$work/contents"
for path in ./usr/bin/walnut ./usr/bin/wal-g ./usr/bin/walnut-daemon-client ./usr/bin/walg-daemon-client \
  ./usr/share/man/man1/walnut.1.gz ./usr/share/man/man1/wal-g.1.gz \
  ./usr/share/bash-completion/completions/walnut ./usr/share/bash-completion/completions/wal-g \
  ./usr/share/zsh/vendor-completions/_walnut ./usr/share/doc/walnut/copyright \
  ./usr/share/doc/walnut/changelog.gz ./usr/share/doc/walnut/deploy.md \
  ./usr/share/walnut/prometheus/walnut-alerts.yml ./usr/share/walnut/grafana/walnut-dashboard.json \
  ./usr/share/walnut/walnut.env.example ./lib/systemd/system/walnut-backup.service \
  ./lib/systemd/system/walnut-backup.timer ./lib/systemd/system/walnut-drill.timer \
  ./lib/systemd/system/walnut-metrics.timer; do
  grep -q " $path\( \|$\)" "$work/contents" || { cat "$work/contents" >&2; fail "the package lacks $path"; }
done
if grep -q ' \./\(etc\|usr/lib\)/systemd/system/.*\.wants' "$work/contents"; then fail "a unit is enabled"; fi

# lintian: no error. Root gets a warning about running as root; the rest is shown.
lintian --allow-root --tag-display-limit 0 "$deb" >"$work/lintian" 2>&1 || true
echo "lintian ($(elapsed)):"
sed 's/^/  /' "$work/lintian"
if grep -q '^E: ' "$work/lintian"; then fail "lintian reports errors"; fi
grep -q '^\(W\|I\|N\|E\|P\|X\|O\): \|^$' "$work/lintian" || [[ ! -s $work/lintian ]] ||
  fail "lintian did not run: $(head -n 3 "$work/lintian")"

# Unpacked into a scratch root, the binary runs under both names.
dpkg-deb -x "$deb" "$work/root"
version=$("$work/root/usr/bin/walnut" --version) || fail "walnut --version: $version"
echo "walnut --version: $version"
[[ $version == "walnut version "* ]] || fail "unexpected walnut --version: $version"
walg=$("$work/root/usr/bin/wal-g" --version) || fail "wal-g --version: $walg"
echo "wal-g --version: $walg"
[[ $walg == "wal-g version "* ]] || fail "unexpected wal-g --version: $walg"
file "$work/root/usr/bin/walnut" | grep -q 'stripped' && ! file "$work/root/usr/bin/walnut" | grep -q 'not stripped' ||
  fail "the binary is not stripped"
bash -n "$work/root/usr/share/bash-completion/completions/walnut" || fail "bash completion"
zcat "$work/root/usr/share/man/man1/walnut.1.gz" | grep -q '^\.SS "walnut backup-push"' || fail "man page lacks backup-push"
echo "package test passed in $(elapsed)"
