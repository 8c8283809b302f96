internal import Foundation
public import TimerDomain
public import BubbleCore

/// Everything the server can be told; docs/configuration.md lists each setting with its
/// flag and environment variable.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDirectory = "./data"
    public var auth = AuthConfiguration()
    public var limits = Limits()
    /// Largest WebSocket frame or REST body, bytes (oversize: close 1009 / 413).
    public var maxFrameBytes = 64 * 1024
    /// Messages a connection may send per second (sustained) and in a burst.
    public var messagesPerSecond = 20.0
    public var messageBurst = 60.0
    public var maxConnectionsPerUser = 20
    /// Superseded Android sockets kept open per device before the oldest is closed.
    public var maxSupersededPerDevice = 4
    /// Seconds a superseded Android socket is kept open before it is closed.
    public var supersededLinger = 1800.0
    /// Bytes queued unsent for one connection before it is closed as a slow consumer (1013).
    public var outboundQueueBytes = 1 << 20
    /// What the deprecated frame-count setting (`--outbound-queue`) means in bytes.
    public static let bytesPerQueuedFrame = 1024
    /// Seconds between server pings; a socket that stops answering is closed.
    public var pingInterval = 30.0
    /// How far back (in events) `?since=` may resume; older gets a snapshot marked `resumed: false`.
    public var resumeWindow: UInt64 = 100_000
    /// Seconds after an Android ping at which an extra, unsolicited pong is sent (0: never);
    /// keeps the app on one connection (docs/protocol.md, "Keep-alive").
    public var androidExtraPongDelay = 11.0
    /// Browser origins allowed to call the REST API (CORS); `*` for any. Empty: no CORS headers.
    public var corsOrigins: [String] = []
    /// Open TCP connections in all, and from one client address; over either, a new
    /// connection is closed as soon as it is accepted. Keep the total below the process's
    /// file limit (`ulimit -n`), which the server checks at start.
    public var maxConnections = 10_000
    public var maxConnectionsPerAddress = 256
    /// Seconds a new connection has to send its first complete request head.
    public var headerTimeout = 30.0
    /// Seconds an HTTP keep-alive connection may sit idle between requests.
    public var idleTimeout = 60.0
    /// Peers (IP addresses) whose `X-Forwarded-For` names the client: a reverse proxy's.
    public var trustedProxies: [String] = []
    /// Log records checked (checksums, hash chain) before the server appends after them;
    /// the whole log is then checked in the background.
    public var startupCheckRecords: UInt64 = 10_000
    /// Free space on the data directory's disk below which `/health` says `degraded`.
    public var minFreeDiskBytes = 512 * 1_048_576
    /// IANA zone for local ends from users and devices that named none (the Android app
    /// sends none): `--time-zone`, by default the machine's.
    public var timeZone = ZoneRules.machineZone
    /// Whether this server completes timers and fires reminders (`--no-scheduler` turns it off).
    public var scheduler = true
    /// `postgres://…` (`--postgres-url`): this server is a cluster node whose log of record is
    /// that database's, its data directory a replica (docs/operations.md, "A cluster").
    public var postgresURL: String?
    public var push = PushConfiguration()
    public var signIn = SignInConfiguration()
    /// Anonymous sockets one public link may have open at once.
    public var maxViewersPerLink = 100
    public var backup = BackupConfiguration()
    /// PEM files: with both set, the port speaks HTTPS and WSS only (`--tls-cert`, `--tls-key`).
    public var tlsCertificate: String?
    public var tlsKey: String?
    public var usesTLS: Bool { tlsCertificate != nil && tlsKey != nil }
    /// How clients reach this server (`--public-url`), for the links it hands out (avatars);
    /// `nil`: its own address.
    public var publicURL: String?

    /// `publicURL`, else `http://host:port`.
    public var publicBaseURL: String {
        if let publicURL { return publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL }
        return "\(usesTLS ? "https" : "http")://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(port)"
    }
    public var version = "0.1.0"

    public init() {}
}

/// Email sign-in: who may sign up, how codes are mailed, how long tokens live.
public struct SignInConfiguration: Sendable {
    public var signup = SignupPolicy.open
    /// Addresses (`alice@example.org`) and domains (`example.org` or `@example.org`) that may
    /// sign up under `invite`.
    public var allow: [String] = []
    /// A sendmail-compatible command the code mail is piped to (`msmtp -t`, `sendmail -t -i`),
    /// run by `/bin/sh -c`; `nil`: the code is written to the server log (dev delivery).
    public var mailCommand: String?
    public var mailFrom = "Bubble Timer <bubble-timer@localhost>"
    /// Seconds an access token lives.
    public var accessTokenLifetime = 900.0
    /// Seconds a refresh token lives unused (each use starts it again).
    public var sessionLifetime = 30 * 86_400.0
    /// Seconds a code works.
    public var codeLifetime = 600.0

    public init() {}
}

/// Who may sign in with an email the server has not seen.
public enum SignupPolicy: String, Sendable, CaseIterable {
    /// Anyone who can read mail at the address.
    case open
    /// Only addresses or domains on the allow-list.
    case invite
    /// Nobody new; existing users still sign in.
    case closed

    /// Whether `email` (normalized) may become a new user.
    public func admits(_ email: String, allow: [String]) -> Bool {
        switch self {
        case .open: return true
        case .closed: return false
        case .invite:
            let domain = email.split(separator: "@").last.map(String.init) ?? ""
            return allow.contains { entry in
                let entry = entry.trimmingCharacters(in: .whitespaces).lowercased()
                if entry.contains("@"), !entry.hasPrefix("@") { return entry == email }
                return (entry.hasPrefix("@") ? String(entry.dropFirst()) : entry) == domain
            }
        }
    }
}

/// Where pushes go. A provider without its settings is not used: its devices' pushes are
/// abandoned (dead-lettered) with that reason.
public struct PushConfiguration: Sendable {
    /// Whether this server sends the outbox (`--no-push`: a node that only relays).
    public var enabled = true
    /// The Firebase service account JSON (its contents, read from `--fcm-service-account`).
    public var fcmServiceAccount: String?
    public var fcmURL = "https://fcm.googleapis.com"
    public var expoURL = "https://exp.host"
    public var expoAccessToken: String?
    /// The one URL pushes of `webhook` devices are POSTed to.
    public var webhookURL: String?
    /// HMAC-SHA256 key for the webhook's `X-Bubble-Signature`.
    public var webhookSecret: String?
    /// Pushes in flight at once.
    public var concurrency = 16
    /// Seconds before the first retry; doubled after each failure, at most `retryMax`.
    public var retryBase = 2.0
    public var retryMax = 3600.0

    public init() {}
}
