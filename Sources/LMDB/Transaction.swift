internal import CLMDB

/// A read-only snapshot; ``WriteTransaction`` extends it.
///
/// ``Environment/read(_:)`` and ``Environment/write(_:)`` own the transaction's lifetime: it
/// ends when their closure returns, and any later use throws `.badTransaction` instead of
/// touching freed memory. Values are lent to closures as `UnsafeRawBufferPointer`s into the
/// memory map, valid only inside the closure: decode or copy them there.
public class ReadTransaction {
    private var raw: OpaquePointer?

    init(environment: Environment, flags: UInt32) throws(LMDBError) {
        var txn: OpaquePointer?
        try check(mdb_txn_begin(try environment.handle, nil, flags, &txn), flags == 0 ? "begin write" : "begin read")
        raw = txn
    }

    convenience init(environment: Environment) throws(LMDBError) {
        try self.init(environment: environment, flags: UInt32(MDB_RDONLY))
    }

    deinit { end() }

    /// The live handle; throws once the transaction has ended.
    var handle: OpaquePointer {
        get throws(LMDBError) {
            guard let raw else { throw LMDBError(code: MDB_BAD_TXN, operation: "use of a finished transaction") }
            return raw
        }
    }

    func end() {
        if let raw { mdb_txn_abort(raw) }
        raw = nil
    }

    func commitAndEnd() throws(LMDBError) {
        let txn = try handle
        raw = nil
        try check(mdb_txn_commit(txn), "commit")
    }

    func open(_ name: String?, flags: UInt32) throws(LMDBError) -> Database {
        var dbi: MDB_dbi = 0
        try check(mdb_dbi_open(try handle, name, flags, &dbi), "dbi_open(\(name ?? "main"))")
        return Database(dbi: dbi, name: name)
    }
}

/// A write transaction. ``Environment/write(_:)`` commits it when its closure returns and
/// aborts it when the closure throws.
public final class WriteTransaction: ReadTransaction {
    convenience init(environment: Environment) throws(LMDBError) {
        try self.init(environment: environment, flags: 0)
    }

    /// Stores `value` under `key`.
    public func put(_ db: Database, key: [UInt8], value: [UInt8], flags: PutFlags = []) throws(LMDBError) {
        let txn = try handle
        try withValues(key, value) { (k, v) throws(LMDBError) in
            try check(mdb_put(txn, db.dbi, &k, &v, flags.rawValue), "put(\(db.name ?? "main"))")
        }
    }

    /// Stores bytes the caller already holds, without copying them into arrays first (the
    /// log's hot path).
    public func put(_ db: Database, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, flags: PutFlags = []) throws(LMDBError) {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try check(mdb_put(try handle, db.dbi, &k, &v, flags.rawValue), "put(\(db.name ?? "main"))")
    }

    /// Removes `key` (every value of it in duplicate-sorted databases). Returns whether it existed.
    @discardableResult
    public func delete(_ db: Database, key: [UInt8]) throws(LMDBError) -> Bool {
        let txn = try handle
        return try withValue(key) { (k) throws(LMDBError) -> Bool in
            let rc = mdb_del(txn, db.dbi, &k, nil)
            if rc == MDB_NOTFOUND { return false }
            try check(rc, "del(\(db.name ?? "main"))")
            return true
        }
    }

    /// Removes one `(key, value)` pair of a duplicate-sorted database. Returns whether it existed.
    @discardableResult
    public func delete(_ db: Database, key: [UInt8], value: [UInt8]) throws(LMDBError) -> Bool {
        let txn = try handle
        return try withValues(key, value) { (k, v) throws(LMDBError) -> Bool in
            let rc = mdb_del(txn, db.dbi, &k, &v)
            if rc == MDB_NOTFOUND { return false }
            try check(rc, "del(\(db.name ?? "main"))")
            return true
        }
    }

    /// Empties a database, keeping it open.
    public func clear(_ db: Database) throws(LMDBError) {
        try check(mdb_drop(try handle, db.dbi, 0), "drop(\(db.name ?? "main"))")
    }
}

