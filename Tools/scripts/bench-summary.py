#!/usr/bin/env python3
"""Prints the benchmark table (markdown) from the JSON files Tools/scripts/bench.sh wrote."""
import json, os, sys

out = sys.argv[1]
rows = []

def load(name):
    path = os.path.join(out, name)
    return json.load(open(path)) if os.path.exists(path) else None

def rate(v):
    return f"{v/1e6:.2f}M" if v >= 1e6 else f"{v/1e3:.1f}k" if v >= 1e3 else f"{v:.0f}"

def row(figure, result, reference="—", ratio="—", target="—", met=None):
    mark = "" if met is None else (" ✅" if met else " ❌")
    rows.append(f"| {figure} | {result} | {reference} | {ratio} | {target}{mark} |")

core = load("core.json") or []
for r in core:
    unit = r["unit"]
    fmt = (lambda v: f"{v:.2f} ms") if unit == "ms" else (lambda v: f"{v:.3f} s") if unit == "s" else (lambda v: f"{rate(v)} {unit}")
    ref = r.get("reference")
    row(r["name"], fmt(r["value"]), f"{fmt(ref['value'])} ({ref['name']})" if ref else "—",
        f"{r['ratio']*100:.0f}%" if "ratio" in r else "—", r["target"])
command_path = next((r["value"] for r in core if r["name"].startswith("command path")), None)

def latency(run, key):
    return run[key]

def delivery_ok(run):
    return run["missing frames"] == 0 and run["unexpected frames"] == 0 and run["duplicate or out-of-order frames"] == 0

for name, senders in [("e2e-max.json", 512), ("e2e-max-64.json", 64)]:
    e2e = load(name)
    if not e2e:
        continue
    v = e2e["acknowledged commands/s"]
    row(f"end to end: durable commands/s, {senders} senders in pairs, mixed commands, as fast as results come back",
        f"{rate(v)}/s", f"{rate(command_path)}/s (core command path, no sockets)" if command_path else "—",
        f"{v/command_path*100:.0f}%" if command_path else "—", "≥ 85% of the core path", v >= 0.85 * command_path if command_path else None)
    a = e2e["ack (send → durable result)"]
    row("… ack latency at that load, p50 / p99", f"{a['p50Ms']:.2f} / {a['p99Ms']:.2f} ms")
    for peer in ["postgres", "redis"]:
        p = load(f"peers-{peer}-{senders}.json")
        if p:
            row(f"… {'PostgreSQL INSERT (pgbench)' if peer == 'postgres' else 'Redis XADD, appendfsync always (redis-benchmark)'}, {senders} clients, durable acks/s",
                f"{rate(p['acks_per_second'])}/s (p50 {p['p50_ms']:.2f} / p99 {p['p99_ms']:.2f} ms)", f"ours {rate(v)}/s", f"ours ÷ theirs {v/p['acks_per_second']:.2f}", "pass Redis", v >= p["acks_per_second"] if peer == "redis" else None)
p5 = load("peers-postgres-5k.json")
if p5:
    row("PostgreSQL INSERT at 5k/s, 100 clients (pgbench -R 5000): ack p50 / p99", f"{p5['p50_ms']:.2f} / {p5['p99_ms']:.2f} ms")
for name, label in [("e2e-5k-9.json", "5k commands/s, groups of 5 × 2 devices (9 recipient devices)"),
                    ("e2e-5k-1.json", "5k commands/s, pairs × 1 device (1 recipient)")]:
    run = load(name)
    if not run:
        continue
    a, d = run["ack (send → durable result)"], run["delivery (send → frame on each recipient device)"]
    row(f"{label}: achieved rate", f"{rate(run['acknowledged commands/s'])}/s")
    row(f"… ack p50 / p99 / p99.9", f"{a['p50Ms']:.2f} / {a['p99Ms']:.2f} / {a['p99.9Ms']:.2f} ms", target="p99 ≤ 2 ms", met=a["p99Ms"] <= 2)
    row(f"… delivery p50 / p99 / p99.9", f"{d['p50Ms']:.2f} / {d['p99Ms']:.2f} / {d['p99.9Ms']:.2f} ms", target="p99 ≤ 2 ms", met=d["p99Ms"] <= 2)
fan = load("fanout.json")
if fan:
    v = fan["frames/s received"]
    d = fan["delivery (send → frame on each recipient device)"]
    row("fan-out: one timer shared with 100 users × 10 devices (1,009 recipient devices), frames/s received", f"{rate(v)}/s", target="≥ 200k/s", met=v >= 200000)
    row("… delivery p50 / p99 (send → frame on each of the 1,009)", f"{d['p50Ms']:.2f} / {d['p99Ms']:.2f} ms")
