public import EventLog
public import BubbleCore
public import Logging
internal import NIOCore
internal import PostgresNIO

/// The log of record of a cluster in PostgreSQL: the same records as the LMDB log (their bytes:
/// seq, stream back-pointer, time, actor, command id, audience, event, CRC and chain link), one
/// row each, plus one head row and a row per stream.
///
/// Appends are serialized by the head row (`SELECT … FOR UPDATE` in the appending
/// transaction), so seqs are assigned in commit order and a reader never sees a gap; a batch
/// of any size pays that once.
public final class PostgresLog: Sendable {
    /// One record as stored: the columns, and the record's bytes as LMDB holds them.
    public typealias Row = SharedRecord

    /// Most records a locked append reads and hands to its decision; more, and the node
    /// catches up first (``SharedLogAhead``).
    static let lockedCatchUpLimit: UInt64 = 10_000

    /// Woken with the new head's seq on every append (LISTEN/NOTIFY).
    public static let channel = "bubble_log"

    /// The connection, opened again when PostgreSQL dropped it (a restart, a failover): only
    /// touched inside `serial`, which also keeps it to one transaction or query at a time.
    private let current: Current
    let serial = AsyncMutex()
    let logger: Logger
    public let url: PostgresURL

    private final class Current: @unchecked Sendable {
        var connection: PostgresConnection
        init(_ connection: PostgresConnection) { self.connection = connection }
    }

    private init(connection: PostgresConnection, url: PostgresURL, logger: Logger) {
        current = Current(connection)
        self.url = url
        self.logger = logger
    }

    /// Connects and creates the tables when they are missing.
    public static func connect(_ url: PostgresURL, logger: Logger) async throws -> PostgresLog {
        let connection = try await open(url, logger: logger)
        let log = PostgresLog(connection: connection, url: url, logger: logger)
        try await log.migrate(connection)
        return log
    }

    public func close() async { try? await current.connection.close() }

    deinit { Self.closeWhenDropped(current.connection) }

