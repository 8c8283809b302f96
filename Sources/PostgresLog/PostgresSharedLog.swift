public import BubbleCore
internal import Dispatch
internal import PostgresNIO

/// The shared log as the store's writer thread sees it: PostgreSQL's calls made synchronous.
/// The writer is a thread of its own (it blocks on fsync anyway), so waiting here holds no
/// task of the cooperative pool.
public struct PostgresSharedLog: SharedLog {
    public let log: PostgresLog

    public init(_ log: PostgresLog) { self.log = log }

    public func records(after seq: UInt64, limit: Int) throws -> SharedBatch {
        try blocking {
            let rows = try await log.rows(after: seq, limit: limit)
            guard let last = rows.last else { return SharedBatch() }
            return SharedBatch(records: rows, keys: try await log.keys(after: seq, through: last.seq))
        }
    }

    public func append(after seq: UInt64, _ decide: (SharedBatch) throws -> SharedBatch?) throws -> SharedBatch {
        try withoutActuallyEscaping(decide) { decide in
            // Called only while this thread waits below, and let go before it returns (the
            // task that ran it may outlive the wait by a moment).
            let unchecked = UncheckedBox<((SharedBatch) throws -> SharedBatch?)?>(decide)
            defer { unchecked.value = nil }
            return try blocking { try await log.append(after: seq) { try unchecked.value!($0) } }
        }
    }

    private func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let outcome = UncheckedBox<Result<T, any Error>?>(nil)
        Task {
            do { outcome.value = .success(try await body()) } catch { outcome.value = .failure(Self.wrap(error)) }
            done.signal()
        }
        done.wait()
        return try outcome.value!.get()
    }

    /// PostgreSQL's own failures as the store's (one status for them, 503); the decision's
    /// errors and the log's refusals pass as they are.
    static func wrap(_ error: any Error) -> any Error {
        switch error {
        case let e as PostgresTransactionError:
            .sharedLog("\(e.beginError ?? e.commitError ?? e.closureError ?? e)") as StoreError
        case let e as PSQLError:
            StoreError.sharedLog(e.underlying.map { "\($0)" } ?? e.serverInfo.map { "\($0)" } ?? "\(e.code)")
        case ClusterLogError.unreachable(let reason):
            StoreError.sharedLog(reason)
        default:
            error
        }
    }
}

/// A value handed across the wait above; the semaphore orders its reads and writes.
private final class UncheckedBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
