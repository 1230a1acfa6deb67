#!/usr/bin/env bash
# Writes the man pages of Walnut from the binary's own help, at build time:
#   OUTDIR/walnut.1.gz  help2man's page of `walnut --help`, plus a COMMANDS section holding the
#                       --help of every command and sub-command (found by walking the
#                       "Subcommands:" lists, so a new command needs nothing here)
#   OUTDIR/wal-g.1.gz   a link to it (the binary answers to both names)
# Usage: make-man.sh BINARY OUTDIR VERSION
set -euo pipefail

[[ $# == 3 ]] || { echo "usage: $0 BINARY OUTDIR VERSION" >&2; exit 2; }
bin=$1 out=$2 version=$3
command -v help2man >/dev/null || { echo "make-man.sh: help2man not found: apt-get install help2man" >&2; exit 1; }
mkdir -p "$out"
include=$(mktemp)
trap 'rm -f "$include"' EXIT

# A private HOME and no WALG_* settings: the help must not depend on who builds.
run() { env -i PATH=/usr/bin:/bin HOME=/nonexistent "$bin" "$@"; }
# The sub-commands CLI11 lists under "Subcommands:" in the help of `walnut ARGS...`.
commands() { run "$@" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }'; }
# Text as roff: backslashes escaped, a leading dot or quote neutralised.
roff() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
section() {
  echo ".SS \"walnut $*\""
  echo ".nf"
  run "$@" --help | roff
  echo ".fi"
  local sub
  for sub in $(commands "$@"); do section "$@" "$sub"; done
}

{
  echo "[COMMANDS]"
  echo "The help of every command (\\fBwalnut\\fR \\fICOMMAND\\fR \\fB\\-\\-help\\fR):"
  for command in $(commands); do section "$command"; done
  echo "[ENVIRONMENT]"
  echo "Walnut reads WAL-G's settings (WALG_*, AWS_*, PG*) from the environment, a config file"
  echo "(\\fB\\-\\-config\\fR, WALG_CONFIG_PATH, ~/.walg.json) or flags; \\fBwalnut flags\\fR lists them all."
  echo "[FILES]"
  echo "/lib/systemd/system/walnut-*.service, walnut-*.timer: backup, delete, drill, verify and"
  echo "metrics units; /etc/walnut/walnut.env is their settings."
  echo "/usr/share/walnut: the Grafana dashboard, the Prometheus alert rules, an example walnut.env."
  echo "[SEE ALSO]"
  echo "/usr/share/doc/walnut/deploy.md, https://github.com/wal-g/wal-g"
} >"$include"

SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(date -d 2026-01-01 +%s)} \
  help2man --no-info --no-discard-stderr --section=1 \
  --name="PostgreSQL backups and point-in-time recovery, compatible with WAL-G" \
  --version-string="$version" --include="$include" --output="$out/walnut.1" \
  --help-option=--help --version-option=--version "$bin"
gzip -9nf "$out/walnut.1"
ln -sf walnut.1.gz "$out/wal-g.1.gz"
