#!/usr/bin/env python3
"""Three cluster nodes on one PostgreSQL log, end to end (issue 16): the built server started
three times with --postgres-url on loopback ports, nine seed-dialect sockets (alice, bob and
carol on every node), commands to the same timers from all three nodes at once, then kill -9
of the node leading the scheduler and the outbox under load. Checks:

- every device received exactly the frames the fan-out rule gives it (from each node's log:
  one per command and timer, to the live devices of its audience but the one it came from),
  once each, in seq order — across its move to another node when its node died;
- every acknowledged command is in PostgreSQL;
- a token minted with one node's secret works on the others; one device on two nodes keeps
  only the newer socket (the older node closes its own with 1000);
- ends fire once in the cluster, and again after the leader died (another node took over);
  every push of bob's inbox reaches the webhook receiver exactly once, before and after;
- every surviving node's replica verifies and has PostgreSQL's head seq and hash; the killed
  node restarted catches up to the same.

Usage: cluster.py BIN POSTGRES_URL   (Tools/scripts/test.sh passes the private instance's URL)
"""
import datetime
import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import websocket

sys.path.insert(0, os.path.dirname(__file__))
from support import call, free_port  # noqa: E402

BIN = sys.argv[1] if len(sys.argv) > 1 else ".build/debug"
BASE_URL = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("BUBBLE_TEST_POSTGRES_URL", "")
PSQL = (sorted(glob.glob("/usr/lib/postgresql/*/bin/psql")) or ["psql"])[-1]
USERS = ["alice", "bob", "carol"]
# Frames that are not fan-out of timer events (their seqs are someone's inbox or a position).
NOT_TIMER_FRAMES = {"snapshot", "resumed", "result", "error", "pong", "notification", "notificationsRead", "message", "time"}


def psql(url, sql):
    return subprocess.run([PSQL, url, "-Atqc", sql], check=True, capture_output=True, text=True).stdout.strip()


