internal import CLMDB
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// How to open an ``Environment``.
public struct EnvironmentOptions: Sendable {
    /// Initial map size in bytes. It grows by doubling when a write reports `MAP_FULL`.
    public var mapSize: Int = 1 << 30
    /// Upper bound for map growth; a write that needs more fails with `.mapFull`.
    public var maxMapSize: Int = 1 << 40
    public var maxDatabases: UInt32 = 32
    public var maxReaders: UInt32 = 512
    public var readOnly: Bool = false
    /// Sync on commit stays on unless a benchmark or scratch build says otherwise.
    /// An acknowledgement means durable, so the server never turns this off.
    public var durable: Bool = true

    public init() {}
}

/// The directories this process has an environment open on, by device and inode (so two
/// spellings of one path are one directory).
enum OpenEnvironments {
    struct Identity: Hashable { let device: UInt64, inode: UInt64 }

    private static let lock = Mutex()
    nonisolated(unsafe) private static var open: Set<Identity> = []

    static func identity(of path: String) -> Identity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }  // mdb_env_open reports the error
        return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// `false` when the directory is already open.
    static func claim(_ id: Identity) -> Bool { lock.locked { open.insert(id).inserted } }
    static func release(_ id: Identity) { lock.locked { _ = open.remove(id) } }
}

/// A pthread mutex (the LMDB target imports nothing but the C library and CLMDB).
final class Mutex: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    init() { pthread_mutex_init(mutex, nil) }
    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }
    func locked<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// Memory-map facts from `mdb_env_info`.
public struct EnvironmentInfo: Sendable {
    public let mapSize: Int
    public let lastPage: Int
    public let lastTransaction: Int
    public let readers: Int
    public let maxReaders: Int
    public let pageSize: Int
}

/// An open LMDB environment (one directory holding `data.mdb` and `lock.mdb`).
///
/// Read transactions may run on any thread and concurrently (`MDB_NOTLS`); write
/// transactions are serialized by LMDB itself. The map is resized only while no transaction of
/// this process is open, which the ``gate`` guarantees.
public final class Environment: @unchecked Sendable {
    private let raw: OpaquePointer
    private var isOpen = true
    /// The directory's device and inode while this environment holds it.
    private let identity: OpenEnvironments.Identity?
    public let path: String
    public let options: EnvironmentOptions
    private let gate = ResizeGate()

    /// Opens (creating the directory's files if needed) and clears stale reader slots left by
    /// dead processes.
    ///
    /// A second environment on a directory this process already has open is refused with
    /// ``LMDBError/Kind/alreadyOpen``: pass the open one instead.
    public init(path: String, options: EnvironmentOptions = EnvironmentOptions()) throws(LMDBError) {
        let identity = OpenEnvironments.identity(of: path)
        if let identity, !OpenEnvironments.claim(identity) { throw .alreadyOpen(path) }
        do {
            try DataFileCheck.check(directory: path)
            raw = try Self.open(path: path, options: options)
        } catch {
            if let identity { OpenEnvironments.release(identity) }
            throw error
        }
        self.identity = identity
        self.path = path
        self.options = options
        _ = try? readerCheck()
    }

