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

    static func refusal(_ error: ServerError) -> SocketRefusal {
        SocketRefusal(status: error.status, body: Array(error.jsonBody))
    }
}
