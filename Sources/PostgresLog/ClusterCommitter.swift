public import BubbleCore
public import EventLog
internal import TimerDomain
internal import Foundation

/// A cluster node's command path (issue 16): decide a batch against the local replica caught
/// up to the shared log, append it to PostgreSQL only if no other node appended meanwhile (the
/// records were numbered and chained after that head), then apply it locally and answer. A
/// batch that lost the race is decided again on the newer state, at most `maxAttempts` times.
///
/// The check is the whole log's head, not each stream's: simple and always right (every view
/// a decision read is covered), at the cost of retries when nodes write at once — the
/// per-stream check (`PostgresLog.append(expecting:)`) is the refinement once decisions report
/// what they read.
public final class ClusterCommitter: Sendable {
    public let store: EventStore
    public let log: PostgresLog
    let maxAttempts: Int
    /// One batch at a time per node: each is decided after the last one's records.
    private let serial = AsyncMutex()
    private let counters = Counters()

    public init(store: EventStore, log: PostgresLog, maxAttempts: Int = 20) {
        self.store = store
        self.log = log
        self.maxAttempts = maxAttempts
    }

    /// Batches decided again because another node appended first.
    public var conflicts: Int { counters.conflicts }

    /// Runs a batch; each result is what a single node would answer. Throws when storage
    /// fails or the shared log stays contended past `maxAttempts`.
    public func execute(_ batch: [CommandRequest]) async throws -> [Result<CommandResult, any Error>] {
        try await serial.run {
            for _ in 0..<maxAttempts {
                _ = try await Replica.catchUp(store, from: log)
                let detached = try store.decideDetached(batch)
                guard !detached.records.isEmpty else { return detached.results }
                let rows = zip(detached.envelopes, detached.records).map { envelope, record in
                    PostgresLog.Row(seq: envelope.seq, stream: envelope.stream.description, previousInStream: envelope.previousInStream, timestamp: envelope.timestamp, record: record)
                }
                do {
                    _ = try await log.append(keys: detached.newKeys, erase: detached.erased) { head, _ in
                        guard head == detached.base else {
                            throw ClusterLogError.conflict(stream: "(log head)", expected: detached.base.seq, found: head.seq)
                        }
                        return rows
                    }
                } catch ClusterLogError.conflict {
                    counters.conflict()
                    continue
                }
                // Acknowledged: in PostgreSQL. Applied here before answering, so this node reads
                // its own writes. (Read back rather than applied from hand: the round trip is also
                // what gives the other nodes their turn — applying from hand let one node win
                // every race and starve another past `maxAttempts`.)
                _ = try await Replica.catchUp(store, from: log)
                return detached.results
            }
            throw ClusterLogError.contended(attempts: maxAttempts)
        }
    }
}

final class Counters: @unchecked Sendable {
    private let lock = NSLock()
    private var _conflicts = 0
    func conflict() { lock.withLock { _conflicts += 1 } }
    var conflicts: Int { lock.withLock { _conflicts } }
}
