internal import Foundation
internal import Logging
internal import CoreMetrics
internal import Hummingbird
internal import HummingbirdCore
internal import HTTPTypes
internal import TimerDomain
internal import BubbleCore

/// Authenticates every REST call (except the routes registered outside it) and records the
/// caller. A missing, expired or bad token is a 401 with a JSON body.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = BubbleRequestContext
    let server: ServerState
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let identity: Identity
        identity = try await authenticate(request.head, peer: context.peer, server: server)
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
func authenticate(_ request: HTTPRequest, peer: String, server: ServerState, socket: Bool = false) async throws(ServerError) -> Identity {
    let uri = URI(request.path ?? "/")
    let headers = request.headerFields
    guard let token = Credentials.token(headers, uri, socket: socket) else {
        server.metrics.authFailures.increment()
        if uri.queryParameters["token"] != nil {
            throw .unauthorized("?token= is accepted only on the WebSocket upgrade: send Authorization: Bearer <jwt>")
        }
        throw .unauthorized("missing token: send Authorization: Bearer <jwt> (or ?token= on the socket)")
    }
    let verified: VerifiedToken
    do {
        verified = server.serverTokens.owns(token)
            ? try await server.serverTokens.verify(token, now: Date().timeIntervalSince1970)
            : try await server.verifier.verify(token)
        try SignInEnforcement.check(verified, server: server)
    } catch {
        server.metrics.authFailures.increment()
        throw error
    }
    let user = verified.user
    let expiresAt = verified.expiresAt
    let device = Credentials.deviceID(headers, uri) ?? (socket ? "anon-\(UUID().uuidString.prefix(8).lowercased())" : "rest")
    do { try Decider.checkDeviceID(device, limits: server.configuration.limits) } catch { throw ServerError.from(error) }
    let userAgent = headers[.userAgent] ?? ""
    let dialect: Dialect = switch uri.queryParameters["dialect"].map(String.init) {
    case "android": .android
    case "seed": .seed
    default: userAgent.contains("BubbleTimer-Android") ? .android : .seed
    }
    let since = uri.queryParameters["since"].flatMap { UInt64(String($0)) }
    let zone = uri.queryParameters["tz"].map(String.init)
    if let zone, zone.utf8.count > server.configuration.limits.maxTimeZoneLength || !ZoneRules.isZone(zone) {
        throw ServerError(.badRequest, code: "invalid_field", "tz '\(zone.prefix(64))' is not an IANA time zone such as Europe/Berlin", field: "tz")
    }
    // A user exists from their first authentication (the directory entry, from the claims).
    await server.directory.register(verified, device: device, server: server)
    let trusted = server.connectionLimits.trustedProxies
    return Identity(
        actor: Actor(userID: user, deviceID: device), dialect: dialect, since: since, timeZone: zone, expiresAt: expiresAt,
        clientAddress: ClientAddress.resolve(peer: peer, forwardedFor: headers[ClientAddress.forwardedFor], trustedProxies: trusted),
        viaProxy: trusted.contains(peer), session: verified.session
    )
}