    private static func open(path: String, options: EnvironmentOptions) throws(LMDBError) -> OpaquePointer {
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "env_create")
        guard let env else { throw LMDBError(code: EINVAL, operation: "env_create") }
        var flags = UInt32(MDB_NOTLS | MDB_NORDAHEAD)
        if options.readOnly { flags |= UInt32(MDB_RDONLY) }
        if !options.durable { flags |= UInt32(MDB_NOSYNC) }
        do {
            try check(mdb_env_set_maxdbs(env, options.maxDatabases), "set_maxdbs")
            try check(mdb_env_set_maxreaders(env, options.maxReaders), "set_maxreaders")
            try check(mdb_env_set_mapsize(env, options.mapSize), "set_mapsize")
            try check(mdb_env_open(env, path, flags, 0o644), "env_open(\(path))")
        } catch {
            mdb_env_close(env)
            throw error
        }
        return env
    }

    deinit { close() }

    /// The live handle; throws once ``close()`` ran. Callers hold the gate.
    var handle: OpaquePointer {
        get throws(LMDBError) {
            guard isOpen else { throw LMDBError(code: EINVAL, operation: "use of a closed environment (\(path))") }
            return raw
        }
    }

    /// Closes the environment once every transaction of this process has ended. LMDB must not
    /// have one environment open twice in a process, so a store hands its directory over to
    /// replay only after this.
    public func close() {
        gate.exclusive {
            if isOpen {
                mdb_env_close(raw)
                if let identity { OpenEnvironments.release(identity) }
            }
            isOpen = false
        }
    }

    /// Opens or creates a named database. Call once per name at start-up and keep the handle.
    public func openDatabase(_ name: String?, flags: DatabaseFlags = []) throws -> Database {
        var dbFlags = flags.rawValue
        if options.readOnly {
            dbFlags &= ~UInt32(MDB_CREATE)
            // A handle opened in a transaction that aborts is closed again, so even the
            // read-only transaction that opens it must commit.
            return try gate.shared { () throws -> Database in
                let txn = try ReadTransaction(environment: self)
                defer { txn.end() }
                let db = try txn.open(name, flags: dbFlags)
                try txn.commitAndEnd()
                return db
            }
        }
        dbFlags |= UInt32(MDB_CREATE)
        return try write { txn in try txn.open(name, flags: dbFlags) }
    }

    /// Runs `body` in a read-only snapshot. Bytes seen inside must be copied out before it returns.
    public func read<R>(_ body: (ReadTransaction) throws -> R) throws -> R {
        while true {
            do {
                return try gate.shared { () throws -> R in
                    let txn = try ReadTransaction(environment: self)
                    defer { txn.end() }
                    return try body(txn)
                }
            } catch let error as LMDBError where error.kind == .mapResized {
                // Another process grew the map: adopt its size and retry.
                try gate.exclusive { () throws(LMDBError) in try check(mdb_env_set_mapsize(try handle, 0), "adopt map size") }
            }
        }
    }

    /// Runs `body` in a write transaction and commits it if `body` returns.
    ///
    /// When the map is full the transaction is aborted, the map doubled and `body` run again
    /// from the start, so `body` must derive everything it writes from the transaction itself.
    public func write<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
        while true {
            do {
                return try gate.shared { () throws -> R in
                    let txn = try WriteTransaction(environment: self)
                    defer { txn.end() }
                    let result = try body(txn)
                    try txn.commitAndEnd()
                    return result
                }
            } catch let error as LMDBError where error.kind == .mapFull || error.kind == .mapResized {
                try grow(after: error)
            }
        }
    }

    private func grow(after error: LMDBError) throws(LMDBError) {
        try gate.exclusive { () throws(LMDBError) in
            if error.kind == .mapResized {
                try check(mdb_env_set_mapsize(try handle, 0), "adopt map size")
                return
            }
            var raw = MDB_envinfo()
            mdb_env_info(try handle, &raw)
            let current = raw.me_mapsize
            guard current < options.maxMapSize else { throw error }
            try check(mdb_env_set_mapsize(try handle, min(current * 2, options.maxMapSize)), "grow map")
        }
    }

    /// Clears reader slots of processes that died holding a read transaction; returns how many.
    @discardableResult
    public func readerCheck() throws(LMDBError) -> Int {
        var dead: Int32 = 0
        try gate.shared { () throws(LMDBError) in try check(mdb_reader_check(try handle, &dead), "reader_check") }
        return Int(dead)
    }

    /// The longest key LMDB accepts (511 bytes in Debian's build); longer is `MDB_BAD_VALSIZE`.
    public var maxKeySize: Int {
        gate.shared { (try? handle).map { Int(mdb_env_get_maxkeysize($0)) } ?? 0 }
    }

    /// Map facts; zeros once closed.
    public func info() -> EnvironmentInfo {
        var raw = MDB_envinfo()
        var stat = MDB_stat()
        gate.shared {
            guard let env = try? handle else { return }
            mdb_env_info(env, &raw)
            mdb_env_stat(env, &stat)
        }
        return EnvironmentInfo(
            mapSize: raw.me_mapsize,
            lastPage: raw.me_last_pgno,
            lastTransaction: raw.me_last_txnid,
            readers: Int(raw.me_numreaders),
            maxReaders: Int(raw.me_maxreaders),
            pageSize: Int(stat.ms_psize)
        )
    }

    /// Forces buffered writes to disk (only meaningful when opened with `durable: false`).
    public func sync() throws(LMDBError) {
        try gate.shared { () throws(LMDBError) in try check(mdb_env_sync(try handle, 1), "env_sync") }
    }

    /// A consistent hot copy into `directory` (which must exist and be empty); safe while writers run.
    public func copy(to directory: String, compact: Bool = true) throws(LMDBError) {
        try gate.shared { () throws(LMDBError) in
            try check(mdb_env_copy2(try handle, directory, compact ? UInt32(MDB_CP_COMPACT) : 0), "env_copy(\(directory))")
        }
    }
}

/// Lets many transactions run at once but none during a map resize.
private final class ResizeGate: @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    init() { pthread_rwlock_init(lock, nil) }
    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func shared<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    func exclusive<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}
