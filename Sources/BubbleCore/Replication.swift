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
                for (user, bytes) in newKeys.sorted(by: { $0.key < $1.key }) { try keys.adopt(user, bytes, txn) }
                var appender = try EventLog.Appender(log: log, txn: txn)
                var store = try LMDBViewStore(tables: views, txn: txn)
                var committed: [CommittedEvent] = []
                for record in records {
                    let envelope = try record.withUnsafeBytes { try appender.appendRecord($0, txn: txn) }
                    try Projector.apply(envelope, to: &store)
                    if case .userErased(let user) = envelope.event { try keys.delete(user, txn) }
                    committed.append(try Self.committedEvent(envelope, store: store))
                }
                try appender.finish(txn)
                try store.flush()
                return committed
            }
        } catch {
            throw StoreError.wrap(error)
        }
    }
}

/// A batch decided and encoded against this replica without being written: what a cluster
/// node sends to the shared log. Valid only while that log's head is still `base`.
public struct DetachedBatch: Sendable {
    public var results: [Result<CommandResult, any Error>]
    /// The records, numbered and chained after `base`, as a local commit would have written them.
    public var records: [[UInt8]]
    /// What each record holds, in the same order (no need to decode them again).
    public var envelopes: [EventEnvelope]
    public var base: LogHead
    /// Data keys the batch made for users who had none (for sealing): they travel with the
    /// records, or the other nodes could not open what was sealed under them.
    public var newKeys: [UserID: [UInt8]]
    /// Users the batch erases: their keys go everywhere, in the same transaction.
    public var erased: [UserID]
}

extension EventStore {
    private struct Detached: Error { let batch: DetachedBatch }

    /// Decides a batch exactly as a commit would — against the views, each command seeing the
    /// ones before it — inside a write transaction that is then rolled back: nothing here
    /// changes; the caller appends `records` to the shared log and applies them when they come
    /// back. Keys a command made for sealing are rolled back here too and returned in
    /// `newKeys`, to be stored with the records.
    public func decideDetached(_ batch: [CommandRequest]) throws -> DetachedBatch {
        let now = options.clock()
        do {
            _ = try environment.write { txn -> Never in
                let base = try log.head(txn)
                // Keys are made for the acting user only: who had none before the batch.
                let actors = Set(batch.map(\.actor.userID))
                let keyless = try actors.filter { try keys.key(of: $0, txn) == nil }
                let (results, committed) = try Self.run(batch, skipping: [:], log: log, views: views, keys: keys, options: options, now: now, txn: txn)
                var newKeys: [UserID: [UInt8]] = [:]
                for user in keyless { if let key = try keys.key(of: user, txn) { newKeys[user] = key.bytes } }
                let erased = committed.compactMap { event -> UserID? in
                    if case .userErased(let user) = event.envelope.event { return user }
                    return nil
                }
                let records = try committed.map { event in
                    guard let record = try txn.get(log.events, key: BigEndianKey.encode(event.envelope.seq), { Array($0) }) else {
                        throw StoreError.io(path: directory, reason: "record \(event.envelope.seq) vanished inside its transaction")
                    }
                    return record
                }
                throw Detached(batch: DetachedBatch(results: results, records: records, envelopes: committed.map(\.envelope), base: base, newKeys: newKeys.filter { !erased.contains($0.key) }, erased: erased))
            }
        } catch let detached as Detached {
            return detached.batch
        } catch {
            throw StoreError.wrap(error)
        }
    }
}
