import Foundation
import LMDB
import EventLog
import TimerDomain
import Projections
import BubbleCore

/// The scheduler's figures: lateness under load, catch-up after downtime, due-index size.
enum SchedulerBench {
    /// 10,000 timers due at instants spread over `window` seconds, while other commands arrive
    /// at `rate` per second; every completion's lateness (its `firedAt`, the write
    /// transaction's clock, minus the due instant) and when its commit returned.
    static func lateness(scratch: String, timers: Int = 10_000, window: Double = 60, rate: Double = 1_000, durable: Bool = true) throws -> [BenchResult] {
        let dir = scratch + "/scheduler-lateness-\(durable)"
        var options = StoreOptions()
        options.environment.durable = durable
        let store = try EventStore(directory: dir, options: options)
        defer { store.close() }
        // Ends from 5 s ahead (creating them must be done first: checked) across the window.
        let start = currentMilliseconds() + 5_000
        let late = Samples()
        let committedAt = Samples()
        let commits = Samples()
        store.onBatch { _, nanoseconds in commits.add(Double(nanoseconds) / 1e6) }
        let scheduler = Scheduler(store: store)
        try scheduler.start()
        defer { scheduler.stop() }
        // What the server does: wake the scheduler after commits that may move an end.
        store.onCommit { events in
            let now = currentMilliseconds()
            var moved = false
            for e in events {
                if case .timerCompleted(_, let due, let fired, _) = e.event {
                    late.add(Double(fired - due))
                    committedAt.add(Double(now - due))
                }
                moved = moved || DueIndex.concerns(e.event)
            }
            if moved { scheduler.wake() }
        }
        // 100 owners: a user may own 1,000 live timers.
        try submitAll((0..<timers).map { i in
            let end = start + Int64(Double(i) / Double(timers) * window * 1000)
            return CommandRequest(.timer(.update(TimerSnapshot(id: "due-\(i)", name: "due", totalDuration: "PT1M", end: ISO8601.format(milliseconds: end)))), actor: owner(i))
        }, store: store)
        guard currentMilliseconds() < start - 1_000 else { throw BenchError("creating the timers took too long") }
        let actor = Actor(userID: "bench-load", deviceID: "phone")
        // The other load: updates of 1,000 paused timers at `rate` a second until the last end.
        let stop = start + Int64(window * 1000) + 500
        var sent = 0
        let loadStart = Date()
        while currentMilliseconds() < stop {
            let id = "load-\(sent % 1_000)"
            store.submit(CommandRequest(.timer(.update(TimerSnapshot(id: id, name: "n\(sent)", totalDuration: "PT1H", remainingDuration: "PT\(sent % 3600)S"))), actor: actor)) { _ in }
            sent += 1
            let next = loadStart.addingTimeInterval(Double(sent) / rate)
            let wait = next.timeIntervalSinceNow
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
        }
        Thread.sleep(forTimeInterval: 0.5)
        let achieved = Double(sent) / Date().timeIntervalSince(loadStart)
        let fired = late.sorted
        let committed = committedAt.sorted
        let how = durable ? "" : " [no fsync: the scheduler alone]"
        guard fired.count == timers else { throw BenchError("\(fired.count) of \(timers) timers completed") }
        return [
            BenchResult(name: "scheduler lateness p50, \(timers) timers due within \(Int(window)) s, \(Int(achieved)) other commands/s\(how)", value: percentile(fired, 0.5), unit: "ms", reference: nil, target: "—"),
            BenchResult(name: "scheduler lateness p99 (fired − due)\(how)", value: percentile(fired, 0.99), unit: "ms", reference: nil, target: "≤ 5 ms"),
            BenchResult(name: "scheduler lateness p99.9 / max\(how): \(percentile(fired, 0.999)) / \(fired.last ?? 0) ms", value: percentile(fired, 0.999), unit: "ms", reference: nil, target: "—"),
            BenchResult(name: "due → completion committed p99 (commit returned − due)\(how)", value: percentile(committed, 0.99), unit: "ms", reference: nil, target: "—"),
            BenchResult(name: "group commit p99 / max during the run\(how): max \(String(format: "%.1f", commits.sorted.last ?? 0)) ms", value: percentile(commits.sorted, 0.99), unit: "ms", reference: nil, target: "—"),
        ]
    }

