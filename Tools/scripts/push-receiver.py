#!/usr/bin/env python3
"""A local HTTP server playing the operator's push webhook, for the crash test and the
benchmark: every POST is recorded as `NOTIFICATION_ID DEVICE_ID` in OUT (flushed at once), and
answered 200 — or 503 for a share of them (FAIL_RATE, default 0.05), so retries are exercised.
It prints its port on stdout, then serves until killed.

Usage: push-receiver.py OUT [FAIL_RATE]
"""
import http.server, json, os, random, sys, threading

out_path = sys.argv[1]
fail_rate = float(sys.argv[2]) if len(sys.argv) > 2 else 0.05
out = open(out_path, "a")
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        fail = random.random() < fail_rate
        if not fail:
            push = json.loads(body)
            with lock:
                out.write(f"{push['notificationId']} {push['deviceId']}\n")
                out.flush()
        answer = b"{}"
        self.send_response(503 if fail else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
