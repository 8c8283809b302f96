#!/usr/bin/env python3
"""Waits until a local server answers GET /health (usage: wait-healthy.py PORT [SECONDS])."""
import sys, time, urllib.request

port = sys.argv[1]
deadline = time.monotonic() + float(sys.argv[2] if len(sys.argv) > 2 else 20)
while time.monotonic() < deadline:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=0.5).read()
        sys.exit(0)
    except Exception:
        time.sleep(0.01)
sys.exit(f"the server on port {port} did not become healthy")