    /// `timers` ends that passed while the server was down: how long the start takes to fire
    /// them all (durably, in due order, marked late), and the due index's size per timer.
    static func catchUp(scratch: String, timers: Int = 100_000) throws -> [BenchResult] {
        let dir = scratch + "/scheduler-catchup"
        let clock = BenchClock(1_790_000_000_000)
        var options = StoreOptions()
        options.clock = { clock.now }
        options.environment.durable = false  // generation is not measured
        do {
            let store = try EventStore(directory: dir, options: options)
            let scheduler = Scheduler(store: store)
            try scheduler.start()
            scheduler.stop()
            try submitAll((0..<timers).map { i in
                let end = clock.now + 1_000 + Int64(i % 60_000)
                return CommandRequest(.timer(.update(TimerSnapshot(id: "overdue-\(i)", name: "due", totalDuration: "PT1M", end: ISO8601.format(milliseconds: end)))), actor: owner(i))
            }, store: store)
            store.close()
        }
        let (entries, bytes, pageSize) = try dueIndexSize(dir)
        clock.set(clock.now + 3_600_000)  // an hour of downtime
        options.environment.durable = true
        let store = try EventStore(directory: dir, options: options)
        defer { store.close() }
        let scheduler = Scheduler(store: store)
        let began = Date()
        try scheduler.start()
        let seconds = Date().timeIntervalSince(began)
        scheduler.stop()
        let left = try store.read { try store.views.due(through: .max, limit: 10, $0).entries.count }
        guard scheduler.firedCount == timers, left == 0 else { throw BenchError("fired \(scheduler.firedCount) of \(timers), \(left) left") }
        return [
            BenchResult(name: "start-up catch-up: fire \(timers) overdue timers (durably, late, in due order)", value: seconds, unit: "s", reference: nil, target: "—"),
            BenchResult(name: "start-up catch-up rate", value: Double(timers) / seconds, unit: "timers/s", reference: nil, target: "—"),
            BenchResult(name: "due index per scheduled timer (\(entries) entries, \(pageSize)-byte pages)", value: Double(bytes) / Double(max(entries, 1)), unit: "bytes", reference: nil, target: "—"),
        ]
    }

    static func owner(_ i: Int) -> Actor { Actor(userID: "bench-\(i % 1_000)", deviceID: "phone") }

    static func dueIndexSize(_ dir: String) throws -> (entries: Int, bytes: Int, pageSize: Int) {
        let (env, _, views) = try Replay.openExisting(directory: dir, readOnly: true)
        defer { env.close() }
        let stats = try env.read { try $0.statistics(views.due) }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        return (stats.entries, stats.pages * page, page)
    }

    /// Submits every command at once (group commit takes them in batches) and waits for all.
    static func submitAll(_ requests: [CommandRequest], store: EventStore) throws {
        let group = DispatchGroup()
        let failures = Samples()
        for request in requests {
            group.enter()
            store.submit(request) { result in
                if case .failure = result { failures.add(1) }
                group.leave()
            }
        }
        group.wait()
        if !failures.sorted.isEmpty { throw BenchError("\(failures.sorted.count) commands failed") }
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }
}

/// Values gathered on other threads.
final class Samples: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Double] = []
    func add(_ v: Double) { lock.withLock { values.append(v) } }
    var sorted: [Double] { lock.withLock { values.sorted() } }
}

final class BenchClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64
    init(_ start: Int64) { value = start }
    var now: Int64 { lock.withLock { value } }
    func set(_ ms: Int64) { lock.withLock { value = ms } }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
