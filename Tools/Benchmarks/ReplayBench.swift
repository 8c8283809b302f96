import ArgumentParser
import Foundation
import LMDB
import EventLog
import TimerDomain
import BubbleCore
import Projections

/// Replay, raw scan and history latency on a generated log.
enum ReplayBench {
    static func run(events: Int, hotEvents: Int, scratch: String, progress: (BenchResult) -> Void) throws -> [BenchResult] {
        let dir = scratch + "/replay"
        try generate(events: events, hotEvents: hotEvents, into: dir)
        var results: [BenchResult] = []

        // Raw scan: every record's bytes touched, nothing decoded (the LMDB floor).
        let (env, log, _) = try Replay.openExisting(directory: dir, readOnly: true)
        var checksum: UInt64 = 0
        var start = now()
        try env.read { txn in
            try txn.scan(log.events) { _, v in
                checksum &+= UInt64(v.count) &+ UInt64(v[v.count - 1])
                return true
            }
        }
        let rawSeconds = now() - start
        start = now()
        var decoded = 0
        try env.read { txn in try log.scan(txn) { _ in decoded += 1; return true } }
        let decodeSeconds = now() - start
        env.close()
        results.append(BenchResult(name: "raw log scan (\(events) records)", value: Double(events) / rawSeconds, unit: "events/s", reference: nil, target: "—"))
        results.append(BenchResult(name: "log scan with checksum + decode", value: Double(decoded) / decodeSeconds, unit: "events/s",
                                   reference: ("raw scan", Double(events) / rawSeconds), target: "—"))
        progress(results.last!)

        let report = try Replay.rebuild(directory: dir)
        results.append(BenchResult(name: "replay: fold \(report.events) events into all views", value: report.eventsPerSecond, unit: "events/s",
                                   reference: ("raw scan", Double(events) / rawSeconds), target: "≥ 1M events/s"))
        results.append(BenchResult(name: "replay: write the final views (\(String(format: "%.2f", report.writeSeconds)) s)", value: report.writeSeconds, unit: "s", reference: nil, target: "—"))
        results.append(BenchResult(name: "replay: fold + write views (full rebuild)", value: Double(report.events) / (report.foldSeconds + report.writeSeconds),
                                   unit: "events/s", reference: nil, target: "≥ 1M events/s"))
        progress(results.last!)

        var samples: [Double] = []
        var pages: [Double] = []
        var count = 0
        // Scoped: the inspector's environment must be gone before the store opens the directory.
        do {
            let inspector = try Inspector(directory: dir)
            for _ in 0..<7 {
                start = now()
                count = try inspector.history(of: "hot-timer").count
                samples.append((now() - start) * 1000)
                // The web app's timeline: its newest page folds the whole stream (the diffs need
                // the state before each entry).
                start = now()
                guard try inspector.timeline(of: "hot-timer", for: "user-0", limit: 50)?.entries.count == 50 else { throw ExitCode.failure }
                pages.append((now() - start) * 1000)
            }
        }
        samples.sort()
        pages.sort()
        results.append(BenchResult(name: "inspector history, \(count)-event timer in \(events)-event log (median of 7)", value: samples[3], unit: "ms",
                                   reference: nil, target: "≤ 50 ms"))
        results.append(BenchResult(name: "timeline page (GET /timers/{id}/history, 50 entries) of that timer (median of 7)", value: pages[3], unit: "ms",
                                   reference: ("inspector history", samples[3]), target: "≤ 50 ms"))

        start = now()
        let store = try EventStore(directory: dir)
        let open = now() - start
        store.close()
        results.append(BenchResult(name: "store open (startup) with \(events) events", value: open, unit: "s", reference: nil, target: "≤ 1 s"))
        _ = checksum
        return results
    }

    /// Writes a log of `events` through the appender (fast, unsynced: generation is not
    /// measured): 10k timers of 1k users with shares, updates, countdown commands,
    /// completions, reminders and stops, and one hot timer with `hotEvents` updates spread
    /// across the log. Ends carry their resolved instant, as the server writes them, so the
    /// fold keeps the due index too.
    static func generate(events: Int, hotEvents: Int, into dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var options = EnvironmentOptions()
        options.durable = false
        let env = try Environment(path: dir, options: options)
        let log = try EventLog(environment: env)
        _ = try ViewTables(environment: env)
        let hotEvery = max(1, events / max(1, hotEvents))
        var written = 0
        var rng = SplitMix(seed: 42)
        var live: [String: String] = [:]  // timer -> owner
        var nextTimer = 0
        while written < events {
            try env.write { txn in
                var appender = try EventLog.Appender(log: log, txn: txn)
                for _ in 0..<min(10_000, events - written) {
                    let event: Event
                    let user = "user-\(rng.next() % 1000)"
                    if written == 0 {
                        event = .timerCreated(TimerSnapshot(id: "hot-timer", name: "Hot", totalDuration: "PT1H", end: "2025-08-12T14:03"), owner: "user-0")
                    } else if written % hotEvery == 0 {
                        event = .timerUpdated(TimerSnapshot(id: "hot-timer", name: "Hot", totalDuration: "PT1H", remainingDuration: "PT\(written % 3600)S"))
                    } else if live.count < 10_000 || rng.next() % 20 == 0 {
                        nextTimer += 1
                        let id = "timer-\(nextTimer)"
                        live[id] = user
                        event = .timerCreated(TimerSnapshot(id: id, name: "Timer \(nextTimer)", totalDuration: "PT30M", end: "2025-08-12T14:03:07.123", endsAt: 1_755_007_387_123 + Int64(written)), owner: user)
                    } else {
                        let id = "timer-\(nextTimer - Int(rng.next() % UInt64(min(nextTimer, 9_000))))"
                        guard let owner = live[id] else { continue }
                        let at = 1_755_000_000_000 + Int64(written)
                        switch rng.next() % 20 {
                        case 0: event = .timerShared(id, with: "user-\(rng.next() % 1000)")
                        case 3: event = .timerCountdown(id, .pause, result: .paused(remaining: 600_000 + Int64(written % 1000)))
                        case 4: event = .timerCountdown(id, .resume, result: .running(endsAt: at + 600_000))
                        case 5: event = .timerCountdown(id, .add(60_000), result: .running(endsAt: at + 660_000))
                        case 6: event = .timerCompleted(id, dueAt: at, firedAt: at + 1, kind: .onTime)
                        case 7: event = .reminderSet(id, Reminder(id: "r-\(written)", user: owner, trigger: .before(60_000)))
                        case 1:
                            event = .timerStopped(id, owner: owner, sharedWith: [])
                            live[id] = nil
                        case 2: event = .deviceConnected(user, device: "phone", connectionID: "c\(written)", epoch: 0)
                        default:
                            event = .timerUpdated(TimerSnapshot(id: id, name: "Timer", totalDuration: "PT30M", remainingDuration: "PT\(written % 1800).5S"))
                        }
                    }
                    _ = try appender.append(event, actor: Actor(userID: user, deviceID: "phone"), commandID: nil, now: 1_755_000_000_000 + Int64(written), txn: txn)
                    written += 1
                }
                try appender.finish(txn)
            }
        }
        try env.sync()
        env.close()
    }
}

/// Deterministic generator so every run writes the same log.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
