internal import Foundation
internal import TimerDomain
public import LMDB
public import EventLog
public import Projections

/// Where a replay stops: after a seq, or after the last event at or before a time.
public enum ReplayBound: Sendable, Equatable {
    case seq(UInt64)
    case time(Int64)

    func includes(_ e: EventEnvelope) -> Bool {
        switch self {
        case .seq(let s): e.seq <= s
        case .time(let t): e.timestamp <= t
        }
    }
}

/// Progress callbacks: events folded so far and the log's last seq.
public typealias ReplayProgress = (_ done: UInt64, _ total: UInt64) -> Void

/// Rebuilding views from the log: the same ``Projector`` fold as live appends, into memory,
/// then written out in key order.
public enum Replay {
    /// Folds the log (up to `bound`) into memory. Read-only; safe while a server runs.
    public static func fold(
        environment: Environment, log: EventLog, until bound: ReplayBound? = nil,
        progress: ReplayProgress = { _, _ in }
    ) throws -> MemoryViewStore {
        try environment.read { txn in
            let total = try log.head(txn).seq
            let store = try foldAll(log: log, txn: txn, until: bound, total: total, progress: progress)
            progress(store.applied, total)
            return store
        }
    }

    /// The fold itself: `Projector.apply` over every event, decoding on a second thread.
    static func foldAll(
        log: EventLog, txn: ReadTransaction, until bound: ReplayBound?, total: UInt64, progress: ReplayProgress
    ) throws -> MemoryViewStore {
        var store = MemoryViewStore()
        // Growing a large dictionary rehashes it repeatedly; a rough guess avoids most of that.
        store.timers.reserveCapacity(Int(min(total / 16, 1 << 20)))
        try PipelinedScan.run(log: log, txn: txn, until: bound) { e in
            try Projector.apply(e, to: &store)
            if e.seq & 0xFFFF == 0 { progress(e.seq, total) }
        }
        return store
    }

    /// Rebuilds every view of the store's directory in place. Takes the writer lock first, so
    /// it refuses while a server runs.
    public static func rebuild(directory: String, progress: ReplayProgress = { _, _ in }) throws -> ReplayReport {
        let started = monotonicSeconds()
        let lock = try WriterLock(directory: directory)
        defer { withExtendedLifetime(lock) {} }
        let (environment, log, views) = try openExisting(directory: directory, readOnly: false)
        let store = try fold(environment: environment, log: log, progress: progress)
        let folded = monotonicSeconds()
        try environment.write { txn in try views.replaceAll(with: store, txn) }
        return ReplayReport(
            events: store.applied, foldSeconds: folded - started, writeSeconds: monotonicSeconds() - folded, differences: []
        )
    }

    /// Rebuilds into memory and compares with the live views, changing nothing.
    public static func verify(directory: String, progress: ReplayProgress = { _, _ in }) throws -> ReplayReport {
        let (environment, log, views) = try openExisting(directory: directory, readOnly: true)
        return try verify(environment: environment, log: log, views: views, progress: progress)
    }

    /// The same on an environment this process already has open (LMDB allows one per
    /// directory per process).
    public static func verify(
        environment: Environment, log: EventLog, views: ViewTables, progress: ReplayProgress = { _, _ in }
    ) throws -> ReplayReport {
        let started = monotonicSeconds()
        // One snapshot for both sides, so a running server cannot make them differ.
        return try environment.read { txn in
            let total = try log.head(txn).seq
            let rebuilt = try foldAll(log: log, txn: txn, until: nil, total: total, progress: progress)
            progress(rebuilt.applied, total)
            let folded = monotonicSeconds()
            let (live, problems) = try views.loadAll(txn)
            return ReplayReport(
                events: rebuilt.applied, foldSeconds: folded - started, writeSeconds: 0,
                differences: problems + live.differences(from: rebuilt)
            )
        }
    }

    /// Writes the log up to `bound` and the views as of then into `target`, a new directory
    /// that the inspector (or a server) can open. The source is only read.
    public static func timeTravel(
        directory: String, until bound: ReplayBound, into target: String, progress: ReplayProgress = { _, _ in }
    ) throws -> ReplayReport {
        let started = monotonicSeconds()
        if DataDirectory.hasLog(target) { throw StoreError.io(path: target, reason: "already holds a log; choose a new directory") }
        let (source, log, _) = try openExisting(directory: directory, readOnly: true)
        let store = try fold(environment: source, log: log, until: bound, progress: progress)
        let folded = monotonicSeconds()
        try DataDirectory.create(target)
        let destination = try Environment(path: target)
        let targetLog = try EventLog(environment: destination)
        let targetViews = try ViewTables(environment: destination)
        // Keys are not in the log: the copy carries them, or its users' data is lost.
        let (sourceKeys, targetKeys) = (try UserKeys(environment: source), try UserKeys(environment: destination))
        try source.read { from in
            try destination.write { to in
                var head = LogHead.genesis
                var streams: [StreamID: StreamHead] = [:]
                // Records are copied byte for byte, so their checksums and chain links carry over.
                try from.scan(log.events) { key, value in
                    guard let seq = BigEndianKey.decode(key), seq <= store.applied else { return false }
                    try to.put(targetLog.events, key: Array(key), value: Array(value), flags: .append)
                    let envelope = try RecordCodec.decode(value, seq: seq)
                    streams[envelope.stream] = StreamHead(lastSeq: seq, count: (streams[envelope.stream]?.count ?? 0) + 1)
                    head = LogHead(seq: seq, timestamp: envelope.timestamp, chain: RecordCodec.storedChain(value) ?? head.chain)
                    return true
                }
                var appender = try EventLog.Appender(log: targetLog, txn: to)
                appender.restore(head, streams: streams)
                try appender.finish(to)
                try targetViews.replaceAll(with: store, to)
                try sourceKeys.copy(from, into: targetKeys, to)
            }
        }
        return ReplayReport(events: store.applied, foldSeconds: folded - started, writeSeconds: monotonicSeconds() - folded, differences: [])
    }

    /// Opens a directory that must already hold a log.
    public static func openExisting(directory: String, readOnly: Bool) throws -> (Environment, EventLog, ViewTables) {
        guard DataDirectory.hasLog(directory) else { throw StoreError.noLog(path: directory) }
        var options = EnvironmentOptions()
        options.readOnly = readOnly
        do {
            let environment = try Environment(path: directory, options: options)
            return (environment, try EventLog(environment: environment), try ViewTables(environment: environment))
        } catch {
            throw StoreError.wrap(error)
        }
    }
}

/// What a replay did.
public struct ReplayReport: Sendable {
    public var events: UInt64
    public var foldSeconds: Double
    public var writeSeconds: Double
    /// Empty when the live views equal the fold of the log (verify only).
    public var differences: [String]

    public var eventsPerSecond: Double { foldSeconds > 0 ? Double(events) / foldSeconds : 0 }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
