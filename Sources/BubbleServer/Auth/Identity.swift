internal import Foundation
internal import Hummingbird
internal import HummingbirdCore
internal import HTTPTypes
public import TimerDomain

/// Who is on the other end of a request or socket, established once at the edge.
public struct Identity: Sendable {
    public var actor: Actor
    public var dialect: Dialect
    /// Seed dialect resume point (`?since=`).
    public var since: UInt64?
    /// The device's IANA zone (`?tz=` on the socket), remembered for its local times.
    public var timeZone: String?
    /// Unix seconds from which the token is refused (its `exp` plus the leeway).
    public var expiresAt: Double?
    /// The client's address: the TCP peer, or behind a trusted proxy its `X-Forwarded-For`.
    public var clientAddress: String = "unknown"
    /// Whether the TCP peer is a trusted proxy (per-address caps then apply here, by
    /// `clientAddress`, rather than at accept).
    public var viaProxy = false
    /// The sign-in session, for tokens the server signed itself.
    public var session: String?
}

/// Where a request carries its token and device: `Authorization: Bearer <jwt>`, a raw
/// `Authorization: <jwt>` (the Android app's socket), or `?token=` (seed 001); `DeviceId`
/// header or `?deviceId=`.
enum Credentials {
    static let deviceIDHeader = HTTPField.Name("DeviceId")!

    /// The bearer token; `?token=` only on the WebSocket upgrade (browsers cannot set headers
    /// there), never on REST, where a URL ends up in proxies' and servers' logs.
    static func token(_ headers: HTTPFields, _ uri: URI, socket: Bool) -> String? {
        if let header = headers[.authorization]?.trimmingCharacters(in: .whitespaces), !header.isEmpty {
            if header.lowercased().hasPrefix("bearer ") { return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            return header
        }
        return socket ? uri.queryParameters["token"].map(String.init) : nil
    }

    static func deviceID(_ headers: HTTPFields, _ uri: URI) -> String? {
        (headers[deviceIDHeader] ?? uri.queryParameters["deviceId"].map(String.init)).flatMap { $0.isEmpty ? nil : $0 }
    }
}
