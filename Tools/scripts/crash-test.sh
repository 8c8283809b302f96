#!/usr/bin/env bash
# Durability under kill -9: runs the server under load from several concurrent senders
# (`bubble-load crash`), kills it with SIGKILL at a random moment, and after every kill checks
#   1. every command the load generator saw acknowledged is in the log (by its requestId),
#   2. the log verifies (checksums, hash chain, stream heads) and the views equal a fresh fold,
#   3. the watcher devices, which resume with ?since= each cycle, received exactly the events
#      of their user after their resume point, in seq order, no gap and no duplicate,
# then restarts on the same data directory. Beside the socket load, Tools/scripts/due-load.py
# creates timers (and reminders) that fall due within seconds, so ends pass while the server
# runs, while it is dead and as it restarts; after the last cycle one more run lets every end
# pass, and the whole log must hold exactly one completion per acknowledged end and one firing
# per acknowledged reminder. Each completion and reminder also notifies the timer's owner, whose
# webhook device is pushed through the durable outbox to a local receiver
# (Tools/scripts/push-receiver.py, which fails 5% of pushes with 503): after the last run
# drains the outbox, every push the log records as delivered reached the receiver, nothing
# else did, and none was abandoned. Usage: [SENDERS=8] [BIN=.build/debug] crash-test.sh [cycles] (default 20).
set -euo pipefail
cd "$(dirname "$0")/../.."
cycles="${1:-20}"
bin="${BIN:-.build/debug}"
work="$(mktemp -d /tmp/bubble-crash-XXXXXX)"
data="$work/data"
watch="$work/watch"
port=$((20000 + RANDOM % 20000))
senders="${SENDERS:-8}"
total_acked=0
total_seen=0
last_seq=0
trap 'kill -9 "${pid:-0}" "${hook_pid:-0}" 2>/dev/null || true' EXIT
due_token=$("$bin/bubble-timer" token crash-due --data "$data")
python3 Tools/scripts/push-receiver.py "$work/pushes.txt" > "$work/hook-port" &
hook_pid=$!
until [ -s "$work/hook-port" ]; do sleep 0.05; done
push_flags=(--push-webhook-url "http://127.0.0.1:$(cat "$work/hook-port")/hook" --push-retry-base 0.2 --push-retry-max 2)
# Sign-in codes are "mailed" into a file the due-time load reads them from.
mail_flags=(--mail-command "cat >> $work/mail.txt")

for cycle in $(seq 1 "$cycles"); do
  "$bin/bubble-timer" serve --data "$data" --port "$port" --rate 1000000 --burst 1000000 --max-connections-per-address 100000 \
    "${push_flags[@]}" "${mail_flags[@]}" --log-format text --log-level error > "$work/server-$cycle.log" 2>&1 &
  pid=$!
  python3 Tools/scripts/wait-healthy.py "$port"
  if [ "$cycle" = 1 ]; then
    python3 - "$port" "$due_token" <<'PY'
