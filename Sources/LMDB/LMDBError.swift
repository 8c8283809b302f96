internal import CLMDB
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A failed LMDB call: which code LMDB returned, LMDB's own words for it, and what we were doing.
///
/// Every C return code passes through ``check(_:_:)``, so this is the only way LMDB failures
/// reach Swift.
public struct LMDBError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The LMDB (or errno) failure, one case per `MDB_*` code we can meet.
    public enum Kind: Equatable, Sendable {
        case keyExists, notFound, pageNotFound, corrupted, panic, versionMismatch, invalid
        case mapFull, databasesFull, readersFull, tlsFull, transactionFull, cursorFull, pageFull
        case mapResized, incompatible, badReaderSlot, badTransaction, badValueSize, badDatabase
        /// An errno from the operating system (ENOENT, EACCES, ENOSPC…).
        case system(Int32)
        /// This process already has an environment open on the same directory. LMDB forbids
        /// it: closing either one drops the process's locks on the file.
        case alreadyOpen
        /// The data file contradicts its own meta pages (truncated, or not LMDB at all),
        /// found before LMDB maps it.
        case damagedFile
    }

    public let kind: Kind
    /// The raw return code.
    public let code: Int32
    /// `mdb_strerror` text.
    public let message: String
    /// What the wrapper was doing, e.g. `put(events)`.
    public let operation: String

    init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
        self.message = String(cString: mdb_strerror(code))
        self.kind = Self.kind(of: code)
    }

    /// The wrapper's own refusal of a second environment on `path` in this process.
    static func alreadyOpen(_ path: String) -> LMDBError {
        LMDBError(kind: .alreadyOpen, code: EBUSY, message: "this process already has an environment open on this directory", operation: "env_open(\(path))")
    }

    /// `path` is not a data file LMDB can safely map; `problem` says why.
    static func damaged(_ path: String, _ problem: String) -> LMDBError {
        LMDBError(kind: .damagedFile, code: MDB_CORRUPTED, message: "\(path) \(problem); restore from a backup (docs/operations.md, \"Corruption\")", operation: "check data file")
    }

    private init(kind: Kind, code: Int32, message: String, operation: String) {
        self.kind = kind
        self.code = code
        self.message = message
        self.operation = operation
    }

    public var description: String {
        kind == .damagedFile ? message : "LMDB \(operation): \(message) (\(code))"
    }

    /// Whether the failure ends the transaction it happened in (map full, I/O, corruption),
    /// as opposed to refusing one operation (a key too long, a key missing) and leaving the
    /// transaction usable by the other commands of a batch.
    public var isTransactionFatal: Bool {
        switch kind {
        case .badValueSize, .keyExists, .notFound: false
        default: true
        }
    }

    private static func kind(of code: Int32) -> Kind {
        switch code {
        case MDB_KEYEXIST: .keyExists
        case MDB_NOTFOUND: .notFound
        case MDB_PAGE_NOTFOUND: .pageNotFound
        case MDB_CORRUPTED: .corrupted
        case MDB_PANIC: .panic
        case MDB_VERSION_MISMATCH: .versionMismatch
        case MDB_INVALID: .invalid
        case MDB_MAP_FULL: .mapFull
        case MDB_DBS_FULL: .databasesFull
        case MDB_READERS_FULL: .readersFull
        case MDB_TLS_FULL: .tlsFull
        case MDB_TXN_FULL: .transactionFull
        case MDB_CURSOR_FULL: .cursorFull
        case MDB_PAGE_FULL: .pageFull
        case MDB_MAP_RESIZED: .mapResized
        case MDB_INCOMPATIBLE: .incompatible
        case MDB_BAD_RSLOT: .badReaderSlot
        case MDB_BAD_TXN: .badTransaction
        case MDB_BAD_VALSIZE: .badValueSize
        case MDB_BAD_DBI: .badDatabase
        default: .system(code)
        }
    }
}

/// The one place a C return code becomes Swift: 0 is success, anything else throws.
@inline(__always)
func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(LMDBError) {
    if code != 0 { throw LMDBError(code: code, operation: operation()) }
}
