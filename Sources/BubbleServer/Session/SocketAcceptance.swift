internal import Foundation
internal import BubbleCore
internal import HTTPTypes
internal import Logging
internal import Sockets
internal import TimerDomain

/// Whether a WebSocket upgrade becomes a session: on `/ws` (or `/`, the deployed app's
/// path), with a token that verifies, within the caller's request rate. A refusal is the
/// REST error's status and JSON body, before any upgrade.
struct SocketAcceptance {
    let server: ServerState
    let logger: Logger

    static let paths: Set<String> = ["/ws", "/"]

    func decide(_ request: SocketRequest) async -> SocketDecision {
        let path = request.head.path.map { String($0.prefix { $0 != "?" }) } ?? "/"
        if let token = Self.publicToken(path) { return viewer(token) }
        guard Self.paths.contains(path) else {
            return .refuse(Self.refusal(ServerError(.notFound, code: "not_found", "no socket at \(path.prefix(64)): connect to /ws")))
        }
        let identity: Identity
        do { identity = try await authenticate(request.head, peer: request.peer, server: server, socket: true) } catch {
            return .refuse(Self.refusal(error))
        }
        guard server.allowREST(identity.actor.userID) else { return .refuse(Self.refusal(.rateLimited)) }
        let (server, logger) = (server, logger)
        return .accept { SocketSession(server: server, identity: identity, logger: logger) }
    }

    /// `/public/t/{token}/ws`: the token, else `nil`.
    static func publicToken(_ path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "public", parts[2] == "t", parts[4] == "ws", !parts[3].isEmpty else { return nil }
        return String(parts[3]).removingPercentEncoding
    }

    /// An anonymous viewer of a public link: no token, nothing appended, capped per link.
    private func viewer(_ token: String) -> SocketDecision {
        let found = try? server.store.read { try PublicTimer.lookup(token, store: server.store, $0) }
        guard let (timer, _) = found ?? nil else {
            return .refuse(Self.refusal(PublicRoutes.noLink))
        }
        guard server.publicViewers.count(token: token, timer: timer) < server.publicViewers.maxPerLink else {
            return .refuse(Self.refusal(ServerError(.tooManyRequests, code: "too_many_viewers", "this link has as many viewers as the server allows; try again later")))
        }
        let state = server
        return .accept { ViewerSession(server: state, token: token, timer: timer) }
    }

    static func refusal(_ error: ServerError) -> SocketRefusal {
        SocketRefusal(status: error.status, body: Array(error.jsonBody))
    }
}
