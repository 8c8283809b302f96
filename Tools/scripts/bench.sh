#!/usr/bin/env bash
# Every published figure in one command: release build, then the core benchmarks and the
# end-to-end runs over real sockets against a real server on this machine (load generator on
# the same cores). Scratch data under /tmp, removed afterwards; each run's JSON is kept in
# $OUT (default /tmp/bubble-bench-results) and a summary table is printed at the end.
# Usage: Tools/scripts/bench.sh [core] [e2e] [fanout] [resume] [idle] [startup] [time] [push] [peers]   (default: all)
# BIG=10000000 also times start-up on a 10M-event log (about 3 GB of disk and two minutes).
set -euo pipefail
cd "$(dirname "$0")/../.."
source Tools/scripts/bootstrap.sh
swift build -c release >&2
bin=.build/release
out="${OUT:-/tmp/bubble-bench-results}"
mkdir -p "$out"
work="$(mktemp -d /tmp/bubble-bench-XXXXXX)"
sections="${*:-core e2e fanout resume idle startup time push peers cluster}"
server=""
trap '[ -n "$server" ] && kill -9 "$server" 2>/dev/null; rm -rf "$work"' EXIT

# start_server DATA [serve flags…]: a release server with the per-connection limits lifted
# (they are abuse limits, not what is measured), on a random port; sets $server and $url.
start_server() {
  local data="$1"; shift
  port=$((20000 + RANDOM % 20000))
  "$bin/bubble-timer" serve --data "$data" --port "$port" --log-level error --rate 1000000 --burst 1000000 \
    --max-shares 2000 --outbound-queue-bytes 67108864 --max-connections 200000 --max-connections-per-address 200000 "$@" > "$work/server.log" 2>&1 &
  server=$!
  url="ws://127.0.0.1:$port/ws"
  python3 Tools/scripts/wait-healthy.py "$port"
}
stop_server() { kill -TERM "$server"; wait "$server" 2>/dev/null || true; server=""; }
load() { echo "… bubble-load $*" >&2; "$bin/bubble-load" "$@" --url "$url" --json; }
has() { [[ " $sections " == *" $1 "* ]]; }

if has core; then
  "$bin/bubble-bench" --json > "$out/core.json"
fi
if has e2e; then
  start_server "$work/e2e"
  # Max durable commands/s: 512 users in pairs, each with one command in flight.
  load run --data "$work/e2e" --graph pairs --users 512 --devices 1 --window 1 --duration 15 > "$out/e2e-max.json"
  # The same with 64 senders (the peers section measures PostgreSQL and Redis at 64 and 512).
  load run --data "$work/e2e" --graph pairs --users 64 --devices 1 --window 1 --duration 15 > "$out/e2e-max-64.json"
  # Fixed 5k commands/s: groups of 5 users × 2 devices (9 recipient devices per command).
  load run --data "$work/e2e" --graph group:5 --users 100 --devices 2 --rate 5000 --duration 15 > "$out/e2e-5k-9.json"
  # The same rate with one recipient per command (pairs, one device each).
  load run --data "$work/e2e" --graph pairs --users 100 --devices 1 --rate 5000 --duration 15 > "$out/e2e-5k-1.json"
  stop_server
fi
if has fanout; then
  start_server "$work/fanout"
  # One timer shared with 100 users × 10 devices, plus the owner's other 9: every update is
  # 1,009 frames. (Shared with 1,000 users instead, each frame would carry a 1,000-name
  # sharedWith list, ~15 KB, as the Android protocol's timer object does.)
  load run --data "$work/fanout" --graph one --users 101 --devices 10 --window 8 --mix update --duration 10 > "$out/fanout.json"
  stop_server
fi
if has resume; then
  start_server "$work/resume"
  load resume --data "$work/resume" --events 1000 --rounds 100 > "$out/resume.json"
  stop_server
fi
if has idle; then
  start_server "$work/idle"
  # 19,500 sockets: the server's open-file limit here is 20,000 (ulimit -Hn; raising it needs
  # CAP_SYS_RESOURCE), and it needs a few descriptors of its own.
  load idle --data "$work/idle" --connections "${IDLE:-19500}" --addresses 4 --server-pid "$server" --hold 10 > "$out/idle.json"
  stop_server
fi
if has startup; then
  for n in 1000000 ${BIG:-}; do
    "$bin/bubble-bench" --only startup --events "$n" --log-dir "$work/log-$n" --json > "$out/startup-store-$n.json"
    # The whole process: exec → store open → listening → /health answers (median of 5).
    python3 - "$bin/bubble-timer" "$work/log-$n" "$n" > "$out/startup-process-$n.json" <<'PY'
