#!/usr/bin/env python3
"""Check-ins per second, as a person makes them: open the check-in form
(GET, for its one-time submission token and the CSRF token), then save one
value (POST, which must answer 303). Several clients at once, each on its own
keep-alive connection, for a fixed time.

Usage: bench/checkins.py BASE COOKIE TENANT FIELD CLIENTS SECONDS
  BASE    http://127.0.0.1:PORT
  COOKIE  the whygo_session cookie value of a signed-in person
  TENANT  the organization's slug
  FIELD   the form field of one of that person's outcomes, e.g. value-4-executive-1-o1
Prints one line: "<check-ins> <seconds> <per second> <failed>".

Only the Python 3 standard library; used by bench/pages.sh.
"""

import http.client
import re
import sys
import threading
import time
import urllib.parse

SUBMISSION = re.compile(r'name="submission" value="([0-9a-f]+)"')
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def client(base, cookie, tenant, field, stop_at, counts, index):
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    headers = {"Cookie": f"whygo_session={cookie}"}
    done = failed = 0
    n = 0
    while time.monotonic() < stop_at:
        try:
            conn.request("GET", f"/{tenant}/checkin", headers=headers)
            res = conn.getresponse()
            page = res.read().decode("utf-8", "replace")
            sub, csrf = SUBMISSION.search(page), CSRF.search(page)
            if res.status != 200 or not sub or not csrf:
                failed += 1
                continue
            n += 1
            body = urllib.parse.urlencode(
                {
                    field: str(40 + (index * 7 + n) % 20),
                    "submission": sub.group(1),
                    "csrf_token": csrf.group(1),
                    "action": "save",
                }
            )
            conn.request(
                "POST",
                f"/{tenant}/checkin",
                body=body,
                headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
            )
            res = conn.getresponse()
            res.read()
            if res.status == 303:
                done += 1
            else:
                failed += 1
        except (OSError, http.client.HTTPException):
            failed += 1
            conn.close()
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    counts[index] = (done, failed)


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    base, cookie, tenant, field = sys.argv[1:5]
    clients, seconds = int(sys.argv[5]), float(sys.argv[6])
    counts = [(0, 0)] * clients
    start = time.monotonic()
    stop_at = start + seconds
    threads = [
        threading.Thread(
            target=client, args=(base, cookie, tenant, field, stop_at, counts, i)
        )
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    done = sum(c[0] for c in counts)
    failed = sum(c[1] for c in counts)
    print(f"{done} {elapsed:.1f} {done / elapsed:.2f} {failed}")


if __name__ == "__main__":
    main()
