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
