#!/usr/bin/env bash
# Time and peak memory of `whygo load` of the generated Bigco workbook into a
# fresh embedded database, then of loading it a second time (nothing changes).
# Builds nothing: give it the release binary.
#
# Usage: bench/load.sh [path/to/whygo] [workbook.toml]
#   default binary: target/release/whygo
#   default workbook: target/bench/bigco.toml (generated when missing)
#
# The cluster is started first by `whygo serve --demo false` so the figures are
# the load alone, not initdb; `whygo load` joins that cluster. Peak memory is
# the whygo process's maximum resident set (GNU time), not PostgreSQL's.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/whygo}
workbook=${2:-target/bench/bigco.toml}
port=${BENCH_PORT:-39131}

[ -x "$bin" ] || { echo "no binary at $bin: run cargo build --release first" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time is missing: apt-get install time" >&2; exit 1; }
if [ ! -f "$workbook" ]; then
  mkdir -p "$(dirname "$workbook")"
  python3 bench/generate_workbook.py --out "$workbook"
fi

data=$(mktemp -d /tmp/whygo-bench-load.XXXXXX); chmod 755 "$data"
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

WHYGO_DATA_DIR=$data "$bin" serve --demo false --addr "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$data/serve.log" >&2; exit 1; }
  sleep 0.1
done

run_load() {  # $1: label
  local out
  out=$( { WHYGO_DATA_DIR=$data /usr/bin/time -f 'TIME %e %M' "$bin" load "$workbook" >"$data/load.out"; } 2>&1 )
  local secs kb
  read -r _ secs kb < <(grep '^TIME ' <<<"$out")
  printf '%-28s %8.1f s %8.0f MiB   %s\n' "$1" "$secs" "$((kb / 1024))" "$(cat "$data/load.out")"
}
echo "workbook: $workbook ($(du -h "$workbook" | cut -f1))"
run_load "first load (empty database)"
run_load "second load (no changes)"