class Node:
    """`bubble-timer serve --postgres-url` on a data directory of its own."""

    def __init__(self, root, name, url, *extra):
        self.root, self.name, self.url, self.extra = root, name, url, extra
        self.data = os.path.join(root, name)
        self.port = free_port()
        self.process = None

    def start(self):
        self.log = open(os.path.join(self.root, f"{self.name}.log"), "a")
        self.process = subprocess.Popen(
            [f"{BIN}/bubble-timer", "serve", "--data", self.data, "--port", str(self.port), "--postgres-url", self.url,
             "--log-format", "text", "--log-level", "notice", *self.extra],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            assert self.process.poll() is None, f"{self.name} exited: {self.tail()}"
            status, _, _ = call(self.base, "GET", "/health") if self.listening() else (0, "", {})
            if status == 200:
                return self
            time.sleep(0.1)
        raise AssertionError(f"{self.name} did not start: {self.tail()}")

    def listening(self):
        import socket
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def head(self):
        status, body, _ = call(self.base, "GET", "/health")
        assert status == 200, body
        return json.loads(body)["seq"]

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        if self.process:
            self.log.close()

    def tail(self):
        with open(os.path.join(self.root, f"{self.name}.log")) as f:
            return f.read()[-3000:]

    def tool(self, *args):
        out = subprocess.run([f"{BIN}/{args[0]}", *args[1:], "--data", self.data], capture_output=True, text=True)
        return out.returncode, out.stdout, out.stderr


class Device:
    """One seed-dialect device: a socket at a time, each resumed where the last one stopped."""

    def __init__(self, user, device, token):
        self.user, self.device, self.token = user, device, token
        self.lock = threading.Condition()
        self.start_seq = None       # the first snapshot's seq: everything after it is owed
        self.position = None        # the last seq this device has seen (snapshot, resume or frame)
        self.seen = []              # seqs of timer frames, as received, across sockets
        self.results = {}           # requestId → result/error frame
        self.closes = []            # (code, reason) of closes the server sent
        self.resume_failures = 0
        self.connects = 0
        self.ws = None
        self.open = False
        self.next_request = 0

    def connect(self, node):
        query = f"deviceId={self.device}&dialect=seed" + (f"&since={self.position}" if self.position is not None else "")
        ws = websocket.create_connection(f"ws://127.0.0.1:{node.port}/ws?{query}", header=[f"Authorization: Bearer {self.token}"], timeout=15)
        with self.lock:
            self.ws, self.open, self.ready = ws, True, False
            self.connects += 1
        threading.Thread(target=self._read, args=(ws,), daemon=True).start()
        self.wait(lambda: self.ready or not self.open, 15, "its first state")
        return self

    def _read(self, ws):
        try:
            while True:
                opcode, data = ws.recv_data(control_frame=True)
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
                    with self.lock:
                        self.closes.append((code, data[2:].decode(errors="replace")))
                    break
                if opcode != websocket.ABNF.OPCODE_TEXT:
                    continue
                self._frame(json.loads(data))
        except Exception:
            pass
        with self.lock:
            if self.ws is ws:
                self.open = False
            self.lock.notify_all()

    def _frame(self, frame):
        kind = frame.get("type")
        with self.lock:
            if kind == "snapshot":
                if self.position is not None:
                    self.resume_failures += 1
                self.start_seq = frame["seq"] if self.start_seq is None else self.start_seq
                self.position = frame["seq"]
                self.ready = True
            elif kind == "resumed":
                self.ready = True
            elif kind in ("result", "error") and "requestId" in frame:
                self.results[frame["requestId"]] = frame
            elif "seq" in frame and kind not in NOT_TIMER_FRAMES:
                self.seen.append(frame["seq"])
                self.position = frame["seq"]
            self.lock.notify_all()

    def wait(self, predicate, timeout, what):
        deadline = time.time() + timeout
        with self.lock:
            while not predicate():
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError(f"{self.user}/{self.device}: timed out waiting for {what}")
                self.lock.wait(left)

    def command(self, frame, timeout=15):
        """Sends a command and waits for its answer; None if the socket died first."""
        with self.lock:
            self.next_request += 1
            rid = f"{self.device}-{self.next_request}"
            ws = self.ws
        try:
            ws.send(json.dumps({**frame, "requestId": rid}))
        except Exception:
            return None
        try:
            self.wait(lambda: rid in self.results or not self.open, timeout, f"the answer to {rid}")
        except AssertionError:
            return None
        return self.results.get(rid)

    def close(self):
        if self.ws:
            try:
                self.ws.close()
            except Exception:
                pass


def end_in(seconds):
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def expected_frames(events, user, device, start, end):
    """The fan-out rule, from the log: per command and timer, one frame (at the command's last
    seq) to every device of the users concerned but the one it came from. A command's events
    are consecutive, the last one marked."""
    out, timers, origin = [], {}, None
    for e in sorted(events, key=lambda e: e["seq"]):
        origin = (e["user"], e["device"])
        if e["stream"].startswith("timer:"):
            timers.setdefault(e["stream"], set()).update(e["audience"])
        if not e["lastInCommand"]:
            continue
        for audience in timers.values():
            if start < e["seq"] <= end and user in audience and origin != (user, device):
                out.append(e["seq"])
        timers = {}
    return out


class ClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert BASE_URL, "a PostgreSQL URL is needed (BUBBLE_TEST_POSTGRES_URL)"
        cls.root = tempfile.mkdtemp(prefix="bubble-cluster-")
        database = f"bubble_cluster_{os.getpid()}"
        psql(BASE_URL, f"CREATE DATABASE {database}")
        cls.url = BASE_URL.rsplit("/", 1)[0] + "/" + database
        # A local HTTP server playing the push webhook: one line per push it took.
        cls.pushes = os.path.join(cls.root, "pushes.txt")
        receiver = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "..", "push-receiver.py"), cls.pushes, "0"],
                                    stdout=subprocess.PIPE, text=True)
        cls.addClassCleanup(receiver.kill)
        hook = f"http://127.0.0.1:{receiver.stdout.readline().strip()}/hook"
        cls.nodes = [Node(cls.root, f"node{i + 1}", cls.url, "--push-webhook-url", hook) for i in range(3)]
        cls.addClassCleanup(lambda: [n.stop() for n in cls.nodes])
        # The first node makes the secrets and the first leases; the others join it.
        for node in cls.nodes:
            node.start()

    def token(self, user, node):
        out = subprocess.run([f"{BIN}/bubble-timer", "token", user, "--data", node.data], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def events(self, node):
        code, out, err = node.tool("bubble-inspect", "tail", "--json", "-n", "1000000")
        self.assertEqual(code, 0, err)
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def pushed(self):
        with open(self.pushes) as f:
            return [int(line.split()[0]) for line in f if line.strip()]

    def wait_pushes(self, node, timeout=20):
        """Waits until every notification in bob's inbox was pushed; returns (owed, pushed)."""
        deadline = time.time() + timeout
        while True:
            owed = sorted(e["seq"] for e in self.events(node) if e["type"] == "notification_created" and e["stream"] == "user:bob")
            pushed = self.pushed()
            if set(pushed) >= set(owed):
                return owed, pushed
            self.assertLess(time.time(), deadline, f"pushed {sorted(set(pushed))} of {owed}")
            time.sleep(0.2)

    def wait_heads(self, nodes, timeout=20):
        deadline = time.time() + timeout
        while True:
            shared = int(psql(self.url, "SELECT seq FROM bubble_log_head"))
            heads = [n.head() for n in nodes]
            if all(h == shared for h in heads):
                return shared
            self.assertLess(time.time(), deadline, f"replicas {heads} never reached PostgreSQL's head {shared}")
            time.sleep(0.05)

    def test_cluster(self):
        n1, n2, n3 = self.nodes
        # One set of secrets: each node's files are the first node's, and its tokens work everywhere.
        for name in ["dev-jwt-secret", "signing-key.pem", "account-key", "admin-token"]:
            with open(os.path.join(n1.data, name)) as a, open(os.path.join(n3.data, name)) as c:
                self.assertEqual(a.read(), c.read(), name)
        for node in self.nodes:
            status, body, _ = call(node.base, "GET", "/health")
            health = json.loads(body)
            self.assertEqual((status, health["status"], health["cluster"]["sharedLog"], health["cluster"]["problems"]), (200, "ok", "ok", []), body)
        token = self.token("alice", n1)
        for node in self.nodes:
            status, body, _ = call(node.base, "GET", "/me", token=token)
            self.assertEqual(status, 200, body)
            self.assertEqual(json.loads(body)["id"], "alice")

        # Bob's phone takes pushes through the webhook (it has no socket: everything is pushed).
        status, body, _ = call(n3.base, "POST", "/me/devices", {"deviceId": "bob-push", "provider": "webhook", "token": "bob-token"}, token=self.token("bob", n3))
        self.assertEqual(status, 201, body)

        devices = {}
        for user in USERS:
            token = self.token(user, n2)
            for i, node in enumerate(self.nodes):
                devices[(user, i)] = Device(user, f"{user}-d{i}", token).connect(node)

        # Alice makes three timers on node 1, shared with bob and carol.
        alice = devices[("alice", 0)]
        for t in range(3):
            timer = {"id": f"t{t}", "name": f"T{t}", "totalDuration": "PT1H", "remainingDuration": "PT1H"}
            answer = alice.command({"type": "timer", "action": "update", "timer": timer, "shareWith": ["bob", "carol"]})
            self.assertEqual(answer["type"], "result", answer)

        acked = []
        acked_lock = threading.Lock()
        stop_sending = threading.Event()
        failover = {0: n2, 1: n3, 2: n2}

        def send(device, index, count):
            # Renames from alice's devices, a second added from bob's and carol's: all on the
            # same three timers, from every node at once.
            i = 0
            while i < count and not stop_sending.is_set():
                timer = f"t{i % 3}"
                if device.user == "alice":
                    frame = {"type": "timer", "action": "update", "timer": {"id": timer, "name": f"{device.device}-{i}", "totalDuration": "PT1H", "remainingDuration": "PT1H"}}
                else:
                    frame = {"type": "timer", "action": "add", "timerId": timer, "duration": "PT1S"}
                answer = device.command(frame)
                if answer is None:
                    # Its node died: the same device resumes on another node where it left off.
                    device.wait(lambda: not device.open, 15, "its socket to end")
                    device.connect(failover[index])
                    continue
                self.assertEqual(answer["type"], "result", answer)
                if answer.get("changed"):
                    with acked_lock:
                        acked.append(answer["seq"])
                i += 1

        def run_load(count, during=None):
            threads = [threading.Thread(target=send, args=(d, i, count)) for (u, i), d in devices.items()]
            for t in threads:
                t.start()
            if during:
                during()
            for t in threads:
                t.join(timeout=120)
                self.assertFalse(t.is_alive(), "a sender hung")

        started = time.time()
        run_load(40)
        first_round = time.time() - started
        head = self.wait_heads(self.nodes)
        self.assertGreaterEqual(head, len(acked))

        # Ends fire once per cluster: a timer ending in a second completes on the leader only.
        answer = alice.command({"type": "timer", "action": "update", "timer": {"id": "soon1", "name": "Soon", "totalDuration": "PT1S", "timerEnd": end_in(1)}, "shareWith": ["bob"]})
        self.assertEqual(answer["type"], "result", answer)

        # One device on two nodes: the newer socket wins, the older node closes its own.
        moving = Device("carol", "carol-moving", self.token("carol", n3)).connect(n1)
        moving.connect(n3)
        moving.wait(lambda: (1000, "replaced by a newer connection of this device") in moving.closes, 10, "node 1 to close the replaced socket")

        # Kill -9 the node leading the scheduler and the outbox while all nine devices send
        # (once the pushes owed so far are out: one in flight at the kill may go twice).
        self.assertIn("leading the cluster's scheduler", n1.tail())
        self.assertIn("leading the cluster's outbox", n1.tail())
        self.wait_pushes(n2)

        def kill_first():
            time.sleep(1.0)
            n1.kill()
        killed_at = time.time()
        acked_before_kill = len(acked)
        run_load(60, during=kill_first)
        survivors = [n2, n3]
        shared = self.wait_heads(survivors)

        # Acknowledged means in PostgreSQL.
        in_postgres = set(int(s) for s in psql(self.url, "SELECT seq FROM bubble_events").split())
        self.assertTrue(set(acked) <= in_postgres, sorted(set(acked) - in_postgres)[:10])
        self.assertEqual(len(acked), len(set(acked)), "a seq acknowledged twice")

        # Another node took the scheduler over: a timer ending now completes, once.
        answer = devices[("alice", 2)].command({"type": "timer", "action": "update", "timer": {"id": "soon2", "name": "Later", "totalDuration": "PT1S", "timerEnd": end_in(1)}, "shareWith": ["bob"]})
        self.assertEqual(answer["type"], "result", answer)
        deadline = time.time() + 20
        while True:
            events = self.events(n3)
            completed = [e for e in events if e["type"] == "timer_completed"]
            if {e["stream"] for e in completed} == {"timer:soon1", "timer:soon2"}:
                break
            self.assertLess(time.time(), deadline, f"completions so far: {[e['stream'] for e in completed]}")
            time.sleep(0.2)
        self.assertEqual(sorted(e["stream"] for e in completed), ["timer:soon1", "timer:soon2"], "each end fired once")
        shared = self.wait_heads(survivors)
        # Another node took the outbox over: every push once, the ones after the kill included.
        owed, pushed = self.wait_pushes(n2)
        self.assertEqual(sorted(pushed), owed, "each notification pushed once")
        after_kill = [e["seq"] for e in self.events(n2) if e["type"] == "notification_created" and e["stream"] == "user:bob" and e["data"].get("timerId") == "soon2"]
        self.assertTrue(after_kill and set(after_kill) <= set(pushed), after_kill)

        # Every device got exactly its frames, once, in order — the ones that moved included.
        events = self.events(n2)
        for (user, i), device in devices.items():
            want = expected_frames(events, user, device.device, device.start_seq, shared)
            device.wait(lambda: (device.seen[-1] if device.seen else 0) >= (want[-1] if want else 0), 20, "its last frame")
            time.sleep(0.05)
            with device.lock:
                self.assertEqual(device.resume_failures, 0, f"{device.device} lost its place")
                self.assertEqual(device.seen, want, f"{device.device}: {len(device.seen)} frames vs {len(want)} owed")
        # Node 1's devices lived through the kill by moving; nobody else had to.
        self.assertEqual({d.device: d.connects for d in devices.values()}, {d.device: 2 if i == 0 else 1 for (u, i), d in devices.items()})
        self.assertGreater(len(acked), acked_before_kill + 100, "the load went on after the kill")

        # Replicas: verified, at PostgreSQL's head seq and hash. The killed node catches up.
        for d in devices.values():
            d.close()
        moving.close()
        n1.start()
        head = self.wait_heads(self.nodes)
        pg_hash = psql(self.url, "SELECT encode(chain, 'hex') FROM bubble_log_head")
        for node in self.nodes:
            node.stop()
            code, out, err = node.tool("bubble-inspect", "verify", "--json")
            self.assertEqual(code, 0, out + err)
            report = json.loads(out)
            self.assertEqual((report["lastSeq"], report["headHash"]), (head, pg_hash), node.name)
            code, out, err = node.tool("bubble-replay", "--verify", "--json")
            self.assertEqual(code, 0, out + err)
            self.assertTrue(json.loads(out)["consistent"])
        self.assertIn("caught up with the shared log", n1.tail())
        print(f"\ncluster: {len(acked)} commands acknowledged through 3 nodes ({first_round:.1f} s for the first 360), "
              f"node 1 killed {time.time() - killed_at:.0f} s before the end, head {head}", file=sys.stderr)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
