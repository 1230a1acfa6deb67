#!/usr/bin/env bash
# A throwaway monitoring stack for the deploy tests, on loopback and random free ports:
# node_exporter serving a textfile directory, and a Prometheus server scraping it every second and
# evaluating deploy/prometheus/walnut-alerts.yml every second.
# Usage: prometheus-stack.sh start DIR | stop DIR
# `start` writes DIR/env (shell syntax, read by the tests):
#   PROMETHEUS_URL, NODE_EXPORTER_URL, TEXTFILE_DIR, START_SECONDS (how long the start took).
# The alert rules are a copy in DIR/rules.yml whose backup-too-old threshold (26 * 3600 seconds in
# the real file) is lowered to 60 seconds, so that a backup an hour old fires it at once.
# ctest runs `start` as the prometheus_up fixture and `stop` as prometheus_down; the servers keep
# none of our output pipes open, and are stopped by the PIDs they were started with.
set -euo pipefail

readonly REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly RULES="$REPO_ROOT/deploy/prometheus/walnut-alerts.yml"
readonly START_TIMEOUT_S=30
readonly STOP_TIMEOUT_S=10

log() { echo "prometheus-stack: $*" >&2; }
die() { log "error: $*"; exit 1; }

# free_port, stop_pid_file.
# shellcheck source=fixture-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/fixture-lib.sh"

# Waits until $1 answers 200, or fails naming $2 and its log $3.
wait_ready() {
  local url=$1 what=$2 logfile=$3 i
  for ((i = 0; i < START_TIMEOUT_S * 10; i++)); do
    [[ $(curl --silent --output /dev/null --max-time 1 --write-out '%{http_code}' "$url" || true) == 200 ]] && return 0
    sleep 0.1
  done
  tail -n 20 "$logfile" >&2 || true
  die "$what did not answer $url within ${START_TIMEOUT_S}s (log: $logfile)"
}

start() {
  local dir=$1
  local started=$EPOCHREALTIME
  command -v prometheus >/dev/null || die "prometheus not found: apt-get install prometheus"
  command -v prometheus-node-exporter >/dev/null ||
    die "prometheus-node-exporter not found: apt-get install prometheus-node-exporter"
  stop "$dir"
  rm -rf "$dir"
  mkdir -p "$dir/textfile" "$dir/data"

  local marked=$'expr: time() - max by (storage) (walnut_backup_last_finish_timestamp_seconds) > 26 * 3600'
  [[ $(grep -cF -- "$marked" "$RULES") == 1 ]] ||
    die "$RULES: the WalnutBackupTooOld threshold line changed; update the marked line in $0"
  local lowered=${marked/26 \* 3600/60}
  while IFS= read -r line; do
    [[ $line == *"$marked"* ]] && line=${line/"$marked"/"$lowered"}
    printf '%s\n' "$line"
  done <"$RULES" >"$dir/rules.yml"

  local node_port prom_port
  node_port=$(free_port)
  prom_port=$(free_port)
  cat >"$dir/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $dir/rules.yml
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$node_port']
EOF
  setsid prometheus-node-exporter --collector.disable-defaults --collector.textfile \
    --collector.textfile.directory="$dir/textfile" --web.listen-address="127.0.0.1:$node_port" \
    </dev/null >"$dir/node_exporter.log" 2>&1 &
  echo $! >"$dir/node_exporter.pid"
  setsid prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --web.listen-address="127.0.0.1:$prom_port" --web.enable-lifecycle \
    </dev/null >"$dir/prometheus.log" 2>&1 &
  echo $! >"$dir/prometheus.pid"

  wait_ready "http://127.0.0.1:$node_port/metrics" node_exporter "$dir/node_exporter.log"
  wait_ready "http://127.0.0.1:$prom_port/-/ready" prometheus "$dir/prometheus.log"
  curl --silent --max-time 2 "http://127.0.0.1:$prom_port/api/v1/rules" | grep -q '"name":"walnut"' ||
    die "prometheus did not load the rules of $dir/rules.yml (log: $dir/prometheus.log)"
  local seconds
  seconds=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
  cat >"$dir/env" <<EOF
PROMETHEUS_URL=http://127.0.0.1:$prom_port
NODE_EXPORTER_URL=http://127.0.0.1:$node_port
TEXTFILE_DIR=$dir/textfile
START_SECONDS=$seconds
EOF
  log "node_exporter on 127.0.0.1:$node_port, prometheus on 127.0.0.1:$prom_port, up in ${seconds}s"
}

stop() {
  local dir=$1
  stop_pid_file "$dir/prometheus.pid" "$dir" prometheus
  stop_pid_file "$dir/node_exporter.pid" "$dir" node_exporter
}

[[ $# == 2 ]] || die "usage: $0 start|stop DIR"
dir=$(realpath -m "$2")
case $1 in
  start) start "$dir" ;;
  stop) stop "$dir"; rm -rf "$dir" ;;
  *) die "usage: $0 start|stop DIR" ;;
esac
