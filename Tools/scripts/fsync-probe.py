#!/usr/bin/env python3
"""The disk's own fsync latency, the floor under every durable figure: writes 4 KiB and calls
fdatasync once a millisecond for SECONDS (default 60) in DIR (default /tmp), then prints JSON
with p50/p99/p99.9/max and how many took over 100 ms. Usage: fsync-probe.py [SECONDS] [DIR]"""
import json, os, sys, time

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60
path = os.path.join(sys.argv[2] if len(sys.argv) > 2 else "/tmp", f"fsync-probe-{os.getpid()}")
fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
lat = []
end = time.time() + seconds
try:
    while time.time() < end:
        os.pwrite(fd, os.urandom(4096), (len(lat) % 256) * 4096)
        t = time.perf_counter()
        os.fdatasync(fd)
        lat.append((time.perf_counter() - t) * 1000)
        time.sleep(0.001)
finally:
    os.close(fd)
    os.unlink(path)
lat.sort()
n = len(lat)
print(json.dumps({"count": n, "seconds": seconds, "p50Ms": lat[n // 2], "p99Ms": lat[int(n * .99)],
                  "p99.9Ms": lat[int(n * .999)], "maxMs": lat[-1], "over100Ms": sum(1 for x in lat if x > 100)}))
