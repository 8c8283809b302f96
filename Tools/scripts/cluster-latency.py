#!/usr/bin/env python3
"""Cross-node delivery latency (issue 16): three `bubble-timer serve --postgres-url` nodes,
alice's device on node 1 sending, bob's devices on nodes 2 and 3 receiving. For each command:
from its acknowledgement on node 1 (the `result` frame: committed to PostgreSQL and applied
there) to the frame on bob's socket of another node, and from the send to that frame. One
command at a time, paced, so each figure is a latency and not a queue.

Usage: cluster-latency.py BIN POSTGRES_URL [COMMANDS]   (prints JSON; bench.sh section cluster)
"""
import json
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "e2e"))
from cluster import Device, Node, psql  # noqa: E402


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    bin_dir, base_url = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    import cluster
    cluster.BIN = bin_dir
    root = tempfile.mkdtemp(prefix="bubble-cluster-bench-")
    database = f"bubble_latency_{os.getpid()}"
    psql(base_url, f"CREATE DATABASE {database}")
    url = base_url.rsplit("/", 1)[0] + "/" + database
    # One socket sends far more than a phone would: the per-connection rate limit is lifted.
    nodes = [Node(root, f"node{i + 1}", url, "--rate", "100000", "--burst", "100000").start() for i in range(3)]
    try:
        import subprocess
        def token(user):
            return subprocess.run([f"{bin_dir}/bubble-timer", "token", user, "--data", nodes[0].data], check=True, capture_output=True, text=True).stdout.strip()
        alice = Device("alice", "a1", token("alice")).connect(nodes[0])
        bobs = [Device("bob", f"b{i}", token("bob")).connect(nodes[i]) for i in (1, 2)]
        arrival = {}
        lock = threading.Lock()
        for bob in bobs:
            original = bob._frame
            def frame(f, bob=bob, original=original):
                now = time.perf_counter()
                if "seq" in f and f.get("type") == "timer":
                    with lock:
                        arrival.setdefault(f["seq"], {})[bob.device] = now
                original(f)
            bob._frame = frame
        answer = alice.command({"type": "timer", "action": "update", "timer": {"id": "lat", "name": "L", "totalDuration": "PT1H", "remainingDuration": "PT1H"}, "shareWith": ["bob"]})
        assert answer["type"] == "result", answer
        from_ack, from_send = [], []
        for i in range(count):
            sent = time.perf_counter()
            answer = alice.command({"type": "timer", "action": "update", "timer": {"id": "lat", "name": f"L{i}", "totalDuration": "PT1H", "remainingDuration": "PT1H"}})
            acked = time.perf_counter()
            assert answer and answer.get("type") == "result", answer
            seq = answer["seq"]
            deadline = time.time() + 5
            while True:
                with lock:
                    got = arrival.get(seq, {})
                if len(got) == 2:
                    break
                assert time.time() < deadline, f"seq {seq} never reached both of bob's nodes"
                time.sleep(0.0002)
            for at in got.values():
                # A frame can beat the result home: node 1 answers after its own apply.
                from_ack.append(max(0.0, at - acked) * 1000)
                from_send.append((at - sent) * 1000)
            time.sleep(0.002)
        result = {
            "commands": count,
            "ack → frame on another node (ms)": {"p50": percentile(from_ack, 50), "p99": percentile(from_ack, 99), "p99.9": percentile(from_ack, 99.9)},
            "send → frame on another node (ms)": {"p50": percentile(from_send, 50), "p99": percentile(from_send, 99), "p99.9": percentile(from_send, 99.9)},
        }
        print(json.dumps(result, indent=2))
    finally:
        for node in nodes:
            node.stop()


if __name__ == "__main__":
    main()