res = load("resume.json")
if res:
    r = res["reconnect → last missed event and `resumed` received"]
    row("resume: reconnect with ?since= to 1,000 missed events, p50 / p99 (100 rounds)", f"{r['p50Ms']:.2f} / {r['p99Ms']:.2f} ms",
        target="p99 ≤ 10 ms", met=r["p99Ms"] <= 10)
idle = load("idle.json")
if idle:
    v = idle["server RSS per connection"]
    m = idle["server RSS per connection, marginal"]
    row(f"idle: {int(idle['connections open after hold'])} sockets from 4 loopback addresses, server RSS per connection",
        f"{v:.1f} KiB (marginal {m:.1f} KiB)", f"{idle['server RSS, before']:.0f} → {idle['server RSS, all connected']:.0f} MiB", "—", "≤ 8 KiB", v <= 8)
for f in sorted(os.listdir(out)):
    if f.startswith("startup-store-"):
        r = load(f)[0]
        row(r["name"], f"{r['value']*1000:.1f} ms", target="≤ 1 s", met=r["value"] <= 1)
    if f.startswith("startup-process-"):
        r = load(f)
        row(f"server process start → /health answers, {r['events']:,} events (median of 5)", f"{r['seconds']*1000:.0f} ms", target="≤ 1 s", met=r["seconds"] <= 1)
for r in load("scheduler.json") or []:
    unit = r["unit"]
    value = f"{r['value']:.2f} ms" if unit == "ms" else f"{r['value']:.3f} s" if unit == "s" else f"{rate(r['value'])} {unit}"
    met = r["value"] <= 5 if r["target"] == "≤ 5 ms" else None
    row(r["name"], value, target=r["target"], met=met)
for r in load("cluster.json") or []:
    unit = r["unit"]
    row(r["name"], f"{r['value']:.2f} ms" if unit == "ms" else f"{rate(r['value'])} {unit}", target=r["target"])
latency = load("cluster-latency.json")
if latency:
    for key in ["ack → frame on another node (ms)", "send → frame on another node (ms)"]:
        l = latency[key]
        row(f"cluster, 3 nodes: {key[:-5]}, p50 / p99 / p99.9 ({latency['commands']} commands)", f"{l['p50']:.2f} / {l['p99']:.2f} / {l['p99.9']:.2f} ms")
probe = load("fsync.json")
if probe:
    row("the disk alone: 4 KiB write + fdatasync every ms for 60 s, p50 / p99 / p99.9 / max (Tools/scripts/fsync-probe.py)",
        f"{probe['p50Ms']:.2f} / {probe['p99Ms']:.2f} / {probe['p99.9Ms']:.2f} / {probe['maxMs']:.0f} ms ({probe['over100Ms']} over 100 ms)")
clock = load("clock.json")
if clock:
    row("clock sync: offset error against the truth, one sample p50 / p99 (" + clock["title"].split(": ", 1)[1] + ")",
        f"{clock['offset error, one sample, p50']:.3f} / {clock['offset error, one sample, p99']:.3f} ms")
    row("… best of 8 samples (smallest round trip), p50 / max", f"{clock['offset error, best of 8 (smallest delay), p50']:.3f} / {clock['offset error, best of 8, max']:.3f} ms")
fill = load("push-fill.json")
if fill:
    row(f"notifications decided: {fill['users']:,} offline recipients with a webhook device, shared with by one owner in a burst of {fill['users'] // 100} concurrent requests of 100 shares, ×{fill['bursts']} (durable; share + notification + outbox entry each)",
        f"{fill['perSecond']:,.0f}/s ({max(fill['burstSeconds']):.2f} s for the slowest burst)")
drained = load("push-drain.json")
if drained:
    row(f"push outbox drain after a restart: {drained['pending']:,} pending pushes to a local webhook (nginx), each outcome a durable event",
        f"{drained['seconds']:.1f} s, {drained['perSecond']:,.0f} pushes/s")
runs = [x for x in (load(n) for n in ["e2e-max.json", "e2e-5k-9.json", "e2e-5k-1.json", "fanout.json"]) if x]
if runs:
    frames = sum(int(r["frames received"]) for r in runs)
    ok = all(delivery_ok(r) for r in runs)
    row("exactly-once, in seq order, checked against the log on every recipient device (all runs above)",
        f"{frames:,} frames, {sum(int(r['missing frames']) for r in runs)} missing, {sum(int(r['unexpected frames']) for r in runs)} unexpected, "
        f"{sum(int(r['duplicate or out-of-order frames']) for r in runs)} duplicate/out of order", target="none", met=ok)
    errors = {}
    for r in runs:
        for k, v in r.get("errors", {}).items():
            errors[k] = errors.get(k, 0) + v
    row("error frames during the runs", ", ".join(f"{k} {v}" for k, v in sorted(errors.items())) or "none")

print("| figure | result | reference (same run) | ratio | target |")
print("|---|---|---|---|---|")
print("\n".join(rows))