    /// Runs `body` alone on the connection, reconnecting first if it was lost. (A transaction
    /// cut off midway fails with it; the caller was told nothing was acknowledged.)
    func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await serial.run {
            if current.connection.isClosed {
                let connection = try await Self.open(url, logger: logger)
                try await connection.query("SET synchronous_commit = on", logger: logger)
                current.connection = connection
                logger.notice("reconnected to the shared log", metadata: ["url": "\(url)"])
            }
            return try await body(current.connection)
        }
    }

    /// A connection dropped without `close()` (an error on the way out) is closed anyway; the
    /// closure keeps it alive until then (PostgresNIO requires a connection closed before it goes).
    static func closeWhenDropped(_ connection: PostgresConnection) {
        guard !connection.isClosed else { return }
        connection.close().whenComplete { _ in _ = connection }
    }

    static func open(_ url: PostgresURL, logger: Logger) async throws -> PostgresConnection {
        let configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database, tls: .disable
        )
        do {
            return try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch let error as PSQLError {
            // PSQLError prints a placeholder by design; the connection's own cause says what to fix.
            throw ClusterLogError.unreachable("\(url): \(error.underlying.map { "\($0)" } ?? error.serverInfo.map { "\($0)" } ?? "\(error.code)")")
        }
    }

    func migrate(_ connection: PostgresConnection) async throws {
        // Acknowledged means committed to PostgreSQL's WAL: never weaker for this session.
        try await connection.query("SET synchronous_commit = on", logger: logger)
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS bubble_log_head (
              id smallint PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL, ts bigint NOT NULL, chain bytea NOT NULL)
            """, logger: logger)
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS bubble_events (
              seq bigint PRIMARY KEY, stream text NOT NULL, previous_in_stream bigint NOT NULL, ts bigint NOT NULL, record bytea NOT NULL)
            """, logger: logger)
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS bubble_streams (stream text PRIMARY KEY, last_seq bigint NOT NULL, count bigint NOT NULL)
            """, logger: logger)
        // Each user's data key, as `user_keys` is beside an LMDB log: not part of the log, and
        // deleted (in the transaction of their `user_erased`) to make their sealed fields
        // unreadable everywhere. `seq`: the first record that needs it, so a replica takes it
        // with that record.
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS bubble_user_keys (user_id text PRIMARY KEY, key bytea NOT NULL, seq bigint NOT NULL)
            """, logger: logger)
        // What every node must hold alike besides the log: the signing keys, the account key,
        // the admin token (files in a single server's data directory). The first node's win.
        try await connection.query("CREATE TABLE IF NOT EXISTS bubble_secrets (name text PRIMARY KEY, value bytea NOT NULL)", logger: logger)
        let genesis = ByteBuffer(bytes: ChainHash.genesis.bytes)
        try await connection.query("INSERT INTO bubble_log_head VALUES (1, 0, 0, \(genesis)) ON CONFLICT (id) DO NOTHING", logger: logger)
    }

    /// The end of the log as committed.
    public func head() async throws -> LogHead {
        try await withConnection { try await Self.head($0, lock: false, logger: logger) }
    }

    private static func head(_ c: PostgresConnection, lock: Bool, logger: Logger) async throws -> LogHead {
        let rows = try await c.query(lock ? "SELECT seq, ts, chain FROM bubble_log_head WHERE id = 1 FOR UPDATE" : "SELECT seq, ts, chain FROM bubble_log_head WHERE id = 1", logger: logger)
        for try await (seq, ts, chain) in rows.decode((Int64, Int64, ByteBuffer).self) {
            let bytes = Array(chain.readableBytesView)
            guard let link = bytes.withUnsafeBytes({ ChainHash($0) }) else { throw ClusterLogError.corrupt(seq: UInt64(seq), reason: "the head's chain link is \(bytes.count) bytes") }
            return LogHead(seq: UInt64(seq), timestamp: ts, chain: link)
        }
        throw ClusterLogError.corrupt(seq: 0, reason: "the head row is missing")
    }

    /// Appends rows made elsewhere (`cluster import`, the benchmarks) in one transaction:
    /// `encode` gets the locked head and returns the rows numbered after it (anything else
    /// writes nothing: ``ClusterLogError/corrupt``). Returns the new head. `keys`: data keys the
    /// rows need (stored with the first one's seq); `erase`: users whose keys go with them.
    public func append(
        keys: [String: [UInt8]] = [:], erase: [String] = [],
        _ encode: @Sendable (LogHead) throws -> [Row]
    ) async throws -> LogHead {
        let logger = self.logger
        do {
            return try await withConnection { connection in try await connection.withTransaction(logger: logger) { c in
                let head = try await Self.head(c, lock: true, logger: logger)
                let rows = try encode(head)
                guard let last = rows.last else { return head }
                try await Self.insert(rows, after: head, c, logger: logger)
                try await Self.finish(last: last, keys: keys, firstSeq: rows[0].seq, erase: erase, c, logger: logger)
                return LogHead(seq: last.seq, timestamp: last.timestamp, chain: Array(last.bytes[5..<37]).withUnsafeBytes { ChainHash($0)! })
            } }
        } catch let error as PostgresTransactionError {
            if let inner = error.closureError as? ClusterLogError { throw inner }
            throw error
        }
    }

    /// A node's commit (``SharedLog``): the head row locked first, then the records after
    /// `seq` (the node's replica head) read inside that lock and handed to `decide`, whose
    /// records are appended after them; one transaction. Nodes queue on the head row, so a
    /// decision never goes stale and nothing is decided twice — the lock is held for the
    /// round trips plus a decision on local views (microseconds), which is also what the
    /// per-stream optimistic check cost under contention (a decision and a rejected append
    /// per lost race), minus the retries and the starvation measured with it.
    public func append(after seq: UInt64, _ decide: (SharedBatch) throws -> SharedBatch?) async throws -> SharedBatch {
        let logger = self.logger
        do {
            return try await withConnection { connection in try await connection.withTransaction(logger: logger) { c in
                let head = try await Self.head(c, lock: true, logger: logger)
                guard head.seq >= seq else {
                    throw ClusterLogError.diverged("this replica is at seq \(seq), past PostgreSQL's head \(head.seq): was PostgreSQL restored from an older backup?")
                }
                // Far behind (a node back from an outage): catch up first, without the lock.
                guard head.seq - seq <= Self.lockedCatchUpLimit else { throw SharedLogAhead(records: head.seq - seq) }
                var foreign = SharedBatch()
                if head.seq > seq {
                    foreign.records = try await Self.rows(c, after: seq, limit: Int(head.seq - seq), logger: logger)
                    foreign.keys = try await Self.keys(c, after: seq, through: head.seq, logger: logger)
                }
                guard let mine = try decide(foreign), let last = mine.records.last else { return foreign }
                try await Self.insert(mine.records, after: head, c, logger: logger)
                try await Self.finish(last: last, keys: mine.keys, firstSeq: mine.records[0].seq, erase: mine.erased, c, logger: logger)
                return foreign
            } }
        } catch let error as PostgresTransactionError {
            // The decision's own errors (a command failing in storage) reach the caller as they are.
            if let inner = error.closureError { throw inner }
            throw error
        }
    }

    /// The rest of an append after its rows: keys made and erased, the head, the wake-up.
    private static func finish(last: Row, keys: [String: [UInt8]], firstSeq: UInt64, erase: [String], _ c: PostgresConnection, logger: Logger) async throws {
        if !keys.isEmpty {
            let users = Array(keys.keys), bytes = users.map { ByteBuffer(bytes: keys[$0]!) }
            try await c.query("""
                INSERT INTO bubble_user_keys (user_id, key, seq) SELECT u, k, \(Int64(firstSeq)) FROM unnest(\(users)::text[], \(bytes)::bytea[]) AS t(u, k)
                """, logger: logger)
        }
        if !erase.isEmpty {
            try await c.query("DELETE FROM bubble_user_keys WHERE user_id = ANY(\(erase))", logger: logger)
        }
        let chain = ByteBuffer(bytes: Array(last.bytes[5..<37]))
        try await c.query("UPDATE bubble_log_head SET seq = \(Int64(last.seq)), ts = \(last.timestamp), chain = \(chain) WHERE id = 1", logger: logger)
        try await c.query("SELECT pg_notify(\(Self.channel), \(String(last.seq)))", logger: logger)
    }

    private static func insert(_ rows: [Row], after head: LogHead, _ c: PostgresConnection, logger: Logger) async throws {
        var expected = head.seq
        var streams: [String: (last: Int64, added: Int64)] = [:]
        for row in rows {
            expected += 1
            guard row.seq == expected, row.bytes.count > 37 else {
                throw ClusterLogError.corrupt(seq: row.seq, reason: "rows must be numbered from \(head.seq + 1) without gaps")
            }
            streams[row.stream, default: (0, 0)].last = Int64(row.seq)
            streams[row.stream, default: (0, 0)].added += 1
        }
        let seqs = rows.map { Int64($0.seq) }, names = rows.map(\.stream), previous = rows.map { Int64($0.previousInStream) }
        let times = rows.map(\.timestamp), records = rows.map { ByteBuffer(bytes: $0.bytes) }
        try await c.query("""
            INSERT INTO bubble_events (seq, stream, previous_in_stream, ts, record)
            SELECT * FROM unnest(\(seqs)::bigint[], \(names)::text[], \(previous)::bigint[], \(times)::bigint[], \(records)::bytea[])
            """, logger: logger)
        let streamNames = Array(streams.keys)
        let lasts = streamNames.map { streams[$0]!.last }, added = streamNames.map { streams[$0]!.added }
        try await c.query("""
            INSERT INTO bubble_streams (stream, last_seq, count)
            SELECT * FROM unnest(\(streamNames)::text[], \(lasts)::bigint[], \(added)::bigint[])
            ON CONFLICT (stream) DO UPDATE SET last_seq = EXCLUDED.last_seq, count = bubble_streams.count + EXCLUDED.count
            """, logger: logger)
    }

    /// Records after `seq`, oldest first, at most `limit`.
    public func rows(after seq: UInt64, limit: Int) async throws -> [Row] {
        try await withConnection { try await Self.rows($0, after: seq, limit: limit, logger: logger) }
    }

    static func rows(_ connection: PostgresConnection, after seq: UInt64, limit: Int, logger: Logger) async throws -> [Row] {
        let result = try await connection.query(
            "SELECT seq, stream, previous_in_stream, ts, record FROM bubble_events WHERE seq > \(Int64(seq)) ORDER BY seq LIMIT \(limit)", logger: logger
        )
        var out: [Row] = []
        for try await (seq, stream, previous, ts, record) in result.decode((Int64, String, Int64, Int64, ByteBuffer).self) {
            out.append(Row(seq: UInt64(seq), stream: stream, previousInStream: UInt64(previous), timestamp: ts, bytes: Array(record.readableBytesView)))
        }
        return out
    }

    /// The keys that came with records after `seq` up to `last`.
    public func keys(after seq: UInt64, through last: UInt64) async throws -> [String: [UInt8]] {
        try await withConnection { try await Self.keys($0, after: seq, through: last, logger: logger) }
    }

    static func keys(_ connection: PostgresConnection, after seq: UInt64, through last: UInt64, logger: Logger) async throws -> [String: [UInt8]] {
        let result = try await connection.query(
            "SELECT user_id, key FROM bubble_user_keys WHERE seq > \(Int64(seq)) AND seq <= \(Int64(last))", logger: logger
        )
        var out: [String: [UInt8]] = [:]
        for try await (user, key) in result.decode((String, ByteBuffer).self) { out[user] = Array(key.readableBytesView) }
        return out
    }

    /// Offers this node's secrets; returns the cluster's — each one the first node to offer it
    /// stored, so every node ends with the same.
    public func shareSecrets(_ offered: [String: [UInt8]]) async throws -> [String: [UInt8]] {
        try await withConnection { connection in
            let names = Array(offered.keys), values = names.map { ByteBuffer(bytes: offered[$0]!) }
            try await connection.query("""
                INSERT INTO bubble_secrets (name, value) SELECT * FROM unnest(\(names)::text[], \(values)::bytea[]) ON CONFLICT (name) DO NOTHING
                """, logger: logger)
            var out: [String: [UInt8]] = [:]
            for try await (name, value) in try await connection.query("SELECT name, value FROM bubble_secrets", logger: logger).decode((String, ByteBuffer).self) {
                out[name] = Array(value.readableBytesView)
            }
            return out
        }
    }

    /// One statement outside the log, for the tests' faults (dropped sessions, a refusing database).
    func execute(_ sql: String) async throws {
        try await withConnection { connection in _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
    }

    /// The last seq and event count of each stream, as PostgreSQL keeps them.
    public func streamHeads() async throws -> [String: StreamHead] {
        try await withConnection { connection in
            let result = try await connection.query("SELECT stream, last_seq, count FROM bubble_streams", logger: logger)
            var out: [String: StreamHead] = [:]
            for try await (stream, last, count) in result.decode((String, Int64, Int64).self) {
                out[stream] = StreamHead(lastSeq: UInt64(last), count: UInt64(count))
            }
            return out
        }
    }
}