import json, sys, urllib.request
port, token = sys.argv[1], sys.argv[2]
request = urllib.request.Request(f"http://127.0.0.1:{port}/me/devices", method="POST",
    data=json.dumps({"deviceId": "hook", "provider": "webhook", "token": "crash"}).encode(),
    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
assert urllib.request.urlopen(request, timeout=5).status == 201
PY
  fi
  "$bin/bubble-load" crash --url "ws://127.0.0.1:$port/ws" --data "$data" --acked-file "$work/acked-$cycle.txt" \
    --id-prefix "c$cycle" --senders "$senders" --watch-dir "$watch" 2> "$work/load-$cycle.log" &
  load=$!
  python3 Tools/scripts/due-load.py "$port" "$due_token" "due-c$cycle" "$work/due.txt" "$work/mail.txt" 2> "$work/due-$cycle.log" &
  due=$!
  sleep "$(python3 -c 'import random; print(round(random.uniform(0.3, 1.5), 3))')"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  wait "$load" || { echo "cycle $cycle: load generator failed"; cat "$work/load-$cycle.log"; exit 1; }
  wait "$due" || { echo "cycle $cycle: due-time load failed"; cat "$work/due-$cycle.log"; exit 1; }

  "$bin/bubble-inspect" verify --data "$data" > "$work/verify-$cycle.txt" || {
    echo "cycle $cycle: verify failed"; cat "$work/verify-$cycle.txt"; exit 1; }
  head=$("$bin/bubble-inspect" stats --json --data "$data" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("lastSeq", 0))')
  # Events since the oldest watcher resume point (or this cycle's start) cover both checks.
  from=$(python3 - "$watch" "$senders" "$last_seq" <<'PY'
import sys
watch, senders, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
points = [last]
for s in range(senders):
    first = open(f"{watch}/seen-s{s}.txt").readline().split()
    points.append(int(first[1]) if first[1] != "none" else 0)
print(min(points))
PY
)
  "$bin/bubble-inspect" tail -n $((head - from + 1)) --json --data "$data" > "$work/tail.jsonl"
  result=$(python3 - "$work/tail.jsonl" "$work/acked-$cycle.txt" "$watch" "$senders" <<'PY'
import json, sys
tail, acked_file, watch, senders = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
events = [json.loads(l) for l in open(tail) if l.strip()]
logged = {e.get("commandId") for e in events}
acked = [l.strip() for l in open(acked_file) if l.strip()]
missing = [a for a in acked if a not in logged]
if missing:
    sys.exit(f"{len(missing)} acknowledged commands missing from the log, e.g. {missing[:5]}")
broadcast = {"timer_created", "timer_updated", "timer_stopped", "timer_shared", "timer_unshared"}
# A frame carries its command's last seq (a command's notifications follow its timer events).
end_of, pending = {}, []
for e in events:
    pending.append(e["seq"])
    if e.get("lastInCommand", True):
        for seq in pending: end_of[seq] = e["seq"]
        pending = []
for seq in pending: end_of[seq] = seq
seen_total = 0
for s in range(senders):
    lines = open(f"{watch}/seen-s{s}.txt").read().split("\n")
    since = lines[0].split()[1]
    problems = [l for l in lines[1:] if l and not l[0].isdigit()]
    if problems:
        sys.exit(f"watcher {s}: {problems}")
    seen = [int(l) for l in lines[1:] if l]
    if not seen:
        continue
    low = int(since) if since != "none" else seen[0] - 1
    user = f"crash-u{s}"
    want = sorted({end_of[e["seq"]] for e in events if low < end_of[e["seq"]] <= seen[-1] and e["type"] in broadcast and user in e.get("audience", [])})
    if seen != want:
        gaps = sorted(set(want) - set(seen))[:5]
        extra = sorted(set(seen) - set(want))[:5]
        sys.exit(f"watcher {s} (since {since}): {len(seen)} frames, {len(want)} expected; missing {gaps}, unexpected {extra}")
    seen_total += len(seen)
print(len(acked), seen_total)
PY
) || { echo "cycle $cycle: $result"; exit 1; }
  read -r acked seen <<< "$result"
  total_acked=$((total_acked + acked))
  total_seen=$((total_seen + seen))
  echo "cycle $cycle: killed with $acked acknowledged commands, all in the log; log verifies; watchers resumed with no gap or duplicate ($seen frames); log ends at seq $head"
  last_seq=$head
done
echo "crash test: $cycles passed, 0 failed ($total_acked acknowledged commands checked, $total_seen watcher frames checked)"

# One last run on the same data lets every acknowledged end pass; then the whole log must
# hold each end's completion and each reminder's firing exactly once.
"$bin/bubble-timer" serve --data "$data" --port "$port" "${push_flags[@]}" --log-format text --log-level error > "$work/server-final.log" 2>&1 &
pid=$!
python3 Tools/scripts/wait-healthy.py "$port"
python3 - "$work/due.txt" "$port" <<'PY'
import sys, time, urllib.request
last = max([int(l.split()[2]) for l in open(sys.argv[1]) if l.startswith("timer ")], default=0)
time.sleep(max(0, (last + 1500) / 1000 - time.time()))
# Then until the push outbox is empty (retries back off to 2 s at most).
deadline = time.time() + 120
while time.time() < deadline:
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[2]}/metrics", timeout=5).read().decode()
    depth = [l for l in metrics.splitlines() if l.startswith("bubble_push_outbox_depth ")]
    if depth and float(depth[0].split()[1]) == 0:
        break
    time.sleep(0.2)
else:
    sys.exit("the push outbox did not drain")
PY
# Every acknowledged public link still opens its timer; acknowledged sign-ins' sessions refresh
# (the first 20: refreshes are limited per client address; the log check below covers all).
python3 - "$work/due.txt" "$port" <<'PY' || exit 1
import json, sys, urllib.error, urllib.request
port = sys.argv[2]
links = [l.split()[1] for l in open(sys.argv[1]) if l.startswith("link ")]
sessions = [l.split()[1] for l in open(sys.argv[1]) if l.startswith("session ")]
def status(request):
    try:
        return urllib.request.urlopen(request, timeout=5).status
    except urllib.error.HTTPError as e:
        return e.code
dead = [t for t in links if status(f"http://127.0.0.1:{port}/public/t/{t}") != 200]
sample = sessions[:20]
lost = [r[:30] for r in sample if status(urllib.request.Request(f"http://127.0.0.1:{port}/auth/refresh", method="POST",
        data=json.dumps({"refreshToken": r}).encode(), headers={"Content-Type": "application/json"})) != 200]
if dead or lost or not links or not sessions:
    sys.exit(f"self-hosting: {len(dead)} of {len(links)} acknowledged links dead, {len(lost)} of {len(sample)} sessions do not refresh")
print(f"self-hosting: {len(links)} acknowledged public links open, {len(sample)} acknowledged email sign-ins refresh")
PY
kill -TERM "$pid"; wait "$pid" || true
head=$("$bin/bubble-inspect" stats --json --data "$data" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("lastSeq", 0))')
"$bin/bubble-inspect" tail -n "$head" --json --data "$data" > "$work/all.jsonl"
"$bin/bubble-inspect" verify --data "$data" > "$work/verify-final.txt" || { echo "final verify failed"; cat "$work/verify-final.txt"; exit 1; }
python3 - "$work/all.jsonl" "$work/due.txt" <<'PY' || exit 1
import collections, json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
timers, reminders = {}, set()
for line in open(sys.argv[2]):
    kind, *rest = line.split()
    if kind == "timer": timers[rest[0]] = int(rest[1])
    elif kind == "reminder": reminders.add(rest[1])
