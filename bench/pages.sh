#!/usr/bin/env bash
# Every page of the Kartel demo and of the large synthetic tenant Bigco
# (bench/generate_workbook.py) measured beside the ceiling: a bare axum + sqlx
# + askama server (bench/ceiling) that renders one 200-row query into a 19 KB
# page, on the same PostgreSQL, in the same run.
#
# Builds whygo and the ceiling (release), starts `whygo serve` on a fresh
# embedded database with the demo, loads Bigco, starts the ceiling on the same
# cluster, signs in a leader of each organization, counts the SQL statements
# each page issues, then runs wrk against the ceiling and each page at 1 and
# at 32 concurrent clients and prints a markdown table: bytes, req/s and p99
# of each page, each also as a ratio to the ceiling's at the same number of
# clients; then whygo's and PostgreSQL's memory after the run (from /proc).
#
# Usage: bench/pages.sh [path/to/whygo] [workbook.toml]
# Environment:
#   BENCH_DURATION  shortest wrk run per page and concurrency (default 5s);
#                   slow pages run longer (see "Latency" below)
#   BENCH_MIN_REQUESTS  requests wanted at 1 client (default 5); at 32
#                   clients, BENCH_MIN_REQUESTS_32 (default 32)
#   BENCH_PORT      port for whygo serve (default 39132; the ceiling the next)
#   BENCH_PAGES     space-separated paths, replacing the PAGES list below
#   BENCH_NO_BUILD  1: build nothing (the binary given, the ceiling already built)
#   BENCH_KEEP      1: keep the data folder (its postgres.log has the statements)
#
# Pages that answer 404 are listed as "not found" and skipped, so the list can
# name pages that are still being built; any other status but 200 stops the run
# before measuring. Requests that fail under load are counted in the table.
set -euo pipefail
cd "$(dirname "$0")/.."

# ---- The pages: add a path here (keys below exist in the demo and in Bigco). ----
AS_OF=2026-11-21
CEO=dana-whitfield                  # bench/generate_workbook.py's CEO (a leader)
DEPT=platform-engineering           # one of Bigco's 60 departments
PAGES=(
  "/kartel?as_of=$AS_OF"                             # company dashboard
  "/kartel/sync?as_of=$AS_OF"                        # weekly leadership sync
  "/kartel/departments/production?as_of=$AS_OF"      # department page
  "/kartel/people/wayan?as_of=$AS_OF"                # person page
  "/kartel/whygos/production-1?as_of=$AS_OF"         # WhyGO page
  "/kartel/alignment?as_of=$AS_OF"                   # alignment tree
  "/kartel/org?as_of=$AS_OF"                         # org chart
  "/kartel/cascade?as_of=$AS_OF"                     # cascade
  "/kartel/approvals"                                # approvals
  "/kartel/report.json?as_of=$AS_OF"                 # weekly report as JSON
  "/kartel/engagements"                              # engagements board
  "/bigco?as_of=$AS_OF"                              # company dashboard
  "/bigco/sync?as_of=$AS_OF"                         # weekly leadership sync
  "/bigco/departments/$DEPT?as_of=$AS_OF"            # department page
  "/bigco/people/$CEO?as_of=$AS_OF"                  # person page (the CEO: 6 reports)
  "/bigco/whygos/company-1?as_of=$AS_OF"             # WhyGO page (a company WhyGO: many children)
  "/bigco/whygos/$DEPT-1?as_of=$AS_OF"               # WhyGO page (a department WhyGO)
  "/bigco/escalations?as_of=$AS_OF&department=$DEPT" # a department's outcomes to look at (paged)
  "/bigco/alignment?as_of=$AS_OF"                    # alignment tree
  "/bigco/org?as_of=$AS_OF"                          # org chart
  "/bigco/cascade?as_of=$AS_OF"                      # cascade
  "/bigco/approvals"                                 # approvals
  "/bigco/report.json?as_of=$AS_OF"                  # weekly report as JSON
  "/bigco/engagements"                               # engagements board
)
if [ -n "${BENCH_PAGES:-}" ]; then read -r -a PAGES <<<"$BENCH_PAGES"; fi

