#!/usr/bin/env bash
# Time from starting the built server to the first page served, on the
# embedded PostgreSQL: a first start (initdb, migrations, demo load) and a
# restart on the same data. Usage: bench/startup.sh [path/to/whygo] [runs]
set -euo pipefail
bin=${1:-target/release/whygo}
runs=${2:-5}
port=39123
now() { date +%s.%N; }
first_page() {  # seconds from $1 until /login answers 200
  local t0=$1
  for _ in $(seq 1 6000); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$port/login" 2>/dev/null; then
      awk -v a="$(now)" -v b="$t0" 'BEGIN { print a - b }'; return
    fi
    sleep 0.005
  done
  echo "never answered" >&2; return 1
}
for i in $(seq 1 "$runs"); do
  data=$(mktemp -d); chmod 755 "$data"
  t0=$(now); WHYGO_DATA_DIR=$data "$bin" serve --addr 127.0.0.1:$port >/dev/null 2>&1 & pid=$!
  cold=$(first_page "$t0"); kill -TERM $pid; wait $pid || true
  t0=$(now); WHYGO_DATA_DIR=$data "$bin" serve --addr 127.0.0.1:$port >/dev/null 2>&1 & pid=$!
  warm=$(first_page "$t0"); kill -TERM $pid; wait $pid || true
  rm -rf "$data"
  printf 'run %d: first start %.3f s, restart %.3f s\n' "$i" "$cold" "$warm"
done
