#!/usr/bin/env python3
"""The push figures, against a real server (see bench.sh, section `push`).

  fill PORT SECRET USERS BURSTS   registers USERS users with a webhook device each; then, BURSTS
                                  times, one owner shares a new timer with every one of them: a
                                  burst of USERS/100 requests sent at once (each shares one timer
                                  with 100 users, the server's default share limit: 100 shares and
                                  100 notifications in one command); prints {"users","bursts",
                                  "notifications","seconds","perSecond","burstSeconds"}
  drain PORT PENDING              polls /metrics until the push outbox is empty; prints
                                  {"pending","seconds","perSecond"} (time from the first poll)
Tokens are HS256, signed with the server's dev secret (SECRET), as `bubble-timer token` does.
"""
import base64, hashlib, hmac, http.client, json, sys, threading, time


def token(secret, user):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64(json.dumps({"sub": user, "exp": int(time.time()) + 86400}).encode())
    mac = hmac.new(secret.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{b64(mac)}"


def call(conn, method, path, tok, body):
    conn.request(method, path, body=json.dumps(body), headers={"Authorization": f"Bearer {tok}", "Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    if response.status >= 300:
        sys.exit(f"{method} {path}: {response.status} {data[:200]}")
    return json.loads(data)


def fill(port, secret, users, bursts):
    names = [f"push-u{i}" for i in range(users)]

    def register(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for name in chunk:
            call(conn, "POST", "/me/devices", token(secret, name), {"deviceId": "hook", "provider": "webhook", "token": name})
    threads = [threading.Thread(target=register, args=(names[i::8],)) for i in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
    owner = token(secret, "push-owner")
    groups = [names[i:i + 100] for i in range(0, users, 100)]
    seconds = []
    for b in range(bursts):
        def share(indices):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            for g in indices:
                timer = f"burst-{b}-{g}"
                call(conn, "POST", "/timers/shared", owner,
                     {"timerId": timer, "userIds": groups[g], "timer": {"id": timer, "name": "Burst", "totalDuration": "PT5M"}})
        threads = [threading.Thread(target=share, args=(range(i, len(groups), 16),)) for i in range(16)]
        start = time.monotonic()
        for t in threads: t.start()
        for t in threads: t.join()
        seconds.append(time.monotonic() - start)
    total = sum(seconds)
    print(json.dumps({"users": users, "bursts": bursts, "notifications": users * bursts, "seconds": total,
                      "perSecond": users * bursts / total, "burstSeconds": seconds}))


def depth(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    for line in conn.getresponse().read().decode().splitlines():
        if line.startswith("bubble_push_outbox_depth "):
            return float(line.split()[1])
    return None


def drain(port, pending):
    start = time.monotonic()
    first = None
    while True:
        d = depth(port)
        if first is None:
            first = d  # the sender starts with the server: some may be gone already
        if d == 0:
            break
        if time.monotonic() - start > 1800:
            sys.exit(f"outbox still holds {d} after 30 minutes")
        time.sleep(0.05)
    seconds = time.monotonic() - start
    print(json.dumps({"pending": pending, "atFirstPoll": first, "seconds": seconds, "perSecond": first / seconds}))


if sys.argv[1] == "fill":
    fill(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
else:
    drain(int(sys.argv[2]), int(sys.argv[3]))