completions = collections.Counter(e["data"]["timerId"] for e in events if e["type"] == "timer_completed")
firings = collections.Counter(e["data"]["reminderId"] for e in events if e["type"] == "reminder_fired")
kinds = collections.Counter(e["data"]["kind"] for e in events if e["type"] in ("timer_completed", "reminder_fired"))
twice = [t for t, n in completions.items() if n > 1] + [r for r, n in firings.items() if n > 1]
never = [t for t in timers if completions[t] == 0] + [r for r in reminders if firings[r] == 0]
if twice or never:
    sys.exit(f"timekeeping: fired twice {twice[:5]}, never {never[:5]}")
print(f"timekeeping: {len(timers)} acknowledged ends completed once each, {len(reminders)} reminders fired once each "
      f"({kinds['on_time']} on time, {kinds['late']} late after a kill, {kinds['silent']} silent)")
PY
python3 - "$work/all.jsonl" "$work/due.txt" <<'PY' || exit 1
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
started = {e["data"]["session"] for e in events if e["type"] == "session_started"}
acked = [l.split()[1].split(".")[1] for l in open(sys.argv[2]) if l.startswith("session ")]
missing = [s for s in acked if s not in started]
if missing:
    sys.exit(f"sign-in: {len(missing)} of {len(acked)} acknowledged sessions missing from the log, e.g. {missing[:3]}")
print(f"sign-in: every one of {len(acked)} acknowledged email sign-ins has its session_started in the log")
PY
python3 - "$work/all.jsonl" "$work/pushes.txt" <<'PY' || exit 1
import collections, json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
received = [tuple(l.split()) for l in open(sys.argv[2]) if l.strip()]
delivered = {(str(e["data"]["notification"]), e["data"]["device"]) for e in events if e["type"] == "push_delivered"}
notified = sum(1 for e in events if e["type"] == "notification_created")
abandoned = [e["data"] for e in events if e["type"] == "push_abandoned"]
distinct = set(received)
if abandoned:
    sys.exit(f"push: {len(abandoned)} abandoned, e.g. {abandoned[:3]}")
if distinct != delivered:
    sys.exit(f"push: the log records {len(delivered)} delivered, the receiver got {len(distinct)} distinct; "
             f"lost {sorted(delivered - distinct)[:5]}, never decided {sorted(distinct - delivered)[:5]}")
repeats = len(received) - len(distinct)
print(f"push: {notified} notifications, {len(delivered)} pushes delivered, every one received (distinct ids at the receiver: "
      f"{len(distinct)}), none lost, none abandoned; {repeats} sent again after a kill, under the same collapse key")
PY

# Damage the file the last cycle left, as a bad copy or a failing disk would: every tool must
# stop with a status and one clear line, never a signal (a status above 128).
check_damaged() {
  local what="$1"; shift
  for run in "$@"; do
    set -- ${run%:*}
    local expected=${run##*:}
    out=$("$bin/bubble-$1" "${@:2}" --data "$work/damaged" 2>&1 >/dev/null) && status=0 || status=$?
    [ "$expected" = 1 ] && out=$("$bin/bubble-$1" "${@:2}" --data "$work/damaged" 2>/dev/null | grep -m1 "corrupt" || true)
    if [ "$status" -ne "$expected" ] || [ "$(printf '%s\n' "$out" | grep -c .)" -ne 1 ]; then
      echo "damaged file ($what): bubble-$run exited $status (expected $expected) saying: $out"; exit 1
    fi
  done
  echo "damaged file ($what): each tool stopped with its status and one line, e.g.: $out"
}
rm -rf "$work/damaged" && cp -r "$data" "$work/damaged"
truncate -s "$(( $(stat -c %s "$work/damaged/data.mdb") / 2 ))" "$work/damaged/data.mdb"
check_damaged truncated "inspect stats:2" "inspect verify:2" "replay --verify:2" "replay:2"
rm -rf "$work/damaged" && cp -r "$data" "$work/damaged"
# One flipped bit in the last acknowledged command's id, which only log records hold (every
# copy of it: LMDB keeps old copies of rewritten pages in free space).
python3 - "$work/damaged/data.mdb" "$(tail -n 1 "$work/acked-$cycles.txt")" <<'PY'
import sys
path, marker = sys.argv[1], sys.argv[2].encode()
data = bytearray(open(path, "rb").read())
at = data.find(marker)
if at < 0:
    sys.exit("the acknowledged id is not in the file")
while at >= 0:
    data[at + len(marker) - 1] ^= 0x01
    at = data.find(marker, at + 1)
open(path, "wb").write(data)
PY
check_damaged bit-flipped "inspect verify:1" "replay --verify:2" "replay:2"
rm -rf "$work"