bin=${1:-target/release/whygo}
workbook=${2:-target/bench/bigco.toml}
duration=${BENCH_DURATION:-5s}
port=${BENCH_PORT:-39132}
ceiling_port=$((port + 1))
base="http://127.0.0.1:$port"
ceiling_url="http://127.0.0.1:$ceiling_port/"
email="$CEO@bigco.example"
export WHYGO_PASSWORD="bench-password-2026"
ceiling=bench/ceiling/target/release/whygo-ceiling

say() { echo "# $*" >&2; }
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  if [ "$bin" = target/release/whygo ]; then
    say "building whygo (release)"; cargo build --release --quiet
  fi
  say "building the ceiling (release)"
  cargo build --release --quiet --manifest-path bench/ceiling/Cargo.toml
fi
[ -x "$bin" ] || { echo "no binary at $bin: run cargo build --release first" >&2; exit 1; }
[ -x "$ceiling" ] || { echo "no ceiling at $ceiling: cargo build --release --manifest-path bench/ceiling/Cargo.toml" >&2; exit 1; }
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
pid=; ceiling_pid=
cleanup() {
  if [ -n "$ceiling_pid" ]; then kill -TERM "$ceiling_pid" 2>/dev/null || true; wait "$ceiling_pid" 2>/dev/null || true; fi
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $data"; else rm -rf "$data"; fi
}
trap cleanup EXIT
export WHYGO_DATA_DIR=$data

# ---- Server, data, account, sign-in ----
say "starting whygo serve on $base (data in $data)"
"$bin" serve --addr "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
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

sign_in() {  # $1 email, $2 password, $3 cookie jar; prints the Cookie header
  local csrf status cookie
  csrf=$(curl -fsS -c "$3" "$base/login" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
  [ -n "$csrf" ] || { echo "no csrf_token on /login" >&2; return 1; }
  status=$(curl -sS -o /dev/null -w '%{http_code}' -b "$3" -c "$3" \
    --data-urlencode "email=$1" --data-urlencode "password=$2" \
    --data-urlencode "csrf_token=$csrf" "$base/login")
  [ "$status" = 303 ] || { echo "sign-in of $1 answered $status, expected 303" >&2; return 1; }
  cookie=$(awk '$6 == "whygo_session" { print $7 }' "$3")
  [ -n "$cookie" ] || { echo "no whygo_session cookie after sign-in of $1" >&2; return 1; }
  echo "Cookie: whygo_session=$cookie"
}
# Bigco's CEO and the demo's CEO (README.md), both leaders.
bigco_header=$(sign_in "$email" "$WHYGO_PASSWORD" "$data/cookies-bigco.txt")
kartel_header=$(sign_in "kevin@kartel.example" "whygo-demo-2026" "$data/cookies-kartel.txt")
header_of() { case $1 in /kartel*) echo "$kartel_header" ;; *) echo "$bigco_header" ;; esac; }

# ---- The ceiling, on the same cluster ----
pg_port=$(sed -n 4p "$data/pgdata/postmaster.pid")
pg_pid=$(sed -n 1p "$data/pgdata/postmaster.pid")
"$ceiling" "127.0.0.1:$ceiling_port" "postgres://postgres@127.0.0.1:$pg_port/whygo" >"$data/ceiling.log" 2>&1 &
ceiling_pid=$!
for _ in $(seq 1 100); do curl -fsS -o /dev/null "$ceiling_url" 2>/dev/null && break; sleep 0.1; done
ceiling_bytes=$(curl -fsS -o /dev/null -w '%{size_download}' "$ceiling_url") \
  || { cat "$data/ceiling.log" >&2; exit 1; }
say "ceiling on $ceiling_url: $ceiling_bytes bytes"

# ---- Which pages exist, and their size ----
# The first request of each page is also its cold build: nothing of the
# organization is cached yet but what the pages before it read (the first
# Bigco page reads the plan its scope needs; report.json the whole one).
measured=(); skipped=(); declare -A size; declare -A cold_ms
for path in "${PAGES[@]}"; do
  read -r code bytes secs < <(curl -sS -o /dev/null -w '%{http_code} %{size_download} %{time_total}\n' -H "$(header_of "$path")" "$base$path")
  case $code in
    200) measured+=("$path"); size[$path]=$bytes
         cold_ms[$path]=$(awk -v t="$secs" 'BEGIN { printf "%.0f", t * 1000 }') ;;
    404) skipped+=("$path") ;;
    *) echo "$path answered $code (expected 200, or 404 for a page not built yet)" >&2; exit 1 ;;
  esac
