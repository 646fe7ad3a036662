#!/usr/bin/env bash
# Resident memory of `whygo serve` under a flood of concurrent wrong-password
# sign-ins: each from an address and for an account of its own (behind
# --trust-proxy, via X-Forwarded-For), so no sign-in limit stops one before
# its argon2 verification. Prints RSS before, the peak during (VmHWM) and
# after, and the answers, once with the default glibc allocator settings
# and once with MALLOC_MMAP_THRESHOLD_=131072 (argon2's 19 MiB blocks
# always mmapped, so returned to the system when freed).
#
# Usage: bench/signin_flood.sh [path/to/whygo] [sign-ins] [hash slots]
# Defaults: target/release/whygo, 300, 2. Builds nothing; needs curl.
set -euo pipefail
bin=${1:-target/release/whygo}
n=${2:-300}
slots=${3:-2}
port=${BENCH_PORT:-39177}
base="http://127.0.0.1:$port"

kb() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$2/status"; }

run() {
  local label=$1; shift
  local data work pid
  data=$(mktemp -d); chmod 755 "$data"; work=$(mktemp -d)
  env "$@" WHYGO_DATA_DIR="$data" RUST_LOG=error "$bin" serve --addr "127.0.0.1:$port" \
    --demo false --hash-slots "$slots" --trust-proxy true >/dev/null 2>"$work/server.log" &
  pid=$!
  for _ in $(seq 1 3000); do
    curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break
    kill -0 $pid 2>/dev/null || { echo "whygo serve stopped:" >&2; cat "$work/server.log" >&2; exit 1; }
    sleep 0.01
  done
  # The anonymous visitor's cookie and form token, shared by every request.
  curl -fsS -c "$work/jar" "$base/login" >"$work/login.html"
  local token
  token=$(grep -o 'name="csrf_token" value="[^"]*"' "$work/login.html" | head -1 | sed 's/.*value="//; s/"$//')
  # One sign-in first, so the dummy hash's memory is in the baseline.
  curl -s -o /dev/null -b "$work/jar" -H "X-Forwarded-For: 192.0.2.1" \
    --data "email=warm%40example.com&password=wrong-password&csrf_token=$token" "$base/login"
  local before hwm_before
  before=$(kb VmRSS $pid); hwm_before=$(kb VmHWM $pid)
  local t0; t0=$(date +%s.%N)
  for i in $(seq 1 "$n"); do
    curl -s -o /dev/null -w '%{http_code}\n' -b "$work/jar" \
      -H "X-Forwarded-For: 10.$((i / 250)).$((i % 250)).1" \
      --data "email=flood$i%40example.com&password=wrong-password-$i&csrf_token=$token" \
      "$base/login" >>"$work/codes" &
  done
  wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
  local took; took=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.1f", a - b }')
  sleep 1
  local after hwm
  after=$(kb VmRSS $pid); hwm=$(kb VmHWM $pid)
  printf '%-34s %d sign-ins, --hash-slots %s, %5.1f s: RSS before %4d MB, peak %4d MB (VmHWM before %d MB), after %4d MB; answers: %s\n' \
    "$label" "$n" "$slots" "$took" $((before / 1024)) $((hwm / 1024)) $((hwm_before / 1024)) $((after / 1024)) \
    "$(sort "$work/codes" | uniq -c | awk '{ printf "%s×%s ", $1, $2 }')"
  kill -TERM $pid; wait $pid || true
  rm -rf "$data" "$work"
}

run "default allocator:"
run "MALLOC_MMAP_THRESHOLD_=131072:" MALLOC_MMAP_THRESHOLD_=131072
