internal import Foundation

/// `postgres://user[:password]@host[:port]/database` (also `postgresql://`): where a cluster
/// node finds the shared log (`--postgres-url`, `BUBBLE_POSTGRES_URL`).
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String

    public init(parsing text: String) throws(ClusterLogError) {
        guard let url = URLComponents(string: text), url.scheme == "postgres" || url.scheme == "postgresql",
              let host = url.host, !host.isEmpty, let user = url.user, !user.isEmpty else {
            throw .badURL("expected postgres://user[:password]@host[:port]/database, got '\(Self.redacted(text))'")
        }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw .badURL("the URL names no database: '\(Self.redacted(text))'") }
        self.host = host
        self.port = url.port ?? 5432
        self.user = user
        self.password = url.password
        self.database = database
    }

    /// Without the password: for logs and errors.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "…"
        return url.string ?? "(unreadable URL)"
    }
}

/// What the shared log can refuse; each names what to do about it.
public enum ClusterLogError: Error, Equatable, CustomStringConvertible {
    case badURL(String)
    case unreachable(String)
    /// The log in PostgreSQL and this one part ways (an import onto another log, a replica
    /// ahead of a PostgreSQL restored from an older backup).
    case diverged(String)
    case corrupt(seq: UInt64, reason: String)

    public var description: String {
        switch self {
        case .badURL(let why): "bad PostgreSQL URL: \(why)"
        case .unreachable(let why): "cannot reach PostgreSQL at \(why)"
        case .diverged(let why): "the PostgreSQL log does not continue this one: \(why)"
        case .corrupt(let seq, let reason): "record \(seq) in PostgreSQL: \(reason)"
        }
    }
}
