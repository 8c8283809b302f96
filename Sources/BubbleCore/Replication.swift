internal import LMDB
public import TimerDomain
public import EventLog
internal import Projections

/// A cluster node's data directory is a replica of the shared log (issue 16): records made by
/// any node arrive in seq order and are written here as they are, then folded into the views
/// by the same projector as a local commit — so replay, verify and the inspector work on a
/// replica unchanged.
extension EventStore {
    /// Appends records that follow this log's head, in one synced write transaction with their
    /// view changes; all or none (a record that does not follow — a gap, a broken chain, a
    /// wrong back-pointer, a bad checksum — aborts the whole batch). Returns them as committed
    /// events for the fan-out.
    /// `keys`: users' data keys that came with these records (made by the node that decided
    /// them), written in the same transaction so sealed fields open here too.
    public func applyReplicated(_ records: [[UInt8]], keys newKeys: [UserID: [UInt8]] = [:]) throws -> [CommittedEvent] {
        guard !records.isEmpty else { return [] }
        do {
            return try environment.write { txn in
                try Self.apply(records, keys: newKeys, log: log, views: views, keys: keys, txn: txn)
            }
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// What ``applyReplicated(_:keys:)`` writes, inside `txn`.
    static func apply(
        _ records: [[UInt8]], keys newKeys: [UserID: [UInt8]], log: EventLog, views: ViewTables, keys: UserKeys, txn: WriteTransaction
    ) throws -> [CommittedEvent] {
        guard !records.isEmpty else { return [] }
        for (user, bytes) in newKeys.sorted(by: { $0.key < $1.key }) { try keys.adopt(user, bytes, txn) }
        var appender = try EventLog.Appender(log: log, txn: txn)
        var store = try LMDBViewStore(tables: views, txn: txn)
        var committed: [CommittedEvent] = []
        for record in records {
            let envelope = try record.withUnsafeBytes { try appender.appendRecord($0, txn: txn) }
            try Projector.apply(envelope, to: &store)
            if case .userErased(let user) = envelope.event { try keys.delete(user, txn) }
            committed.append(try committedEvent(envelope, store: store))
        }
        try appender.finish(txn)
        try store.flush()
        return committed
    }
}

/// A batch decided and encoded against this replica without being written: what a cluster
/// node sends to the shared log. Valid only while that log's head is still `base`.
struct DetachedBatch: Sendable {
    var results: [Result<CommandResult, any Error>]
    /// The records, numbered and chained after `base`, with what each holds.
    var records: [SharedRecord]
    var base: LogHead
    /// Data keys the batch made for users who had none (for sealing): they travel with the
    /// records, or the other nodes could not open what was sealed under them.
    var newKeys: [UserID: [UInt8]]
    /// Users the batch erases: their keys go everywhere, in the same transaction.
    var erased: [UserID]
}

extension EventStore {
    private struct Detached: Error { let batch: DetachedBatch }

    /// Decides a batch exactly as a commit would — against the views, each command seeing the
    /// ones before it — inside a write transaction that is then rolled back: nothing here
    /// changes. `after`: records of the shared log this replica has not applied yet, applied
    /// first inside the same (rolled back) transaction, so the batch is decided and numbered
    /// after them (``EventStore/processShared``).
    static func detach(
        _ batch: [CommandRequest], after foreign: SharedBatch, skipping failed: [Int: any Error],
        environment: Environment, log: EventLog, views: ViewTables, keys: UserKeys, options: StoreOptions
    ) throws -> DetachedBatch {
        let now = options.clock()
        do {
            _ = try environment.write { txn -> Never in
                _ = try apply(foreign.records.map(\.bytes), keys: foreign.keys, log: log, views: views, keys: keys, txn: txn)
                let base = try log.head(txn)
                // Keys are made for the acting user only: who had none before the batch.
                let actors = Set(batch.map(\.actor.userID))
                let keyless = try actors.filter { try keys.key(of: $0, txn) == nil }
                let (results, committed) = try run(batch, skipping: failed, log: log, views: views, keys: keys, options: options, now: now, txn: txn)
                var newKeys: [UserID: [UInt8]] = [:]
                for user in keyless { if let key = try keys.key(of: user, txn) { newKeys[user] = key.bytes } }
                let erased = committed.compactMap { event -> UserID? in
                    if case .userErased(let user) = event.envelope.event { return user }
                    return nil
                }
                let records = try committed.map { event in
                    let e = event.envelope
                    guard let bytes = try txn.get(log.events, key: BigEndianKey.encode(e.seq), { Array($0) }) else {
                        throw StoreError.io(path: environment.path, reason: "record \(e.seq) vanished inside its transaction")
                    }
                    return SharedRecord(seq: e.seq, stream: e.stream.description, previousInStream: e.previousInStream, timestamp: e.timestamp, bytes: bytes)
                }
                throw Detached(batch: DetachedBatch(results: results, records: records, base: base, newKeys: newKeys.filter { !erased.contains($0.key) }, erased: erased))
            }
        } catch let detached as Detached {
            return detached.batch
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw StoreError.wrap(error)
        }
    }
}
