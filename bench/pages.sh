#!/usr/bin/env bash
# Page latency on the large synthetic tenant (bench/generate_workbook.py):
# starts `whygo serve` on a fresh embedded database, loads Bigco, signs in as
# its CEO (a leader), counts the SQL statements each page issues, then runs
# wrk against each page at 1 and at 32 concurrent clients and prints a
# markdown table. Builds nothing: give it the release binary.
#
# Usage: bench/pages.sh [path/to/whygo] [workbook.toml]
#   cargo build --release && bench/pages.sh
# Environment:
#   BENCH_DURATION  wrk run length per page and concurrency (default 10s)
#   BENCH_PORT      port for whygo serve (default 39132)
#   BENCH_PAGES     space-separated paths, replacing the PAGES list below
#   BENCH_KEEP      1: keep the data folder (its postgres.log has the statements)
#
# Pages that answer 404 are listed as "not found" and skipped, so the list can
# name pages that are still being built; any other status but 200 stops the run.
set -euo pipefail
cd "$(dirname "$0")/.."

# ---- The pages: add a path here (keys below exist in the generated tenant). ----
AS_OF=2026-11-21
CEO=dana-whitfield                  # bench/generate_workbook.py's CEO (a leader)
DEPT=platform-engineering           # one of the 60 departments
PAGES=(
  "/bigco?as_of=$AS_OF"                              # company dashboard
  "/bigco/report.json?as_of=$AS_OF"                  # weekly report as JSON
  "/bigco/departments/$DEPT?as_of=$AS_OF"            # department page
  "/bigco/people/$CEO?as_of=$AS_OF"                  # person page (the CEO: 6 reports)
  "/bigco/whygos/company-1?as_of=$AS_OF"             # WhyGO page (a company WhyGO: many children)
  "/bigco/whygos/$DEPT-1?as_of=$AS_OF"               # WhyGO page (a department WhyGO)
  "/bigco/alignment?as_of=$AS_OF"                    # alignment tree
  "/bigco/org"                                       # org chart
  "/bigco/sync?as_of=$AS_OF"                         # weekly leadership sync
)
if [ -n "${BENCH_PAGES:-}" ]; then read -r -a PAGES <<<"$BENCH_PAGES"; fi

bin=${1:-target/release/whygo}
workbook=${2:-target/bench/bigco.toml}
duration=${BENCH_DURATION:-10s}
port=${BENCH_PORT:-39132}
base="http://127.0.0.1:$port"
email="$CEO@bigco.example"
export WHYGO_PASSWORD="bench-password-2026"

say() { echo "# $*" >&2; }
[ -x "$bin" ] || { echo "no binary at $bin: run cargo build --release first" >&2; exit 1; }
if ! command -v wrk >/dev/null; then
  say "wrk (the HTTP load generator) is missing; installing Debian's package: apt-get install wrk"
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
  else
    echo "run: sudo apt-get install wrk" >&2; exit 1
  fi
fi
command -v psql >/dev/null || { echo "psql is missing: apt-get install postgresql-client" >&2; exit 1; }
if [ ! -f "$workbook" ]; then
  say "generating $workbook"
  mkdir -p "$(dirname "$workbook")"
  python3 bench/generate_workbook.py --out "$workbook"
fi

data=$(mktemp -d /tmp/whygo-bench-pages.XXXXXX); chmod 755 "$data"
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $data"; else rm -rf "$data"; fi
}
trap cleanup EXIT
export WHYGO_DATA_DIR=$data

# ---- Server, data, account, sign-in ----
say "starting whygo serve on $base (data in $data)"
"$bin" serve --demo false --addr "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$data/serve.log" >&2; exit 1; }
  sleep 0.1
done
curl -fsS -o /dev/null "$base/healthz"

say "loading $workbook ($(du -h "$workbook" | cut -f1))"
t0=$(date +%s.%N)
"$bin" load "$workbook" >&2
load_secs=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.1f", a - b }')
say "loaded in $load_secs s"

"$bin" user create --email "$email" --name "Dana Whitfield" --tenant bigco --role leader \
  --person "$CEO" >&2

jar="$data/cookies.txt"
csrf=$(curl -fsS -c "$jar" "$base/login" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
[ -n "$csrf" ] || { echo "no csrf_token on /login" >&2; exit 1; }
status=$(curl -sS -o /dev/null -w '%{http_code}' -b "$jar" -c "$jar" \
  --data-urlencode "email=$email" --data-urlencode "password=$WHYGO_PASSWORD" \
  --data-urlencode "csrf_token=$csrf" "$base/login")
[ "$status" = 303 ] || { echo "sign-in answered $status, expected 303" >&2; exit 1; }
cookie=$(awk '$6 == "whygo_session" { print $7 }' "$jar")
[ -n "$cookie" ] || { echo "no whygo_session cookie after sign-in" >&2; exit 1; }
header="Cookie: whygo_session=$cookie"

# ---- Which pages exist, and their size ----
measured=(); skipped=(); declare -A size
for path in "${PAGES[@]}"; do
  read -r code bytes < <(curl -sS -o /dev/null -w '%{http_code} %{size_download}\n' -H "$header" "$base$path")
  case $code in
    200) measured+=("$path"); size[$path]=$bytes ;;
    404) skipped+=("$path") ;;
    *) echo "$path answered $code (expected 200, or 404 for a page not built yet)" >&2; exit 1 ;;
  esac