done
[ ${#measured[@]} -gt 0 ] || { echo "no page answered 200" >&2; exit 1; }

# ---- Warm-up: three requests each; the fastest gives the duration of the runs ----
declare -A single_ms
for path in "${measured[@]}"; do
  best=
  for _ in 1 2 3; do
    t=$(curl -fsS -o /dev/null -w '%{time_total}' -H "$(header_of "$path")" "$base$path")
    best=$(awk -v t="$t" -v b="${best:-1e9}" 'BEGIN { print (t < b) ? t : b }')
  done
  single_ms[$path]=$(awk -v t="$best" 'BEGIN { printf "%.0f", t * 1000 }')
  say "warmed up $path: one request takes ${single_ms[$path]} ms"
done

# ---- SQL statements per page: log_statement = 'all', one request between markers ----
pg() { psql -X -q -t -A -h 127.0.0.1 -p "$pg_port" -U postgres -d whygo -c "$1"; }
log="$data/postgres.log"
pg "alter system set log_statement = 'all'" && pg "select pg_reload_conf()" >/dev/null
sleep 1  # every backend takes the new setting before its next command
declare -A statements
for i in "${!measured[@]}"; do
  path=${measured[$i]}
  pg "select 'whygo-bench-mark-$i-start'" >/dev/null
  curl -fsS -o /dev/null -H "$(header_of "$path")" "$base$path"
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
# Each wrk run lasts BENCH_DURATION, or longer for slow pages: long enough for
# BENCH_MIN_REQUESTS requests at 1 client and for two full rounds of 32
# requests at 32 clients (a CPU-bound page runs at most $(nproc) at a time).
# wrk abandons the requests still in flight when its time is up and the server
# finishes them anyway, so each run waits for the server to go idle first.
lua="$data/report.lua"
cat >"$lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
LUA
cores=$(nproc)
min_requests=${BENCH_MIN_REQUESTS:-5}
min_requests_32=${BENCH_MIN_REQUESTS_32:-32}
seconds() { awk -v d="$1" 'BEGIN { n = d + 0; if (d ~ /ms$/) n /= 1000; else if (d ~ /m$/) n *= 60; printf "%d", n }'; }
base_secs=$(seconds "$duration")
run_secs() {  # $1 single-request ms, $2 requests wanted, $3 at a time
  awk -v ms="$1" -v n="$2" -v par="$3" -v min="$base_secs" \
    'BEGIN { s = int(ms / 1000 * n / par + 0.999); print (s > min) ? s : min }'
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
wait_idle() {  # until whygo uses < 5% of a core over 1 s and PostgreSQL runs no query
  local a b active
  for _ in $(seq 1 300); do
    a=$(cpu_ticks); sleep 1; b=$(cpu_ticks)
    active=$(pg "select count(*) from pg_stat_activity where state = 'active'
                 and backend_type = 'client backend' and pid <> pg_backend_pid()")
    if [ $((b - a)) -le 5 ] && [ "$active" = 0 ]; then return; fi
  done
  say "warning: the server did not go idle"
}
run_wrk() {  # $1 URL, $2 header, $3 connections, $4 threads, $5 seconds; sets n p50 p99 rps
  local out requests dur lat50 lat99 errors
  wait_idle
  say "measuring $1 at $3 client(s) for $5 s"
  out=$(wrk -c "$3" -t "$4" -d "${5}s" --timeout 120s -s "$lua" -H "$2" "$1")
  read -r _ requests dur lat50 lat99 errors < <(grep '^WRK ' <<<"$out")
  n=$requests
  # Failed requests (non-2xx/3xx answers, socket errors, timeouts) are a result
  # too: counted in the table, and their latencies are in the percentiles.
  if [ "$errors" != 0 ]; then
    say "warning: $errors of $requests requests of $1 failed at $3 clients"
    n="$requests ($errors failed)"
  fi
  if [ "$requests" = 0 ]; then say "warning: no request of $1 finished at $3 clients"; p50=—; p99=—; rps=—; return; fi
  read -r p50 p99 rps < <(awk -v r="$requests" -v d="$dur" -v a="$lat50" -v b="$lat99" \
    'BEGIN { printf "%.1f %.1f %.1f\n", a / 1000, b / 1000, r / (d / 1e6) }')
}
ratio() {  # $1 / $2 with three decimals, or — when either is missing
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "—" || b == "—" || b + 0 == 0) print "—"; else printf "%.3f", a / b }'
}

kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }
cached_rss_kib=$(kib "$pid" VmRSS)  # every page asked for a few times: Bigco cached

# The ceiling first: every page's ratio is to these figures.
run_wrk "$ceiling_url" "X-Bench: ceiling" 1 1 "$base_secs"
c1_rps=$rps; c1_p99=$p99; c1_n=$n
run_wrk "$ceiling_url" "X-Bench: ceiling" 32 2 "$base_secs"
c32_rps=$rps; c32_p99=$p99; c32_n=$n
rows=("| ceiling (bench/ceiling: 1 query, 200 rows, askama) | | $((ceiling_bytes / 1024)) | $c1_n | $c1_rps | 1 | $c1_p99 | 1 | $c32_n | $c32_rps | 1 | $c32_p99 | 1 | |")
for path in "${measured[@]}"; do
  ms=${single_ms[$path]}
  h=$(header_of "$path")
  run_wrk "$base$path" "$h" 1 1 "$(run_secs "$ms" "$min_requests" 1)"
  one="$n | $rps | $(ratio "$rps" "$c1_rps") | $p99 | $(ratio "$p99" "$c1_p99")"
  run_wrk "$base$path" "$h" 32 2 "$(run_secs "$ms" "$min_requests_32" "$cores")"
  rows+=("| \`$path\` | ${statements[$path]} | $(( ${size[$path]} / 1024 )) | $one | $n | $rps | $(ratio "$rps" "$c32_rps") | $p99 | $(ratio "$p99" "$c32_p99") | $(( $(kib "$pid" VmRSS) / 1024 )) |")
done
# The ceiling again at the end: how much the machine drifted during the run.
run_wrk "$ceiling_url" "X-Bench: ceiling" 32 2 "$base_secs"
c32_end_rps=$rps; c32_end_p99=$p99

# ---- Cold rebuilds: the first request of a page after a check-in ----
# Bigco's CEO checks in one of her outcomes (dated today, as every check-in
# is), then asks for the page once: what a reader waits for after a write.
# Pages as of today read the new actual; pages as of an earlier date do not
# (their cached copy stands). Five rounds each; median and slowest.
bigco_cookie=${bigco_header#Cookie: whygo_session=}
checkin_field=$(curl -fsS -H "$bigco_header" "$base/bigco/checkin" | grep -o 'name="value-[0-9]-[^"]*"' | head -1 | sed 's/name="//; s/"$//')
[ -n "$checkin_field" ] || { echo "no outcome on $CEO's check-in form" >&2; exit 1; }
check_in_once() { python3 bench/checkins.py "$base" "$bigco_cookie" bigco "$checkin_field" 1 0.01 >/dev/null; }
REBUILT=(
  "/bigco"                                   # the dashboard as of today: reads the check-in
  "/bigco/report.json"                       # the whole organization's report as of today (first page)
  "/bigco/alignment"                         # the alignment tree as of today
  "/bigco/departments/$DEPT"                 # a department as of today
  "/bigco?as_of=$AS_OF"                      # last week's dashboard: not moved by today's check-in
)
rebuilt_rows=()
wait_idle
for path in "${REBUILT[@]}"; do
  times=()
  for _ in 1 2 3 4 5; do
    check_in_once
    times+=("$(curl -fsS -o /dev/null -w '%{time_total}' -H "$bigco_header" "$base$path")")
  done
  read -r med worst < <(printf '%s\n' "${times[@]}" | sort -g | awk '{ t[NR] = $1 } END { printf "%.1f %.1f\n", t[3] * 1000, t[5] * 1000 }')
  say "after a check-in, $path took $med ms (median), $worst ms (slowest)"
  rebuilt_rows+=("| \`$path\` | $med | $worst |")
done

# ---- Check-ins while leaders read the dashboard ----
# Check-ins per second at 4 clients (bench/checkins.py: form, then save),
# alone and then while wrk asks for the dashboard at 16 clients.
checkin_secs=${BENCH_CHECKIN_SECONDS:-10}
checkins() { python3 bench/checkins.py "$base" "$bigco_cookie" bigco "$checkin_field" 4 "$checkin_secs"; }
wait_idle
read -r ci_n _ ci_alone ci_failed < <(checkins)
say "check-ins alone: $ci_alone per second ($ci_n, $ci_failed failed)"
checkin_rows=("| alone | $ci_alone | 1 | $ci_failed | |")
for path in "/bigco?as_of=$AS_OF" "/bigco"; do
  wait_idle
  wrk -c 16 -t 2 -d "$((checkin_secs + 2))s" --timeout 120s -s "$lua" -H "$bigco_header" "$base$path" >"$data/wrk-under.txt" &
  wrk_pid=$!
  sleep 1
  read -r n_under _ under failed_under < <(checkins)
  wait "$wrk_pid"
  read -r _ reads dur _ _ _ < <(grep '^WRK ' "$data/wrk-under.txt")
  read_rps=$(awk -v r="$reads" -v d="$dur" 'BEGIN { printf "%.1f", r / (d / 1e6) }')
  say "check-ins with $path at 16 clients: $under per second; the page $read_rps req/s"
  checkin_rows+=("| with \`$path\` at 16 clients | $under | $(ratio "$under" "$ci_alone") | $failed_under | $read_rps |")
done

# ---- Memory after the run ----
# whygo: resident now (VmRSS) and at its peak (VmHWM). PostgreSQL: the
# proportional set size (Pss, shared memory divided among the processes that
# map it) summed over the postmaster and its children, so shared buffers
# count once.
rss_kib=$(kib "$pid" VmRSS); hwm_kib=$(kib "$pid" VmHWM)
pg_pss_kib=0; pg_procs=0
for p in "$pg_pid" $(pgrep -P "$pg_pid" || true); do
  k=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
  pg_pss_kib=$((pg_pss_kib + ${k:-0})); pg_procs=$((pg_procs + 1))
done

echo
echo "Bigco: $(grep -c '^\[\[person\]\]' "$workbook") people, $(grep -c '^\[\[whygo\]\]' "$workbook") WhyGOs, $(grep -c '^\[\[whygo.outcome\]\]' "$workbook") outcomes, $(grep -c '^\[\[actual\]\]' "$workbook") actuals; load $load_secs s; wrk runs of at least $duration; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(date -u +%Y-%m-%d)"
echo
echo "| page | SQL statements | KiB | 1 client: requests | req/s | × ceiling | p99 ms | × ceiling | 32 clients: requests | req/s | × ceiling | p99 ms | × ceiling | whygo RSS after, MiB |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
for path in "${skipped[@]}"; do echo "| \`$path\` | not found (404): not built yet | | | | | | | | | | | | |"; done
echo
echo "The ceiling again after the pages, 32 clients: $c32_end_rps req/s, p99 $c32_end_p99 ms."
echo "whygo serve with Bigco cached (every page asked for, before the runs): $((cached_rss_kib / 1024)) MiB resident."
echo
echo "The first request of each page after the load, in the order above (cold: only what the pages before it cached):"
echo
echo "| page | ms |"
echo "| --- | ---: |"
for path in "${measured[@]}"; do echo "| \`$path\` | ${cold_ms[$path]} |"; done
echo
echo "The first request of a page after a check-in by $CEO (5 rounds):"
echo
echo "| page | median ms | slowest ms |"
echo "| --- | ---: | ---: |"
printf '%s\n' "${rebuilt_rows[@]}"
echo
echo "Check-ins per second at 4 clients ($checkin_secs s each, bench/checkins.py):"
echo
echo "| while | check-ins/s | × alone | failed | page req/s |"
echo "| --- | ---: | ---: | ---: | ---: |"
printf '%s\n' "${checkin_rows[@]}"
echo "Memory after the run: whygo serve $((rss_kib / 1024)) MiB resident (peak $((hwm_kib / 1024)) MiB); PostgreSQL $((pg_pss_kib / 1024)) MiB (Pss of $pg_procs processes)."
if [ "${BENCH_KEEP:-0}" = 1 ]; then
  echo
  for i in "${!measured[@]}"; do echo "statements of ${measured[$i]}: $data/statements-$i.txt"; done
fi
