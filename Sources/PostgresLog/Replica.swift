public import BubbleCore
public import EventLog

/// Brings a node's local replica up to the shared log: the rows after its head, a batch per
/// synced LMDB transaction. A node does this before it serves (docs/operations.md).
public enum Replica {
    public struct Report: Sendable, Equatable {
        public var applied: UInt64
        public var head: LogHead
    }

    public static func catchUp(
        _ store: EventStore, from log: PostgresLog, batchSize: Int = 5_000,
        onBatch: @Sendable ([CommittedEvent]) -> Void = { _ in }
    ) async throws -> Report {
        var applied: UInt64 = 0
        while true {
            let head = try store.read { try store.log.head($0) }
            let rows = try await log.rows(after: head.seq, limit: batchSize)
            guard let last = rows.last else { return Report(applied: applied, head: head) }
            let keys = try await log.keys(after: head.seq, through: last.seq)
            let committed = try store.applyReplicated(rows.map(\.bytes), keys: keys)
            applied += UInt64(committed.count)
            onBatch(committed)
        }
    }
}
