internal import Foundation
internal import Logging
internal import CoreMetrics
internal import Hummingbird
internal import TimerDomain
internal import BubbleCore

/// Authenticates every REST call (except the routes registered outside it) and records the
/// caller. A missing, expired or bad token is a 401 with a JSON body.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = BubbleRequestContext
    let server: ServerState
    /// The WebSocket handshake: a refusal is recorded for ``HandshakeRefusalHandler``.
    var socket = false

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let identity: Identity
        do { identity = try await authenticate(request, context: context, server: server, socket: socket) } catch {
            if socket { server.handshakeRefusals.record(error, channel: context.channelID) }
            throw error
        }
        guard server.allowREST(identity.actor.userID) else { throw ServerError.rateLimited }
        context.identity = identity
        context.logger[metadataKey: "user"] = "\(identity.actor.userID)"
        return try await next(request, context)
    }
}

/// The one authentication path, for REST and for the WebSocket handshake.
///
/// A socket without a `DeviceId` is a device of its own (`anon-…`), so that two such tabs do
/// not replace each other; a REST call without one comes from no device (`rest`).
func authenticate(_ request: Request, context: BubbleRequestContext, server: ServerState, socket: Bool = false) async throws(ServerError) -> Identity {
    guard let token = Credentials.token(request, socket: socket) else {
        server.metrics.authFailures.increment()
        if request.uri.queryParameters["token"] != nil {
            throw .unauthorized("?token= is accepted only on the WebSocket upgrade: send Authorization: Bearer <jwt>")
        }
        throw .unauthorized("missing token: send Authorization: Bearer <jwt> (or ?token= on the socket)")
    }
    let verified: VerifiedToken
    do { verified = try await server.verifier.verify(token) } catch {
        server.metrics.authFailures.increment()
        throw error
    }
    let user = verified.user
    let expiresAt = verified.expiresAt
    let device = Credentials.deviceID(request) ?? (socket ? "anon-\(UUID().uuidString.prefix(8).lowercased())" : "rest")
    do { try Decider.checkDeviceID(device, limits: server.configuration.limits) } catch { throw ServerError.from(error) }
    let userAgent = request.headers[.userAgent] ?? ""
    let dialect: Dialect = switch request.uri.queryParameters["dialect"].map(String.init) {
    case "android": .android
    case "seed": .seed
    default: userAgent.contains("BubbleTimer-Android") ? .android : .seed
    }
    let since = request.uri.queryParameters["since"].flatMap { UInt64(String($0)) }
    let zone = request.uri.queryParameters["tz"].map(String.init)
    if let zone, zone.utf8.count > server.configuration.limits.maxTimeZoneLength || !ZoneRules.isZone(zone) {
        throw ServerError(.badRequest, code: "invalid_field", "tz '\(zone.prefix(64))' is not an IANA time zone such as Europe/Berlin", field: "tz")
    }
    // A user exists from their first authentication (the directory entry, from the claims).
    await server.directory.register(verified, device: device, server: server)
    let trusted = server.connectionLimits.trustedProxies
    return Identity(
        actor: Actor(userID: user, deviceID: device), dialect: dialect, since: since, timeZone: zone, expiresAt: expiresAt,
        clientAddress: context.clientAddress(request, trustedProxies: trusted), viaProxy: trusted.contains(context.peer)
    )
}
