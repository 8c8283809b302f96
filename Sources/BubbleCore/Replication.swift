internal import LMDB
internal import TimerDomain
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
    public func applyReplicated(_ records: [[UInt8]]) throws -> [CommittedEvent] {
        guard !records.isEmpty else { return [] }
        do {
            return try environment.write { txn in
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
    public var base: LogHead
}

extension EventStore {
    private struct Detached: Error { let batch: DetachedBatch }

    /// Decides a batch exactly as a commit would — against the views, each command seeing the
    /// ones before it — inside a write transaction that is then rolled back: nothing here
    /// changes; the caller appends `records` to the shared log and applies them when they come
    /// back. (Keys a command creates for sealing are rolled back too: cluster nodes need the
    /// shared key table first — issue 16.)
    public func decideDetached(_ batch: [CommandRequest]) throws -> DetachedBatch {
        let now = options.clock()
        do {
            _ = try environment.write { txn -> Never in
                let base = try log.head(txn)
                let (results, committed) = try Self.run(batch, skipping: [:], log: log, views: views, keys: keys, options: options, now: now, txn: txn)
                let records = try committed.map { event in
                    guard let record = try txn.get(log.events, key: BigEndianKey.encode(event.envelope.seq), { Array($0) }) else {
                        throw StoreError.io(path: directory, reason: "record \(event.envelope.seq) vanished inside its transaction")
                    }
                    return record
                }
                throw Detached(batch: DetachedBatch(results: results, records: records, base: base))
            }
        } catch let detached as Detached {
            return detached.batch
        } catch {
            throw StoreError.wrap(error)
        }
    }
}
