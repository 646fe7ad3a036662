#!/usr/bin/env bash
# A/B page latency of two whygo binaries on the same machine at the same time:
# starts each on a fresh embedded database, loads the same workbook (Bigco by
# default) into both, signs in the CEO on each, then requests every page
# ROUNDS times, alternating A and B, one request at a time, so machine noise
# falls on both alike (each database analyzed after the load, so both run in
# a steady state). Prints a markdown table of median and p90 ms per page.
#
# Usage: bench/ab.sh OLD_BINARY NEW_BINARY [workbook.toml]
#   e.g. git worktree add /tmp/old HEAD~5 && (cd /tmp/old && cargo build --release)
#        bench/ab.sh /tmp/old/target/release/whygo target/release/whygo
# Environment: BENCH_ROUNDS (default 30), BENCH_PAGES (space-separated paths).
set -euo pipefail
cd "$(dirname "$0")/.."

AS_OF=2026-11-21
CEO=dana-whitfield
DEPT=platform-engineering
PAGES=(
  "/bigco?as_of=$AS_OF"
  "/bigco/sync?as_of=$AS_OF"
  "/bigco/departments/$DEPT?as_of=$AS_OF"
  "/bigco/whygos/company-1?as_of=$AS_OF"
  "/bigco/whygos/$DEPT-1?as_of=$AS_OF"
)
if [ -n "${BENCH_PAGES:-}" ]; then read -r -a PAGES <<<"$BENCH_PAGES"; fi
[ $# -ge 2 ] || { echo "usage: bench/ab.sh OLD_BINARY NEW_BINARY [workbook.toml]" >&2; exit 2; }
bins=("$1" "$2")
workbook=${3:-target/bench/bigco.toml}
rounds=${BENCH_ROUNDS:-30}
export WHYGO_PASSWORD="bench-password-2026"
say() { echo "# $*" >&2; }
for b in "${bins[@]}"; do [ -x "$b" ] || { echo "no binary at $b" >&2; exit 1; }; done
if [ ! -f "$workbook" ]; then
  say "generating $workbook"
  mkdir -p "$(dirname "$workbook")"
  python3 bench/generate_workbook.py --out "$workbook"
fi

pids=(); dirs=(); cookies=(); bases=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  for d in "${dirs[@]}"; do rm -rf "$d"; done
}
trap cleanup EXIT

for i in 0 1; do
  bin=${bins[$i]}
  port=$((39140 + i))
  base="http://127.0.0.1:$port"
  data=$(mktemp -d /tmp/whygo-bench-ab.XXXXXX); chmod 755 "$data"; dirs+=("$data")
  WHYGO_DATA_DIR=$data "$bin" serve --demo false --addr "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 600); do curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break; sleep 0.1; done
  say "loading $workbook into $bin"
  WHYGO_DATA_DIR=$data "$bin" load "$workbook" >&2
  # Steady state for both: fresh planner statistics, whatever the binary does.
  psql -X -q -h 127.0.0.1 -p "$(sed -n 4p "$data/pgdata/postmaster.pid")" -U postgres -d whygo -c analyze
  WHYGO_DATA_DIR=$data "$bin" user create --email "$CEO@bigco.example" --name "Dana Whitfield" \
    --tenant bigco --role leader --person "$CEO" >&2
  jar="$data/cookies.txt"
  csrf=$(curl -fsS -c "$jar" "$base/login" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
  curl -fsS -o /dev/null -b "$jar" -c "$jar" --data-urlencode "email=$CEO@bigco.example" \
    --data-urlencode "password=$WHYGO_PASSWORD" --data-urlencode "csrf_token=$csrf" "$base/login"
  cookies+=("Cookie: whygo_session=$(awk '$6 == "whygo_session" { print $7 }' "$jar")")
  bases+=("$base")
done

stats() { sort -n | awk '{ v[NR] = $1 } END { printf "%.1f | %.1f", v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)] }'; }
echo "$rounds rounds per page, A and B alternating, one request at a time; $(nproc) cores; $(date +%F)"
echo
echo "| page | A median ms | A p90 ms | B median ms | B p90 ms | A KiB | B KiB |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for path in "${PAGES[@]}"; do
  a=(); b=(); sizes=()
  for i in 0 1; do
    code=$(curl -sS -o /dev/null -w '%{http_code}' -H "${cookies[$i]}" "${bases[$i]}$path")
    [ "$code" = 200 ] || { echo "$path answered $code on ${bins[$i]}" >&2; exit 1; }
    sizes+=("$(curl -sS -o /dev/null -w '%{size_download}' -H "${cookies[$i]}" "${bases[$i]}$path")")
  done
  for _ in $(seq 1 "$rounds"); do
    a+=("$(curl -fsS -o /dev/null -w '%{time_total}' -H "${cookies[0]}" "${bases[0]}$path")")
    b+=("$(curl -fsS -o /dev/null -w '%{time_total}' -H "${cookies[1]}" "${bases[1]}$path")")
  done
  sa=$(printf '%s\n' "${a[@]}" | awk '{ print $1 * 1000 }' | stats)
  sb=$(printf '%s\n' "${b[@]}" | awk '{ print $1 * 1000 }' | stats)
  echo "| \`$path\` | $sa | $sb | $((sizes[0] / 1024)) | $((sizes[1] / 1024)) |"
done
