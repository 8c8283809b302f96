import Foundation
import LMDB
import EventLog
import TimerDomain
import BubbleCore

/// Durable log appends (record encode + CRC-32C + SHA-256 chain + stream index + head, sync
/// on) against raw LMDB puts of records the same size, at the same group size, in one run.
enum AppendBench {
    static func compare(groupSize: Int, scratch: String) throws -> [BenchResult] {
        let commits = max(20, min(400, 20_000 / groupSize))
        let sample = sampleEvents(groupSize)
        let logDir = scratch + "/append-log-\(groupSize)", rawDir = scratch + "/append-raw-\(groupSize)"
        for d in [logDir, rawDir] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }

        let logEnv = try Environment(path: logDir)
        let log = try EventLog(environment: logEnv)
        let actor = Actor(userID: "alice", deviceID: "alice-phone")
        var recordSize = 0
        let logStart = now()
        for _ in 0..<commits {
            try logEnv.write { txn in
                var appender = try EventLog.Appender(log: log, txn: txn)
                for e in sample { _ = try appender.append(e, actor: actor, commandID: "req-123456", now: 1_755_000_000_000, txn: txn) }
                try appender.finish(txn)
            }
        }
        let logSeconds = now() - logStart
        try logEnv.read { txn in
            _ = try txn.get(log.events, key: BigEndianKey.encode(1)) { recordSize = $0.count }
        }

        let rawEnv = try Environment(path: rawDir)
        let raw = try rawEnv.openDatabase("events")
        let value = [UInt8](repeating: 0xAB, count: recordSize)
        var seq: UInt64 = 0
        let rawStart = now()
        for _ in 0..<commits {
            try rawEnv.write { txn in
                for _ in 0..<groupSize {
                    seq += 1
                    try txn.put(raw, key: BigEndianKey.encode(seq), value: value, flags: .append)
                }
            }
        }
        let rawSeconds = now() - rawStart
        let total = Double(commits * groupSize)
        return [BenchResult(
            name: "durable log append, group \(groupSize) (\(recordSize) B records)", value: total / logSeconds, unit: "events/s",
            reference: ("raw LMDB put, same size and group", total / rawSeconds), target: "≥ 60% of raw"
        )]
    }

    /// A realistic mix: mostly timer updates, some shares and connects.
    static func sampleEvents(_ n: Int) -> [Event] {
        (0..<n).map { i in
            let id = "7d1c5a2e-0b4f-4c8e-9a61-\(String(format: "%012d", i % 997))"
            switch i % 10 {
            case 0: return .timerShared(id, with: "user-\(i % 50)")
            case 1: return .deviceConnected("user-\(i % 50)", device: "device-\(i % 3)", connectionID: "conn-\(i)", epoch: 1)
            default:
                return .timerUpdated(TimerSnapshot(id: id, name: "Timer \(i % 97)", totalDuration: "PT30M", remainingDuration: i % 2 == 0 ? "PT4M59.123S" : nil, end: i % 2 == 0 ? nil : "2025-08-12T14:03:07.123", tags: ["kitchen"]))
            }
        }
    }
}

/// The whole command path (decide → append → project, group commit) under concurrent callers.
enum CommandPathBench {
    static func run(scratch: String) throws -> [BenchResult] {
        let dir = scratch + "/command-path"
        let store = try EventStore(directory: dir)
        defer { store.close() }
        let total = 20_000
        let callers = 64
        let start = now()
        let done = DispatchSemaphore(value: 0)
        // Async callers: awaiting an ack parks a continuation, not a thread, as in the server.
        Task {
            await withTaskGroup(of: Void.self) { group in
                for c in 0..<callers {
                    group.addTask {
                        let actor = Actor(userID: "user-\(c)", deviceID: "d")
                        for i in 0..<(total / callers) {
                            let timer = TimerSnapshot(id: "t-\(c)-\(i % 20)", name: "n\(i)", totalDuration: "PT30M", end: "2025-08-12T14:03:0\(i % 10)")
                            _ = try? await store.execute(CommandRequest(.timer(.update(timer)), actor: actor))
                        }
                    }
                }
            }
            done.signal()
        }
        done.wait()
        let seconds = now() - start
        let stats = store.commitStatistics
        return [BenchResult(
            name: "command path, \(callers) concurrent callers (avg batch \(stats.commands / max(1, stats.batches)))",
            value: Double(stats.commands) / seconds, unit: "commands/s", reference: nil, target: "—"
        )]
    }
}
