#!/usr/bin/env python3
"""Connection floods against a running server (docs/benchmarks.md, reliability).

usage: flood.py PORT [--idle N] [--slow N] [--hold SECONDS] [--health-from 127.0.0.2]

Opens N idle TCP connections (connect, send nothing) and N slow-header ones (one byte of a
request head a second), then, while they are held, times GET /health on fresh connections,
and finally reports how many flood connections the server had closed. Prints one JSON line.
"""
import argparse, http.client, json, resource, socket, statistics, time

parser = argparse.ArgumentParser()
parser.add_argument("port", type=int)
parser.add_argument("--idle", type=int, default=0)
parser.add_argument("--slow", type=int, default=0)
parser.add_argument("--hold", type=float, default=5)
parser.add_argument("--health-from", default="127.0.0.1", help="source address of the /health client (another loopback address is another client)")
args = parser.parse_args()

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

def connect():
    s = socket.socket()
    s.setblocking(True)
    s.connect(("127.0.0.1", args.port))
    s.setblocking(False)
    return s

idle, slow, failed = [], [], 0
started = time.monotonic()
for _ in range(args.idle):
    try: idle.append(connect())
    except OSError: failed += 1
for _ in range(args.slow):
    try: slow.append(connect())
    except OSError: failed += 1
opened = time.monotonic() - started

head = b"GET /health HTTP/1.1\r\nHost: x\r\n"
latencies, errors, sent = [], 0, 0
deadline = time.monotonic() + args.hold
while time.monotonic() < deadline:
    for s in slow:
        try: s.send(head[sent % len(head):sent % len(head) + 1])
        except OSError: pass
    sent += 1
    for _ in range(10):
        t0 = time.monotonic()
        try:
            c = http.client.HTTPConnection("127.0.0.1", args.port, timeout=5, source_address=(args.health_from, 0))
            c.request("GET", "/health")
            if c.getresponse().status != 200: raise OSError("status")
            c.close()
            latencies.append((time.monotonic() - t0) * 1000)
        except Exception:
            errors += 1
        time.sleep(0.1)

def closed(conns):
    n = 0
    for s in conns:
        try:
            if s.recv(1) == b"": n += 1
        except BlockingIOError: pass
        except OSError: n += 1
    return n

latencies.sort()
print(json.dumps({
    "idle": args.idle, "slow": args.slow, "connect_failures": failed, "opened_seconds": round(opened, 2),
    "hold_seconds": args.hold,
    "health_requests": len(latencies) + errors, "health_errors": errors,
    "health_p50_ms": round(statistics.median(latencies), 2) if latencies else None,
    "health_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 2) if latencies else None,
    "idle_closed_by_server": closed(idle), "slow_closed_by_server": closed(slow),
}))