import json, random, subprocess, sys, time, urllib.request
binary, data, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
samples = []
for _ in range(5):
    port = random.randint(20000, 40000)
    start = time.monotonic()
    p = subprocess.Popen([binary, "serve", "--data", data, "--port", str(port), "--log-level", "error"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=0.2).read()
            break
        except Exception:
            time.sleep(0.002)
    samples.append(time.monotonic() - start)
    p.terminate(); p.wait()
samples.sort()
print(json.dumps({"events": n, "seconds": samples[2], "samples": samples}))
PY
    rm -rf "$work/log-$n"
  done
fi
if has time; then
  # The scheduler: lateness with 10,000 ends due within a minute under 1k other commands/s
  # (without and with fsync), catch-up of 100,000 overdue ends at start, due-index size.
  "$bin/bubble-bench" --only scheduler --json > "$out/scheduler.json"
  # The disk's own fdatasync latency over a minute: the floor under the durable lateness.
  python3 Tools/scripts/fsync-probe.py 60 > "$out/fsync.json"
  # Clock sync: the offset a client works out from `time` frames, against the truth.
  start_server "$work/clock"
  load clock --data "$work/clock" --samples 2000 --skew-ms 12345.6 > "$out/clock.json"
  stop_server
fi
if has push; then
  # Notifications: 10,000 offline recipients with a webhook device each; each burst shares
  # 100 timers with 100 of them each, all requests at once (10 bursts: 100,000 notifications
  # and pushes decided), on a server that does not push. Then a restart with push on, to nginx playing the webhook
  # (it answers 200 to everything): how long the 100,000 pending pushes take to drain.
  command -v nginx > /dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light > /dev/null 2>&1
  start_server "$work/push" --no-push --max-shares 100
  python3 Tools/scripts/push-bench.py fill "$port" "$(cat "$work/push/dev-jwt-secret")" 10000 10 > "$out/push-fill.json"
  stop_server
  hook=$((20000 + RANDOM % 20000))
  mkdir -p "$work/nginx"
  cat > "$work/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  server { listen 127.0.0.1:$hook; location / { return 200 '{}'; } }
}
NGINX
  nginx -c "$work/nginx/nginx.conf"
  start_server "$work/push" --push-webhook-url "http://127.0.0.1:$hook/hook" --push-concurrency "${PUSH_CONCURRENCY:-64}"
  python3 Tools/scripts/push-bench.py drain "$port" 100000 > "$out/push-drain.json"
  stop_server
  nginx -c "$work/nginx/nginx.conf" -s stop
fi
if has peers; then
  # PostgreSQL and Redis on the same machine, same client counts as the max run (64 and 512
  # connections), durable acknowledgements (Tools/scripts/peers-bench.sh says how).
  bash Tools/scripts/peers-bench.sh "$out" "${PEER_SECONDS:-15}"
fi
if has cluster; then
  # The shared log (issue 16): a private PostgreSQL, then import, catch-up, appends, NOTIFY
  # latency, commands/s with 1–3 nodes in process; then cross-node delivery with real nodes.
  pg="$(Tools/scripts/postgres.sh)"
  eval "$pg"
  BUBBLE_POSTGRES_URL="$BUBBLE_TEST_POSTGRES_URL" "$bin/bubble-bench" --only cluster --events "${CLUSTER_EVENTS:-1000000}" --json > "$out/cluster.json" || status=$?
  # Three real nodes: a frame's way from node 1's commit to sockets on nodes 2 and 3.
  venv=.build/e2e-venv
  "$venv/bin/python" -c "import aiosmtpd, selenium, websocket" >/dev/null 2>&1 \
    || { python3 -m venv "$venv" && "$venv/bin/pip" install -q "aiosmtpd==1.4.6" "selenium==4.51.0" "websocket-client==1.8.0"; }
  [ "${status:-0}" -ne 0 ] || .build/e2e-venv/bin/python -W ignore::ResourceWarning Tools/scripts/cluster-latency.py "$bin" "$BUBBLE_TEST_POSTGRES_URL" "${CLUSTER_LATENCY_COMMANDS:-2000}" > "$out/cluster-latency.json" || status=$?
  Tools/scripts/postgres.sh stop "$PG_DIR"
  [ "${status:-0}" -eq 0 ] || exit "$status"
fi
python3 Tools/scripts/bench-summary.py "$out"
