import Foundation
import Logging
import BubbleCore
import EventLog
import TimerDomain
import PostgresLog

/// The shared log in PostgreSQL (issue 16): moving a log in, a new node catching up from it,
/// and synced appends of one event and of a hundred per transaction.
enum ClusterBench {
    static func run(url text: String, events: Int, scratch: String) async throws -> [BenchResult] {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let url = try PostgresURL(parsing: text)
        let source = scratch + "/cluster-source"
        try ReplayBench.generate(events: events, hotEvents: 1_000, into: source)
        let log = try await PostgresLog.connect(url, logger: logger)
        defer { Task { await log.close() } }
        guard try await log.head().seq == 0 else { throw BenchFailure("the benchmark needs an empty database (\(url))") }

        var started = now()
        let imported = try await ClusterImport.run(dataDirectory: source, into: log)
        let importSeconds = now() - started

        let replica = try EventStore(directory: scratch + "/cluster-replica")
        started = now()
        let caught = try await Replica.catchUp(replica, from: log)
        let catchUpSeconds = now() - started
        replica.close()
        guard caught.head == imported.head else { throw BenchFailure("the replica's head differs from PostgreSQL's") }

        var results = [
            BenchResult(name: "cluster import: \(imported.imported) events from LMDB into PostgreSQL", value: Double(imported.imported) / importSeconds, unit: "events/s", reference: nil, target: "—"),
            BenchResult(name: "new node catch-up: PostgreSQL → LMDB replica + views", value: Double(caught.applied) / catchUpSeconds, unit: "events/s", reference: nil, target: "—"),
        ]
        for size in [1, 100] {
            let rounds = size == 1 ? 500 : 100
            started = now()
            for i in 0..<rounds {
                _ = try await log.append { head in
                    var chain = head.chain
                    return (0..<size).map { k in
                        let (row, link) = newTimer("pg-\(size)-\(i)-\(k)", seq: head.seq + 1 + UInt64(k), after: chain)
                        chain = link
                        return row
                    }
                }
            }
            let seconds = now() - started
            results.append(BenchResult(
                name: "PostgreSQL synced append, \(size) event\(size == 1 ? "" : "s") per transaction (one connection)",
                value: Double(rounds * size) / seconds, unit: "events/s", reference: nil, target: "—"
            ))
        }
        results += try await notifyLatency(url: url, logger: logger)
        results += try await nodes(url: url, scratch: scratch, logger: logger)
        return results
    }

