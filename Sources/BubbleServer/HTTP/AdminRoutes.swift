internal import CoreMetrics
internal import Foundation
internal import Hummingbird
internal import TimerDomain
internal import BubbleCore

/// The operator's routes, for `bubble-timer users …` while the server runs: authorized by
/// the admin token in the data directory (`admin-token`), which only the server's user can
/// read. Not for clients.
struct AdminRoutes {
    let server: ServerState

    func register(on router: Router<BubbleRequestContext>) {
        router.get("/admin/users") { request, _ in
            try authorize(request)
            let users = try server.store.read { try UserAdministration.list(server.store, $0) }
            return jsonResponse(["users": users.map(Self.json)])
        }
        for action in UserAdministration.Action.allCases {
            router.post("/admin/users/:userId/\(action.rawValue)") { request, context in
                try authorize(request)
                let user = try context.parameters.require("userId")
                do { try Decider.checkStorable(user, field: "userId", limits: server.configuration.limits) } catch { throw ServerError.from(error) }
                let body = try await request.optionalJSONObject(limit: server.configuration.maxFrameBytes) ?? [:]
                let reason = try body.optionalString("reason", in: "") ?? ""
                let result = try await server.execute(UserAdministration.request(action, user: user, reason: reason))
                let summary = try server.store.read { txn in try UserAdministration.list(server.store, txn).first { $0.id == user } }
                return jsonResponse(["changed": !result.events.isEmpty, "user": summary.map(Self.json) ?? ["id": user]])
            }
        }
    }

    private func authorize(_ request: Request) throws {
        let presented = Credentials.token(request.headers, request.uri, socket: false) ?? ""
        guard Digest.equal(Array(presented.utf8), Array(server.serverKeys.adminToken.utf8)) else {
            server.metrics.authFailures.increment()
            throw ServerError.unauthorized("the admin routes take the admin token from the data directory (admin-token)")
        }
    }

    static func json(_ user: UserAdministration.Summary) -> [String: Any] {
        [
            "id": user.id, "email": user.email ?? NSNull(), "displayName": user.displayName ?? NSNull(),
            "disabled": user.disabled, "sessions": user.sessions, "devices": user.devices,
        ]
    }
}
