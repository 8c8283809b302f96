#!/usr/bin/env python3
"""The crash test's timekeeping load: creates timers that fall due within the next few seconds
(some while the server runs, some while it is dead, some after it restarts), with a reminder
on every third, until the server goes away. Every acknowledged one is appended to OUT as
`timer ID ENDS_AT_MS` or `reminder ID REMINDER_ID`, flushed before the next request.

Usage: due-load.py PORT TOKEN PREFIX OUT
"""
import json, os, random, sys, time, urllib.error, urllib.request

port, token, prefix, out_path = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
out = open(out_path, "a")


def call(method, path, body):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, json.loads(response.read())


def record(line):
    out.write(line + "\n")
    out.flush()
    os.fsync(out.fileno())


n = 0
try:
    while True:
        timer = f"{prefix}-{n}"
        ends = int(time.time() * 1000) + random.randint(200, 3000)
        iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ends / 1000)) + f".{ends % 1000:03d}Z"
        status, body = call("POST", f"/timers/{timer}", {"name": "due", "totalDuration": "PT3S", "endTime": iso})
        if status == 200 and body["timer"]["endsAt"] == ends:
            record(f"timer {timer} {ends}")
        if n % 3 == 0:
            status, body = call("POST", f"/timers/{timer}/reminders", {"before": "PT0.3S"})
            if status == 201:
                record(f"reminder {timer} {body['reminder']['id']}")
        n += 1
        time.sleep(0.01)
except (urllib.error.URLError, ConnectionError, OSError, TimeoutError):
    pass  # the server was killed: that is the test
