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
                _ = try await log.append { head, _ in
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

    /// Durable commands/s through the cluster command path with 1, 2 and 3 nodes in this
    /// process (one command per batch, one in flight per node, each node its own timers, so
    /// every conflict is the shared head's), beside one LMDB node doing the same.
    static func nodes(url: PostgresURL, scratch: String, logger: Logger) async throws -> [BenchResult] {
        let seconds = 5.0
        func update(_ node: Int, _ i: Int) -> CommandRequest {
            CommandRequest(.timer(.update(TimerSnapshot(id: "n\(node)-\(i % 50)", name: "N\(i)", totalDuration: "PT10M", remainingDuration: "PT10M"))), actor: Actor(userID: "bench", deviceID: "n\(node)"))
        }
        let single = try EventStore(directory: scratch + "/cluster-single")
        var done = 0
        var started = now()
        while now() - started < seconds {
            _ = try await single.execute(update(0, done))
            done += 1
        }
        let lmdb = Double(done) / (now() - started)
        single.close()
        var results: [BenchResult] = []
        for count in 1...3 {
            var committers: [ClusterCommitter] = []
            for n in 0..<count {
                let store = try EventStore(directory: scratch + "/cluster-nodes-\(count)-\(n)")
                committers.append(ClusterCommitter(store: store, log: try await PostgresLog.connect(url, logger: logger), maxAttempts: 1_000))
            }
            let begun = now()
            let total = try await withThrowingTaskGroup(of: Int.self) { group in
                for (n, node) in committers.enumerated() {
                    group.addTask {
                        var i = 0
                        while now() - begun < seconds {
                            _ = try await node.execute([update(n + 1, i)])
                            i += 1
                        }
                        return i
                    }
                }
                return try await group.reduce(0, +)
            }
            let rate = Double(total) / (now() - begun)
            let conflicts = committers.map(\.conflicts).reduce(0, +)
            for node in committers { node.store.close(); await node.log.close() }
            results.append(BenchResult(
                name: "cluster command path, \(count) node\(count == 1 ? "" : "s"), 1 command per batch, 1 in flight per node (\(conflicts) conflicts)",
                value: rate, unit: "commands/s", reference: ("one LMDB node, same loop", lmdb), target: "—"
            ))
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
            let head = try await writer.append { head, _ in [newTimer("lat-\(i)", seq: head.seq + 1, after: head.chain).row] }
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
    return (PostgresLog.Row(seq: seq, stream: envelope.stream.description, previousInStream: 0, timestamp: envelope.timestamp, record: record), link)
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
