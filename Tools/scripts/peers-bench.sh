#!/usr/bin/env bash
# The stores people would otherwise pick, measured on this machine in the same run as ours:
# durable acknowledged appends/s and ack latency with the same client counts as our max run.
#   PostgreSQL (fsync on, synchronous_commit on): pgbench, one-row INSERT per transaction.
#   Redis (appendonly yes, appendfsync always): redis-benchmark, XADD.
# Installs what is missing (apt-get), starts private instances on loopback ports in a temp
# directory, stops them by pid. PostgreSQL refuses to run as root: it runs as `postgres`.
# Usage: peers-bench.sh OUT_DIR [SECONDS]   (writes peers-*.json into OUT_DIR)
set -euo pipefail
out="$1"; seconds="${2:-15}"
mkdir -p "$out"
need=()
command -v pgbench > /dev/null || need+=(postgresql postgresql-contrib)
command -v redis-server > /dev/null || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" > /dev/null 2>&1
fi
pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
work="$(mktemp -d /tmp/bubble-peers-XXXXXX)"
chmod 755 "$work"
pg=""; redis=""
# The postmaster's own pid (runuser does not pass signals on).
pg_stop() {
  local master
  master="$(head -1 "$work/pg/data/postmaster.pid" 2>/dev/null || true)"
  [ -n "$master" ] && kill -INT "$master" 2>/dev/null
  wait "$pg" 2>/dev/null || true
  pg=""
}
cleanup() {
  [ -n "$pg" ] && pg_stop
  [ -n "$redis" ] && kill -TERM "$redis" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# PostgreSQL: a private cluster owned by postgres, listening on loopback only.
pgport=$((40000 + RANDOM % 10000))
mkdir -p "$work/pg"; chown postgres "$work/pg"
runuser -u postgres -- "$pgbin/initdb" -D "$work/pg/data" -A trust -U postgres > /dev/null
runuser -u postgres -- "$pgbin/postgres" -D "$work/pg/data" -p "$pgport" -k "$work/pg" -c listen_addresses=127.0.0.1 \
  -c fsync=on -c synchronous_commit=on -c max_connections=600 -c shared_buffers=256MB > "$work/pg/log" 2>&1 &
pg=$!
for _ in $(seq 100); do runuser -u postgres -- "$pgbin/pg_isready" -h 127.0.0.1 -p "$pgport" -q && break; sleep 0.1; done
psql() { runuser -u postgres -- /usr/bin/psql -h 127.0.0.1 -p "$pgport" -U postgres -qAt "$@"; }
psql -c "CREATE TABLE events (seq bigserial PRIMARY KEY, stream text NOT NULL, at timestamptz NOT NULL DEFAULT now(), body bytea NOT NULL)"
echo "INSERT INTO events (stream, body) VALUES ('t' || :client_id, '\\x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20');" > "$work/pg/insert.sql"
chmod 644 "$work/pg/insert.sql"

# pgbench CLIENTS [RATE]: throughput and per-transaction latency percentiles from its log.
pgbench_run() {
  local clients="$1" rate="${2:-}" name="$3"
  rm -f "$work"/pg/pgbench_log.*
  (cd "$work/pg" && runuser -u postgres -- /usr/bin/pgbench -h 127.0.0.1 -p "$pgport" -U postgres -n -M prepared \
    -c "$clients" -j 2 -T "$seconds" ${rate:+-R "$rate"} -f insert.sql --log --log-prefix="$work/pg/pgbench_log" postgres > "$work/pg/out" 2>&1)
  python3 - "$work/pg" "$clients" "$rate" "$seconds" > "$out/$name.json" <<'PY'
import glob, json, sys
d, clients, rate, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
lat = []
for f in glob.glob(d + "/pgbench_log.*"):
    for line in open(f):
        parts = line.split()
        lat.append(int(parts[2]) / 1000.0)
lat.sort()
tps = [l for l in open(d + "/out") if l.startswith("tps")]
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] if lat else None
print(json.dumps({"store": "postgresql", "clients": clients, "rate": int(rate) if rate else None,
                  "acks_per_second": len(lat) / seconds, "p50_ms": pct(0.50), "p99_ms": pct(0.99), "pgbench": tps[0].strip() if tps else ""}))
PY
  cat "$out/$name.json" >&2
}
pgbench_run 64 "" peers-postgres-64
pgbench_run 512 "" peers-postgres-512
pgbench_run 100 5000 peers-postgres-5k
pg_stop

# Redis: appendonly with fsync on every write, no snapshots, loopback only.
rport=$((50000 + RANDOM % 10000))
mkdir -p "$work/redis"
redis-server --port "$rport" --bind 127.0.0.1 --dir "$work/redis" --appendonly yes --appendfsync always --save "" \
  --daemonize no > "$work/redis/log" 2>&1 &
redis=$!
for _ in $(seq 100); do redis-cli -p "$rport" ping > /dev/null 2>&1 && break; sleep 0.1; done
redis_run() {
  local clients="$1" name="$2"
  # About `seconds` of work at ~50k/s; redis-benchmark counts requests, not time.
  local n=$((50000 * seconds))
  local started ended
  started=$(date +%s.%N)
  redis-benchmark -h 127.0.0.1 -p "$rport" -c "$clients" -n "$n" --csv XADD bench '*' body 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20 > "$work/redis/out" 2>/dev/null
  ended=$(date +%s.%N)
  python3 - "$work/redis/out" "$clients" > "$out/$name.json" <<'PY'
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1])))
head, row = rows[0], rows[-1]
r = dict(zip(head, row))
print(json.dumps({"store": "redis", "clients": int(sys.argv[2]), "acks_per_second": float(r["rps"]),
                  "p50_ms": float(r["p50_latency_ms"]), "p99_ms": float(r["p99_latency_ms"])}))
PY
  cat "$out/$name.json" >&2
}
redis_run 64 peers-redis-64
redis_run 512 peers-redis-512
