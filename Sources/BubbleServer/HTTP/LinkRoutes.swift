internal import Foundation
internal import Hummingbird
internal import HTTPTypes
internal import TimerDomain
internal import BubbleCore
internal import Projections

/// Public read-only links (seeds 003 and 004): the owner makes, lists and revokes them; anyone
/// with one sees the timer at `/t/{token}` (``PublicRoutes``).
extension TimerRoutes {
    func registerLinks(on router: RouterGroup<BubbleRequestContext>) {
        router.post("/timers/:id/links") { request, context in
            let id = try context.pathID("id", field: "timerId", limits: server.configuration.limits)
            // 128 random bits, lower-case base32: a capability no one guesses, safe in a path.
            let token = Base32.encode(SecretFile.randomBytes(16))
            let result = try await run(.createLink(id, token: token), request, context)
            return jsonResponse(["token": token, "url": Self.url(token, server), "seq": try seq(of: result)], status: .created)
        }
        router.get("/timers/:id/links") { _, context in
            let id = try context.pathID("id", field: "timerId", limits: server.configuration.limits)
            let caller = try context.actor.userID
            let state = try server.store.read { try server.store.views.timerState(id, $0) }
            guard let active = state.active, active.canAccess(caller) else { throw ServerError.from(Rejection.notFound(id)) }
            guard active.owner == caller else { throw ServerError.from(Rejection.forbidden(id, reason: "only the owner can see its public links")) }
            return jsonResponse(["links": active.links.map { token in
                ["token": token, "url": Self.url(token, server), "viewers": server.publicViewers.count(token: token, timer: id)] as [String: Any]
            }])
        }
        router.delete("/timers/:id/links/:token") { request, context in
            let id = try context.pathID("id", field: "timerId", limits: server.configuration.limits)
            let token = try context.pathID("token", field: "token", limits: server.configuration.limits)
            _ = try await run(.revokeLink(id, token: token), request, context)
            return Response(status: .noContent)
        }
    }

    static func url(_ token: String, _ server: ServerState) -> String { "\(server.configuration.publicBaseURL)/t/\(token)" }
}
