#!/usr/bin/env bash
# Export and backup of a 1M-event history, on release binaries: generates (once) a log whose
# hot timer, owned by user-0, has N events; times `bubble-timer backup` of it; then streams
# user-0's /me/export.json and /me/export.csv from a real server while sampling its resident
# anonymous memory (RssAnon: the mapped log is page cache, not the server's). Usage: export-bench.sh [EVENTS] [DIR]   (default 1000000, a temporary directory)
set -euo pipefail
cd "$(dirname "$0")/../.."
events="${1:-1000000}"
dir="${2:-$(mktemp -d /tmp/bubble-export-XXXXXX)}"
bin=.build/release
[ -x "$bin/bubble-bench" ] || swift build -c release
# A realistic mix for the backup figure, and a user whose one timer holds the whole history
# for the export.
"$bin/bubble-bench" --only backup --events "$events" --log-dir "$dir/mixed"
"$bin/bubble-bench" --only backup --events "$events" --hot-events "$events" --log-dir "$dir/hot"
port=$((20000 + RANDOM % 20000))
"$bin/bubble-timer" serve --data "$dir/hot/data" --port "$port" --log-level error --no-scheduler > "$dir/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
python3 Tools/scripts/wait-healthy.py "$port"
token=$("$bin/bubble-timer" token user-0 --data "$dir/hot/data")
python3 - "$port" "$token" "$server" <<'PY'
import sys, time, threading, urllib.request
port, token, pid = sys.argv[1], sys.argv[2], sys.argv[3]
def rss():
    # Anonymous memory only: the log's pages the export reads are mapped from the file and
    # count in VmRSS as page cache, not as the server's own memory.
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
for path in ["/me/export.json", "/me/export.csv"]:
    base = rss()
    peak = [base]
    done = threading.Event()
    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(0.02)
    threading.Thread(target=sample, daemon=True).start()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"})
    started, size, events = time.time(), 0, 0
    with urllib.request.urlopen(request, timeout=600) as response:
        while chunk := response.read(1 << 20):
            size += len(chunk)
            events += chunk.count(b"timer_updated")
    seconds = time.time() - started
    done.set()
    print(f"{path}: {size / 1048576:.1f} MiB, {events} timer_updated records, {seconds:.1f} s "
          f"({events / seconds:,.0f} records/s); server anonymous memory {base:.1f} MiB before, peak {peak[0]:.1f} MiB (+{peak[0] - base:.1f} MiB)")
PY
