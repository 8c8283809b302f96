public import TimerDomain
internal import EventLog
internal import LMDB
internal import Projections

/// One record of the shared log: its bytes exactly as LMDB stores them (CRC, chain link,
/// actor, command id, audience, event), with the columns a database indexes read from them.
public struct SharedRecord: Sendable, Equatable {
    public var seq: UInt64
    public var stream: String
    public var previousInStream: UInt64
    public var timestamp: Int64
    public var bytes: [UInt8]

    public init(seq: UInt64, stream: String, previousInStream: UInt64, timestamp: Int64, bytes: [UInt8]) {
        self.seq = seq
        self.stream = stream
        self.previousInStream = previousInStream
        self.timestamp = timestamp
        self.bytes = bytes
    }
}

/// Records in seq order with the data keys that travel with them (made by the node that
/// decided them) and the users whose keys they erase.
public struct SharedBatch: Sendable {
    public var records: [SharedRecord]
    public var keys: [UserID: [UInt8]]
    public var erased: [UserID]

    public init(records: [SharedRecord] = [], keys: [UserID: [UInt8]] = [:], erased: [UserID] = []) {
        self.records = records
        self.keys = keys
        self.erased = erased
    }
}

/// The log of record when it is not this data directory — a cluster's, in PostgreSQL (issue
/// 16). The data directory is then a replica: every commit is decided here, appended there,
/// and applied here when it is there. Called on the store's writer thread, so synchronous.
public protocol SharedLog: Sendable {
    /// Records committed after `seq`, oldest first, at most `limit`.
    func records(after seq: UInt64, limit: Int) throws -> SharedBatch
    /// One append with the shared head locked from before `decide` until the commit, so no
    /// other node appends between the decision and its records (no conflicts, no retries).
    /// `decide` gets what was committed after `seq` (this replica's head) and returns what to
    /// append after those, numbered on; `nil` appends nothing. Returns what `decide` got.
    func append(after seq: UInt64, _ decide: (SharedBatch) throws -> SharedBatch?) throws -> SharedBatch
}

/// Thrown by ``SharedLog/append(after:_:)`` instead of deciding when the replica is further
/// behind than one locked append should carry: the store catches up without the lock first.
public struct SharedLogAhead: Error {
    public var records: UInt64
    public init(records: UInt64) { self.records = records }
}

extension EventStore {
    /// A cluster node's commit: decide the batch on this replica brought up to the shared
    /// head (under its lock), append it there — the acknowledgement — then apply what was
    /// missing and the batch here in one synced transaction, so the node reads its own writes.
    /// An empty batch only brings the replica up (a follower's wake-up).
    static func processShared(
        _ batch: [CommandRequest], shared: any SharedLog,
        environment: Environment, log: EventLog, views: ViewTables, keys: UserKeys, options: StoreOptions
    ) throws -> (results: [Result<CommandResult, any Error>], committed: [CommittedEvent]) {
        // What was applied before a failure must still reach the fan-out (the next catch-up
        // starts after it): returned, the failure thrown only when nothing was applied.
        func catchUp() throws -> [CommittedEvent] {
            var committed: [CommittedEvent] = []
            do {
                while true {
                    let head = try environment.read { try log.head($0).seq }
                    let missing = try shared.records(after: head, limit: 5_000)
                    guard !missing.records.isEmpty else { return committed }
                    committed += try environment.write { txn in
                        try apply(missing.records.map(\.bytes), keys: missing.keys, log: log, views: views, keys: keys, txn: txn)
                    }
                }
            } catch {
                if committed.isEmpty { throw error }
                return committed
            }
        }
        guard !batch.isEmpty else { return ([], try catchUp()) }
        var caughtUp: [CommittedEvent] = []
        // As the local path does: a command failing in storage is dropped and the rest decided again.
        var failed: [Int: any Error] = [:]
        do {
            while true {
                let head = try environment.read { try log.head($0).seq }
                do {
                    var decided: DetachedBatch?
                    let foreign = try shared.append(after: head) { foreign in
                        let batch = try detach(batch, after: foreign, skipping: failed, environment: environment, log: log, views: views, keys: keys, options: options)
                        decided = batch
                        return batch.records.isEmpty ? nil : SharedBatch(records: batch.records, keys: batch.newKeys, erased: batch.erased)
                    }
                    guard let decided else { throw StoreError.closed }
                    let committed = try environment.write { txn in
                        try apply(
                            (foreign.records + decided.records).map(\.bytes), keys: foreign.keys.merging(decided.newKeys) { $1 },
                            log: log, views: views, keys: keys, txn: txn
                        )
                    }
                    return (decided.results, caughtUp + committed)
                } catch let failure as CommandFailure {
                    failed[failure.index] = failure.error
                } catch is SharedLogAhead {
                    caughtUp += try catchUp()
                }
            }
        } catch {
            // The commands failed; the records caught up on the way are committed here.
            guard !caughtUp.isEmpty else { throw error }
            return (batch.map { _ in .failure(StoreError.wrap(error)) }, caughtUp)
        }
    }
}
