public import Logging
internal import PostgresNIO

/// Who runs the duties that must happen once per cluster — the scheduler's completions and
/// reminders, the push outbox: the node holding a PostgreSQL session advisory lock. The lock
/// lives as long as the holder's connection, so when that node dies (its connection drops)
/// PostgreSQL releases it and the next node that asks takes over.
public final class Leadership: Sendable {
    /// The lock's key: one number per duty.
    public enum Duty: Int64, Sendable {
        case scheduler = 0x6275_6262_6c65_0001
        case outbox = 0x6275_6262_6c65_0002
    }

    let connection: PostgresConnection
    public let duty: Duty

    private init(connection: PostgresConnection, duty: Duty) {
        self.connection = connection
        self.duty = duty
    }

    /// The lease if no other node holds it now, else `nil` (ask again later).
    public static func tryLead(_ duty: Duty, at url: PostgresURL, logger: Logger) async throws -> Leadership? {
        let connection = try await PostgresLog.open(url, logger: logger)
        let rows = try await connection.query("SELECT pg_try_advisory_lock(\(duty.rawValue))", logger: logger)
        for try await won in rows.decode(Bool.self) where won {
            return Leadership(connection: connection, duty: duty)
        }
        try? await connection.close()
        return nil
    }

    /// Whether the lease still holds: false once the connection is gone.
    public var isHeld: Bool { !connection.isClosed }

    /// Asks PostgreSQL whether this session still holds the lock: a connection cut without a
    /// close (a network partition) is only noticed by using it.
    public func confirm(logger: Logger) async -> Bool {
        guard let rows = try? await connection.query(
            // A bigint key is kept as its high and low halves.
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() AND classid::bigint = \(duty.rawValue >> 32) AND objid::bigint = \(duty.rawValue & 0xFFFF_FFFF)", logger: logger
        ) else { return false }
        do {
            for try await held in rows.decode(Int64.self) { return held > 0 }
        } catch {}
        return false
    }

    /// Gives the duty up (closing the connection releases the lock).
    public func resign() async { try? await connection.close() }

    deinit { PostgresLog.closeWhenDropped(connection) }
}
