#!/usr/bin/env bash
# Durability under kill -9: runs the server under load from several concurrent senders,
# kills it with SIGKILL at a random moment, and after every kill checks that
#   1. every command the load generator saw acknowledged is in the log (by its requestId),
#   2. the log verifies (checksums, hash chain, stream heads) and the views equal a fresh fold,
# then restarts on the same data directory. Usage: crash-test.sh [cycles] (default 20).
set -euo pipefail
cd "$(dirname "$0")/../.."
cycles="${1:-20}"
bin="${BIN:-.build/debug}"
work="$(mktemp -d /tmp/bubble-crash-XXXXXX)"
data="$work/data"
port=$((20000 + RANDOM % 20000))
total_acked=0
last_seq=0
trap 'kill -9 "${pid:-0}" 2>/dev/null || true' EXIT

wait_healthy() {
  python3 - "$port" <<'PY'
import sys, time, urllib.request
port = sys.argv[1]
for _ in range(400):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=0.5).read()
        sys.exit(0)
    except Exception:
        time.sleep(0.05)
sys.exit("server did not become healthy")
PY
}

for cycle in $(seq 1 "$cycles"); do
  "$bin/bubble-timer" serve --data "$data" --port "$port" --rate 1000000 --burst 1000000 \
    --log-format text --log-level error > "$work/server-$cycle.log" 2>&1 &
  pid=$!
  wait_healthy
  "$bin/bubble-load" --url "ws://127.0.0.1:$port/ws" --data "$data" --acked-file "$work/acked-$cycle.txt" \
    --id-prefix "c$cycle" --commands 1000000 --senders 8 &
  load=$!
  sleep "$(python3 -c 'import random; print(round(random.uniform(0.3, 1.5), 3))')"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  wait "$load" || true

  "$bin/bubble-inspect" verify --data "$data" > "$work/verify-$cycle.txt" || {
    echo "cycle $cycle: verify failed"; cat "$work/verify-$cycle.txt"; exit 1; }
  head=$("$bin/bubble-inspect" stats --json --data "$data" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("lastSeq", 0))')
  acked=$("$bin/bubble-inspect" tail -n $((head - last_seq + 1)) --json --data "$data" | python3 -c '
import json, sys
logged = {json.loads(l).get("commandId") for l in sys.stdin if l.strip()}
acked = [l.strip() for l in open(sys.argv[1]) if l.strip()]
missing = [a for a in acked if a not in logged]
if missing:
    sys.exit(f"{len(missing)} acknowledged commands missing from the log, e.g. {missing[:5]}")
print(len(acked))' "$work/acked-$cycle.txt")
  total_acked=$((total_acked + acked))
  echo "cycle $cycle: killed with $acked acknowledged commands, all in the log; log verifies; log ends at seq $head"
  last_seq=$head
done
echo "crash test: $cycles passed, 0 failed ($total_acked acknowledged commands checked)"
rm -rf "$work"
