internal import CLMDB

/// A handle on one named database inside an ``Environment``. Cheap to copy; valid for the
/// environment's lifetime.
public struct Database: Sendable, Hashable {
    let dbi: MDB_dbi
    /// The name it was opened with (`nil` for the unnamed main database).
    public let name: String?
}

/// How a named database stores keys and values.
public struct DatabaseFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Several sorted values per key.
    public static let duplicateSort = DatabaseFlags(rawValue: UInt32(MDB_DUPSORT))
    /// With ``duplicateSort``: all values of a key have the same size (enables packed pages).
    public static let duplicateFixed = DatabaseFlags(rawValue: UInt32(MDB_DUPFIXED))
    /// Create it if it does not exist (ignored in read-only environments).
    public static let create = DatabaseFlags(rawValue: UInt32(MDB_CREATE))
}

/// Flags for ``WriteTransaction/put(_:key:value:flags:)``.
public struct PutFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Fail with `.keyExists` instead of overwriting.
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// The key sorts after every existing key: skips the tree search (bulk loads, logs).
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
    /// Duplicate-sorted databases: the value sorts after the key's existing values.
    public static let appendDuplicate = PutFlags(rawValue: UInt32(MDB_APPENDDUP))
    /// Duplicate-sorted databases: fail with `.keyExists` if this exact pair exists.
    public static let noDuplicateData = PutFlags(rawValue: UInt32(MDB_NODUPDATA))
}

/// Entry count and depth of a database, from `mdb_stat`.
public struct DatabaseStatistics: Sendable {
    public let entries: Int
    public let depth: Int
    public let pages: Int
}