    /// Durable commands/s through a cluster node's store (decide under the shared head's
    /// lock, append to PostgreSQL, apply) with 1, 2 and 3 nodes in this process, each node
    /// its own timers, one command in flight per node and then 64 (group commit), beside one
    /// LMDB node doing the same in the same run.
    static func nodes(url: PostgresURL, scratch: String, logger: Logger) async throws -> [BenchResult] {
        let seconds = 5.0
        // A user per node and run: the imported log's users already own their share of timers.
        func update(_ run: String, _ node: Int, _ i: Int) -> CommandRequest {
            CommandRequest(.timer(.update(TimerSnapshot(id: "\(run)-n\(node)-\(i % 50)", name: "N\(i)", totalDuration: "PT10M", remainingDuration: "PT10M"))), actor: Actor(userID: "bench-\(run)-n\(node)", deviceID: "n\(node)"))
        }
        /// Commands/s from `inFlight` loops per store, all stores at once.
        func drive(_ stores: [EventStore], inFlight: Int, run: String) async throws -> Double {
            let begun = now()
            let total = try await withThrowingTaskGroup(of: Int.self) { group in
                for (n, store) in stores.enumerated() {
                    for lane in 0..<inFlight {
                        group.addTask {
                            var i = 0
                            while now() - begun < seconds {
                                _ = try await store.execute(update(run, n + 1, lane * 1_000_000 + i))
                                i += 1
                            }
                            return i
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            return Double(total) / (now() - begun)
        }
        var results: [BenchResult] = []
        for inFlight in [1, 64] {
            let single = try EventStore(directory: scratch + "/cluster-single-\(inFlight)")
            let lmdb = try await drive([single], inFlight: inFlight, run: "lmdb\(inFlight)")
            single.close()
            for count in 1...3 {
                var nodes: [(EventStore, PostgresLog)] = []
                for n in 0..<count {
                    let log = try await PostgresLog.connect(url, logger: logger)
                    var options = StoreOptions()
                    options.sharedLog = PostgresSharedLog(log)
                    let store = try EventStore(directory: scratch + "/cluster-nodes-\(inFlight)-\(count)-\(n)", options: options)
                    // As a node does before it serves.
                    _ = try await Replica.catchUp(store, from: log)
                    nodes.append((store, log))
                }
                let rate = try await drive(nodes.map(\.0), inFlight: inFlight, run: "c\(inFlight)-\(count)")
                let batches = nodes.map { $0.0.commitStatistics }
                let perBatch = Double(batches.map(\.commands).reduce(0, +)) / Double(max(1, batches.map(\.batches).reduce(0, +)))
                for (store, log) in nodes { store.close(); await log.close() }
                results.append(BenchResult(
                    name: "cluster nodes: \(count) node\(count == 1 ? "" : "s"), \(inFlight) command\(inFlight == 1 ? "" : "s") in flight per node (\(String(format: "%.1f", perBatch)) per batch)",
                    value: rate, unit: "commands/s", reference: ("one LMDB node, same load", lmdb), target: "—"
                ))
            }
        }
        return results
    }

    /// From an append's commit on one connection to its row reaching a follower on another
    /// (LISTEN/NOTIFY, then a read): the shared log's part of cross-node delivery.
    static func notifyLatency(url: PostgresURL, logger: Logger) async throws -> [BenchResult] {
        let writer = try await PostgresLog.connect(url, logger: logger)
        let reader = try await PostgresLog.connect(url, logger: logger)
        let start = try await writer.head().seq
        let clock = ContinuousClock()
        let calledAt = Stamps(), committedAt = Stamps(), receivedAt = Stamps()
        let rounds = 300
        let follower = Task {
            var count = 0
            for try await rows in reader.follow(after: start, pollInterval: .seconds(30)) {
                let now = clock.now
                for row in rows { receivedAt[row.seq] = now }
                count += rows.count
                if count >= rounds { break }
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        for i in 0..<rounds {
            let called = clock.now
            let head = try await writer.append { head in [newTimer("lat-\(i)", seq: head.seq + 1, after: head.chain).row] }
            committedAt[head.seq] = clock.now
            calledAt[head.seq] = called
            try await Task.sleep(for: .milliseconds(5))
        }
        try await follower.value
        await writer.close()
        await reader.close()
        // From the append's return (its commit acknowledged) to the follower's read — a row
        // read before the writer heard back counts as 0 — and from the call, commit included.
        func latencies(from sent: Stamps) -> [Double] {
            (start + 1...start + UInt64(rounds)).compactMap { seq -> Double? in
                guard let from = sent[seq], let got = receivedAt[seq] else { return nil }
                let d = got - from
                return max(0, Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
            }.sorted()
        }
        let fromCall = latencies(from: calledAt)
        let latencies = latencies(from: committedAt)
        let p50 = latencies[latencies.count / 2], p99 = latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
        return [
            BenchResult(name: "shared log: commit on one connection → row on a follower's, p50 (\(rounds) appends)", value: p50, unit: "ms", reference: nil, target: "—"),
            BenchResult(name: "… p99", value: p99, unit: "ms", reference: nil, target: "—"),
            BenchResult(name: "shared log: append call (synced commit included) → row on a follower's, p50", value: fromCall[fromCall.count / 2], unit: "ms", reference: nil, target: "—"),
            BenchResult(name: "… p99", value: fromCall[min(fromCall.count - 1, fromCall.count * 99 / 100)], unit: "ms", reference: nil, target: "—"),
        ]
    }
}

/// A record creating timer `id` at `seq` after `chain`, as a node would encode it.
func newTimer(_ id: String, seq: UInt64, after chain: ChainHash) -> (row: PostgresLog.Row, chain: ChainHash) {
    let envelope = EventEnvelope(
        seq: seq, timestamp: 1_800_000_000_000, actor: Actor(userID: "bench", deviceID: "node"), commandID: nil,
        event: .timerCreated(TimerSnapshot(id: id, name: "Bench", totalDuration: "PT1M", remainingDuration: "PT1M"), owner: "bench")
    )
    let (record, link) = RecordCodec.encode(envelope, previousChain: chain)
    return (PostgresLog.Row(seq: seq, stream: envelope.stream.description, previousInStream: 0, timestamp: envelope.timestamp, bytes: record), link)
}

/// Commit instants by seq, written by the appender and read by the follower.
final class Stamps: @unchecked Sendable {
    private let lock = NSLock()
    private var stamps: [UInt64: ContinuousClock.Instant] = [:]
    subscript(seq: UInt64) -> ContinuousClock.Instant? {
        get { lock.withLock { stamps[seq] } }
        set { lock.withLock { stamps[seq] = newValue } }
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