extension ReadTransaction {
    /// Lends the value stored under `key` to `body`; `nil` when the key is absent.
    public func get<R>(_ db: Database, key: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        var v = MDB_val()
        let txn = try handle
        let rc = withValue(key) { k in mdb_get(txn, db.dbi, &k, &v) }
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "get(\(db.name ?? "main"))")
        return try body(UnsafeRawBufferPointer(v))
    }

    /// A copy of the value stored under `key`.
    public func bytes(_ db: Database, key: [UInt8]) throws -> [UInt8]? {
        try get(db, key: key) { Array($0) }
    }

    public func statistics(_ db: Database) throws(LMDBError) -> DatabaseStatistics {
        var stat = MDB_stat()
        try check(mdb_stat(try handle, db.dbi, &stat), "stat(\(db.name ?? "main"))")
        return DatabaseStatistics(
            entries: stat.ms_entries,
            depth: Int(stat.ms_depth),
            pages: stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages
        )
    }

    /// Visits pairs in key order starting at the first key ≥ `start` (or, with `reverse`, the
    /// last key ≤ `start`), until `body` returns `false` or the database ends.
    public func scan(
        _ db: Database,
        from start: [UInt8]? = nil,
        reverse: Bool = false,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try withCursor(db) { cursor in
            var k = MDB_val(), v = MDB_val()
            var rc: Int32
            if let start {
                rc = withValue(start) { s in
                    k = s
                    return mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE)
                }
                if reverse {
                    if rc == MDB_NOTFOUND {
                        rc = mdb_cursor_get(cursor, &k, &v, MDB_LAST)
                    } else if rc == 0, compare(UnsafeRawBufferPointer(k), start) > 0 {
                        rc = mdb_cursor_get(cursor, &k, &v, MDB_PREV)
                    }
                }
            } else {
                rc = mdb_cursor_get(cursor, &k, &v, reverse ? MDB_LAST : MDB_FIRST)
            }
            let step = reverse ? MDB_PREV : MDB_NEXT
            while rc == 0 {
                guard try body(UnsafeRawBufferPointer(k), UnsafeRawBufferPointer(v)) else { return }
                rc = mdb_cursor_get(cursor, &k, &v, step)
            }
            if rc != MDB_NOTFOUND { try check(rc, "cursor(\(db.name ?? "main"))") }
        }
    }

    /// Visits the values of one key of a duplicate-sorted database in order, starting at the
    /// first value ≥ `from`, until `body` returns `false`.
    public func scanDuplicates(
        _ db: Database,
        key: [UInt8],
        from: [UInt8]? = nil,
        _ body: (_ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try withCursor(db) { cursor in
            var v = MDB_val()
            var rc: Int32 = withValue(key) { k in
                if let from {
                    return withValue(from) { f in
                        v = f
                        return mdb_cursor_get(cursor, &k, &v, MDB_GET_BOTH_RANGE)
                    }
                }
                return mdb_cursor_get(cursor, &k, &v, MDB_SET_KEY)
            }
            var k = MDB_val()
            while rc == 0 {
                guard try body(UnsafeRawBufferPointer(v)) else { return }
                rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT_DUP)
            }
            if rc != MDB_NOTFOUND { try check(rc, "cursor(\(db.name ?? "main"))") }
        }
    }

    /// Number of values stored under `key` in a duplicate-sorted database.
    public func duplicateCount(_ db: Database, key: [UInt8]) throws -> Int {
        try withCursor(db) { cursor in
            var v = MDB_val()
            let rc: Int32 = withValue(key) { k in mdb_cursor_get(cursor, &k, &v, MDB_SET_KEY) }
            if rc == MDB_NOTFOUND { return 0 }
            try check(rc, "cursor(\(db.name ?? "main"))")
            var count: Int = 0
            try check(mdb_cursor_count(cursor, &count), "cursor_count")
            return count
        }
    }

    /// The last pair of a database, lent to `body`; `nil` when it is empty.
    public func last<R>(_ db: Database, _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> R) throws -> R? {
        var result: R?
        try scan(db, reverse: true) { k, v in
            result = try body(k, v)
            return false
        }
        return result
    }

    private func withCursor<R>(_ db: Database, _ body: (OpaquePointer) throws -> R) throws -> R {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(try handle, db.dbi, &cursor), "cursor_open(\(db.name ?? "main"))")
        defer { mdb_cursor_close(cursor) }
        return try body(cursor!)
    }
}

// MARK: - The only pointer <-> bytes helpers

extension UnsafeRawBufferPointer {
    init(_ val: MDB_val) {
        self.init(start: val.mv_data, count: val.mv_size)
    }
}

@inline(__always)
private func withValue<R, E: Error>(_ bytes: [UInt8], _ body: (inout MDB_val) throws(E) -> R) throws(E) -> R {
    var result: Result<R, E>!
    bytes.withUnsafeBytes { raw in
        var val = MDB_val(mv_size: raw.count, mv_data: UnsafeMutableRawPointer(mutating: raw.baseAddress))
        do throws(E) { result = .success(try body(&val)) } catch { result = .failure(error) }
    }
    return try result.get()
}

@inline(__always)
private func withValues<R, E: Error>(_ a: [UInt8], _ b: [UInt8], _ body: (inout MDB_val, inout MDB_val) throws(E) -> R) throws(E) -> R {
    try withValue(a) { (x) throws(E) -> R in
        try withValue(b) { (y) throws(E) -> R in try body(&x, &y) }
    }
}

private func compare(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Int {
    let n = min(a.count, b.count)
    for i in 0..<n where a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
    return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
}
