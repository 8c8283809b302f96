public import LMDB
public import EventLog

/// Failures of the store itself (never of the command): the server maps each to a 5xx or
/// 503, and tools print them with the path involved.
public enum StoreError: Error, CustomStringConvertible {
    case storage(LMDBError)
    case log(LogError)
    /// Another process holds the data directory for writing.
    case locked(path: String, holder: String)
    case noLog(path: String)
    case closed
    /// The views are ahead of the log (the log was truncated or swapped): rebuild them.
    case viewsAhead(views: UInt64, log: UInt64)
    case io(path: String, reason: String)
    /// A setting that cannot work with this storage, refused at start.
    case setting(String)
    /// The log's tail is damaged: nothing may be appended after it.
    case damagedTail(LogProblem)
    /// A cluster node's shared log (PostgreSQL) did not answer or refused the transaction:
    /// nothing was acknowledged.
    case sharedLog(String)

    public var description: String {
        switch self {
        case .storage(let e): e.description
        case .log(let e): e.description
        case .locked(let path, let holder):
            "the data directory \(path) is held for writing by another process (\(holder)); stop it first"
        case .noLog(let path): "no event log at \(path) (run `bubble-timer demo --data \(path)` to write one)"
        case .closed: "the event store is closed"
        case .viewsAhead(let views, let log):
            "the views include seq \(views) but the log ends at \(log); run `bubble-replay` to rebuild them"
        case .io(let path, let reason): "\(path): \(reason)"
        case .setting(let reason): reason
        case .sharedLog(let reason): "the shared log (PostgreSQL) is out of reach: \(reason)"
        case .damagedTail(let problem):
            "the log is damaged at seq \(problem.seq): \(problem.problem). The server does not append after a damaged record: restore from a backup, or salvage into a new directory with `bubble-replay --salvage --into DIR` (docs/operations.md, \"Corruption\")"
        }
    }

    /// Wraps whatever a storage call threw, keeping domain rejections as they are.
    static func wrap(_ error: any Error) -> any Error {
        switch error {
        case let e as LMDBError: StoreError.storage(e)
        case let e as LogError: StoreError.log(e)
        default: error
        }
    }
}
