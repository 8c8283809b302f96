#!/usr/bin/env python3
"""The crash test's timekeeping load: creates timers that fall due within the next few seconds
(some while the server runs, some while it is dead, some after it restarts), with a reminder
on every third and a public link on every fifth, and signs a new user in by email code every
tenth (the code read from MAIL, where the server's --mail-command appends its mails), until the
server goes away. Every acknowledged one is appended to OUT as `timer ID ENDS_AT_MS`,
`reminder ID REMINDER_ID`, `link TOKEN` or `session REFRESH_TOKEN`, flushed before the next
request.

Usage: due-load.py PORT TOKEN PREFIX OUT [MAIL]
"""
import json, os, random, re, sys, time, urllib.error, urllib.request

port, token, prefix, out_path = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
mail_path = sys.argv[5] if len(sys.argv) > 5 else None
out = open(out_path, "a")


def call(method, path, body=None, auth=True):
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=json.dumps(body or {}).encode(), method=method, headers=headers)
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
        if n % 5 == 0:
            status, body = call("POST", f"/timers/{timer}/links")
            if status == 201:
                record(f"link {body['token']}")
        if mail_path and n % 10 == 0:
            email = f"{prefix}-{n}@example.org"
            status, _ = call("POST", "/auth/login", {"email": email}, auth=False)
            code, deadline = None, time.time() + 3
            while code is None and time.time() < deadline:
                text = open(mail_path).read() if os.path.exists(mail_path) else ""
                found = re.findall(rf"To: {re.escape(email)}\r?\n.*?Your sign-in code is (\d{{6}})\.", text, re.S)
                code = found[-1] if found else None
                time.sleep(0.02)
            if code:
                status, body = call("POST", "/auth/verify", {"email": email, "code": code}, auth=False)
                if status == 200:
                    record(f"session {body['refreshToken']}")
        n += 1
        time.sleep(0.01)
except (urllib.error.URLError, ConnectionError, OSError, TimeoutError):
    pass  # the server was killed: that is the test
