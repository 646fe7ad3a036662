#!/usr/bin/env bash
# The plan cache on the Kartel demo: one page (default the company
# dashboard) with wrk at 1 and 32 clients, for each binary and cache setting
# given, one after the other on the same machine, each on a fresh demo.
#
# Usage: bench/cache.sh [RUN...]   where RUN is BINARY[:CACHE_MB]
#   default: target/release/whygo:0 target/release/whygo
#   (the same binary with the plan cache off, then on at its default size)
#   CACHE_MB sets WHYGO_PLAN_CACHE_MB; without it the binary's default.
#   BENCH_PATH   page (default /kartel?as_of=2026-11-21)
#   BENCH_DURATION  seconds per wrk run (default 10)
#   BENCH_PORT   (default 39141)
# Prints one line per run and concurrency: requests, req/s, p50 and p99 ms,
# failed requests. Builds nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(target/release/whygo:0 target/release/whygo)
path=${BENCH_PATH:-/kartel?as_of=2026-11-21}
secs=${BENCH_DURATION:-10}
port=${BENCH_PORT:-39141}
base="http://127.0.0.1:$port"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

data=
pid=
stop() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  pid=
  [ -z "$data" ] || rm -rf "$data"
  data=
}
trap stop EXIT

lua=$(mktemp /tmp/whygo-bench-cache.XXXXXX.lua)
trap 'stop; rm -f "$lua"' EXIT
cat >"$lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
LUA

printf '%-44s %8s %8s %9s %8s %8s %6s\n' run clients requests req/s p50_ms p99_ms failed
for run in "${runs[@]}"; do
  bin=${run%%:*}
  mb=
  [ "$run" = "$bin" ] || mb=${run#*:}
  [ -x "$bin" ] || { echo "no binary at $bin" >&2; exit 1; }
  data=$(mktemp -d /tmp/whygo-bench-cache.XXXXXX); chmod 755 "$data"
  if [ -n "$mb" ]; then
    WHYGO_PLAN_CACHE_MB=$mb WHYGO_DATA_DIR=$data "$bin" serve --addr "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
  else
    WHYGO_DATA_DIR=$data "$bin" serve --addr "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
  fi
  pid=$!
  for _ in $(seq 1 600); do
    curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$data/serve.log" >&2; exit 1; }
    sleep 0.1
  done
  jar="$data/cookies.txt"
  csrf=$(curl -fsS -c "$jar" "$base/login" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
  status=$(curl -sS -o /dev/null -w '%{http_code}' -b "$jar" -c "$jar" \
    --data-urlencode "email=kevin@kartel.example" --data-urlencode "password=whygo-demo-2026" \
    --data-urlencode "csrf_token=$csrf" "$base/login")
  [ "$status" = 303 ] || { echo "sign-in answered $status, expected 303" >&2; exit 1; }
  cookie=$(awk '$6 == "whygo_session" { print $7 }' "$jar")
  header="Cookie: whygo_session=$cookie"
  code=$(curl -sS -o /dev/null -w '%{http_code}' -H "$header" "$base$path")
  [ "$code" = 200 ] || { echo "$path answered $code" >&2; exit 1; }
  # Warm-up (and, with the cache, the one build).
  wrk -c 4 -t 1 -d 2s -H "$header" "$base$path" >/dev/null
  for conc in 1 32; do
    threads=$([ "$conc" = 1 ] && echo 1 || echo 2)
    out=$(wrk -c "$conc" -t "$threads" -d "${secs}s" --timeout 30s -s "$lua" -H "$header" "$base$path")
    read -r _ requests dur p50 p99 failed < <(grep '^WRK ' <<<"$out")
    awk -v r="$run${mb:+ MiB}" -v c="$conc" -v n="$requests" -v d="$dur" -v a="$p50" -v b="$p99" -v f="$failed" \
      'BEGIN { printf "%-44s %8d %8d %9.1f %8.1f %8.1f %6d\n", r, c, n, n / (d / 1e6), a / 1000, b / 1000, f }'
  done
  stop
done
echo "page $path; ${secs} s per run; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M') UTC"
