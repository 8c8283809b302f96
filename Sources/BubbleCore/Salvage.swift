public import LMDB
public import EventLog
public import TimerDomain
internal import Projections

/// What `bubble-replay --salvage` wrote.
public struct SalvageReport: Sendable {
    /// Records copied into the new log.
    public var kept: Int
    /// Seqs that could not be read, each replaced by a `log_salvaged` marker.
    public var skipped: [LogProblem]
    public var events: UInt64
}

extension Replay {
    /// Writes a NEW data directory from a damaged one, never touching the source: every record
    /// that still reads (checksum and decoding intact) is appended again in seq order — so the
    /// new log has its own, unbroken hash chain — and every one that does not (or a seq missing
    /// from the log) becomes a `log_salvaged` event at the same seq naming what was lost. Seqs
    /// clients hold keep their meaning. The views are then folded from the new log.
    public static func salvage(directory: String, into target: String) throws -> SalvageReport {
        if DataDirectory.hasLog(target) { throw StoreError.io(path: target, reason: "already holds a log; choose a new directory") }
        let (source, log, _) = try openExisting(directory: directory, readOnly: true)
        try DataDirectory.create(target)
        var report = SalvageReport(kept: 0, skipped: [], events: 0)
        do {
            let destination = try Environment(path: target)
            defer { destination.close() }
            let targetLog = try EventLog(environment: destination)
            _ = try ViewTables(environment: destination)
            let (sourceKeys, targetKeys) = (try UserKeys(environment: source), try UserKeys(environment: destination))
            let salvager = Actor(userID: "server", deviceID: "salvage")
            try source.read { from in
                try destination.write { to in
                    var appender = try EventLog.Appender(log: targetLog, txn: to)
                    var expected: UInt64 = 1
                    var lastTime: Int64 = 0
                    func skip(_ seq: UInt64, _ reason: String) throws {
                        _ = try appender.append(.logSalvaged(skippedSeq: seq, reason: reason), actor: salvager, commandID: nil, now: lastTime, txn: to)
                        report.skipped.append(LogProblem(seq: seq, problem: reason))
                    }
                    try from.scan(log.events) { key, value in
                        guard let seq = BigEndianKey.decode(key) else { return true }
                        while expected < seq {
                            try skip(expected, "record \(expected) is missing from the log")
                            expected += 1
                        }
                        expected = seq + 1
                        do {
                            let e = try RecordCodec.decode(value, seq: seq)
                            _ = try appender.append(
                                e.event, actor: e.actor, commandID: e.commandID, audience: e.audience,
                                lastInCommand: e.lastInCommand, now: e.timestamp, txn: to
                            )
                            lastTime = e.timestamp
                            report.kept += 1
                        } catch let error as LogError {
                            try skip(seq, "\(error)")
                        }
                        return true
                    }
                    report.events = expected - 1
                    try appender.finish(to)
                    try sourceKeys.copy(from, into: targetKeys, to)
                }
            }
        } catch {
            throw StoreError.wrap(error)
        }
        source.close()
        _ = try rebuild(directory: target)
        return report
    }
}
