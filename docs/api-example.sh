#!/usr/bin/env bash
# Pushes a week of actuals from a CSV to whygo's API, pushes it again (a
# retry: nothing is saved twice), and reads the weekly report back.
#
#   docs/api-example.sh [week.csv]
#
# The CSV has a header line, then one actual a line: outcome,quarter,value,note
# (the note is everything after the third comma; quarter may be empty for
# the current one). Needs bash, curl and jq. Settings, by environment:
#   WHYGO_URL      the server (default http://127.0.0.1:3000)
#   WHYGO_TENANT   the organization's slug (default kartel, the demo)
#   WHYGO_EMAIL, WHYGO_PASSWORD   who signs in to make the token (default the
#                  demo's Wayan, who owns the CSV's outcomes)
#   WHYGO_TOKEN    an API token to use instead of making one
#   WHYGO_WEEK     the week the push is of (default this ISO week): with the
#                  tenant it makes the Idempotency-Key, so the same week's
#                  push, sent again, is answered as the first and saves nothing
set -euo pipefail

BASE=${WHYGO_URL:-http://127.0.0.1:3000}
TENANT=${WHYGO_TENANT:-kartel}
EMAIL=${WHYGO_EMAIL:-wayan@kartel.example}
PASSWORD=${WHYGO_PASSWORD:-whygo-demo-2026}
WEEK=${WHYGO_WEEK:-$(date +%G-W%V)}
CSV=${1:-$(dirname "$0")/api-example.csv}

# 1. A read-write token, made on the "API tokens" page as a person would
#    (sign in, then submit the page's form); it is shown once.
TOKEN=${WHYGO_TOKEN:-}
if [ -z "$TOKEN" ]; then
  jar=$(mktemp)
  trap 'rm -f "$jar"' EXIT
  form_token() { grep -o 'name="csrf_token" value="[^"]*"' | head -n 1 | cut -d '"' -f 4; }
  csrf=$(curl -fsS -c "$jar" -b "$jar" "$BASE/login" | form_token)
  curl -fsS -o /dev/null -c "$jar" -b "$jar" --data-urlencode "email=$EMAIL" \
    --data-urlencode "password=$PASSWORD" --data-urlencode "csrf_token=$csrf" "$BASE/login"
  csrf=$(curl -fsS -c "$jar" -b "$jar" "$BASE/$TENANT/api-tokens" | form_token)
  TOKEN=$(curl -fsS -c "$jar" -b "$jar" --data-urlencode "name=CSV push $WEEK" \
    -d scope=read-write -d expires=30 --data-urlencode "csrf_token=$csrf" \
    "$BASE/$TENANT/api-tokens" | grep -o 'whygo_[0-9a-f]\{64\}' | head -n 1)
  echo "token: ${TOKEN:0:14}… (made on $BASE/$TENANT/api-tokens)"
fi

# 2. The CSV as one batch of actuals.
body=$(jq -R -s '{actuals: [split("\n")[1:][] | sub("\r$"; "") | select(length > 0)
  | split(",") | {outcome: .[0],
                  quarter: (if .[1] == "" then null else (.[1] | tonumber) end),
                  value: .[2], note: (.[3:] | join(","))}]}' "$CSV")

# 3. Push it twice with the same Idempotency-Key: the second is a retry.
push() {
  curl -sS -D "$1.headers" -o "$1.json" -w '%{http_code}' \
    -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
    -H "Idempotency-Key: $TENANT-$WEEK" --data "$body" "$BASE/api/v1/$TENANT/actuals"
}
out=$(mktemp -d)
for n in 1 2; do
  status=$(push "$out/push$n")
  if [ "$status" != 201 ]; then
    echo "push $n: HTTP $status" >&2
    jq . "$out/push$n.json" >&2 || cat "$out/push$n.json" >&2
    exit 1
  fi
  replayed=$(grep -i '^idempotent-replayed:' "$out/push$n.headers" | tr -d '\r' | cut -d ' ' -f 2 || true)
  echo "push $n: HTTP $status, saved $(jq .saved "$out/push$n.json")${replayed:+ (replayed: nothing saved again)}"
done

# 4. The weekly report: the pushed outcomes as they stand now.
curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/$TENANT/report" > "$out/report.json"
jq -r --argjson keys "$(jq -c '[.actuals[].outcome]' <<<"$body")" '
  .quarter as $q
  | "report of \(.tenant) as of \(.as_of), Q\($q): company \(.company.status)",
    (.whygos[].outcomes[] | select(.key as $k | $keys | index($k))
     | .quarters[$q - 1] as $x
     | "  \(.key): \($x.actual) [\($x.status)] \($x.explanation)")' "$out/report.json"
rm -rf "$out"