done
[ ${#measured[@]} -gt 0 ] || { echo "no page answered 200" >&2; exit 1; }

# ---- Warm-up: fills the connection pool (16) and each connection's statement cache ----
for path in "${measured[@]}"; do
  say "warming up $path"
  wrk -c 32 -t 2 -d 2s --timeout 120s -H "$header" "$base$path" >/dev/null
done

# ---- SQL statements per page: log_statement = 'all', one request between markers ----
pg_port=$(sed -n 4p "$data/pgdata/postmaster.pid")
pg() { psql -X -q -t -A -h 127.0.0.1 -p "$pg_port" -U postgres -d whygo -c "$1"; }
log="$data/postgres.log"
pg "alter system set log_statement = 'all'" && pg "select pg_reload_conf()" >/dev/null
sleep 1  # every backend takes the new setting before its next command
declare -A statements
for i in "${!measured[@]}"; do
  path=${measured[$i]}
  pg "select 'whygo-bench-mark-$i-start'" >/dev/null
  curl -fsS -o /dev/null -H "$header" "$base$path"
  pg "select 'whygo-bench-mark-$i-end'" >/dev/null
  # The statements logged between the two markers, each on its own line in
  # $data/statements-$i.txt (first line of its text). Simple-protocol
  # statements log as "statement: ...", prepared ones as "execute NAME: ...".
  # `set role whygo_app` runs once per new pool connection, not per request.
  awk -v s="whygo-bench-mark-$i-start" -v e="whygo-bench-mark-$i-end" '
    index($0, s) { on = 1; next }
    index($0, e) { on = 0 }
    on && / LOG:  (statement|execute [^:]*): / && !/set role whygo_app/ { sub(/.* LOG:  /, ""); print }
  ' "$log" >"$data/statements-$i.txt"
  statements[$path]=$(wc -l <"$data/statements-$i.txt")
done
pg "alter system reset log_statement" && pg "select pg_reload_conf()" >/dev/null
sleep 1

# ---- Latency ----
lua="$data/report.lua"
cat >"$lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
LUA
run_wrk() {  # $1 path, $2 connections, $3 threads -> "p50_ms p99_ms req_per_s"
  local out requests dur p50 p99 errors
  out=$(wrk -c "$2" -t "$3" -d "$duration" --timeout 120s -s "$lua" -H "$header" "$base$1")
  read -r _ requests dur p50 p99 errors < <(grep '^WRK ' <<<"$out")
  if [ "$errors" != 0 ]; then echo "$1: $errors errors at $2 connections:" >&2; echo "$out" >&2; exit 1; fi
  awk -v r="$requests" -v d="$dur" -v a="$p50" -v b="$p99" \
    'BEGIN { printf "%.1f %.1f %.1f\n", a / 1000, b / 1000, r / (d / 1e6) }'
}
rows=()
for path in "${measured[@]}"; do
  say "measuring $path at 1 client for $duration"
  read -r a50 a99 arps < <(run_wrk "$path" 1 1)
  say "measuring $path at 32 clients for $duration"
  read -r b50 b99 brps < <(run_wrk "$path" 32 2)
  rows+=("| \`$path\` | ${statements[$path]} | $(( ${size[$path]} / 1024 )) | $a50 | $a99 | $arps | $b50 | $b99 | $brps |")
done

hwm_kib=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
echo
echo "Bigco: $(grep -c '^\[\[person\]\]' "$workbook") people, $(grep -c '^\[\[whygo\]\]' "$workbook") WhyGOs, $(grep -c '^\[\[whygo.outcome\]\]' "$workbook") outcomes, $(grep -c '^\[\[actual\]\]' "$workbook") actuals; load $load_secs s; wrk $duration per cell; whygo serve peak RSS $((hwm_kib / 1024)) MiB; $(nproc) cores; $(date -u +%Y-%m-%d)"
echo
echo "| page | SQL statements | KiB | 1 client p50 ms | p99 ms | req/s | 32 clients p50 ms | p99 ms | req/s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
for path in "${skipped[@]}"; do echo "| \`$path\` | not found (404): not built yet | | | | | | | |"; done
if [ "${BENCH_KEEP:-0}" = 1 ]; then
  echo
  for i in "${!measured[@]}"; do echo "statements of ${measured[$i]}: $data/statements-$i.txt"; done
fi
