internal import Hummingbird
internal import TimerDomain

/// `POST /timers/{id}/start|pause|resume|reset|add|set`: one countdown command each, computed
/// with the server's clock. `add` takes `{"duration": "PT1M"}` (negative takes time away),
/// `set` takes `{"remaining": "PT4M"}`; the others take no body.
extension TimerRoutes {
    static let countdownActions = ["start", "pause", "resume", "reset", "add", "set"]

    func registerCountdown(on router: RouterGroup<BubbleRequestContext>) {
        for name in Self.countdownActions {
            router.post(RouterPath("/timers/:id/\(name)")) { request, context in
                let id = try context.pathID("id", field: "timerId", limits: server.configuration.limits)
                let needsBody = name == "add" || name == "set"
                let body = needsBody ? try await request.jsonObject(limit: server.configuration.maxFrameBytes) : [:]
                guard let action = try InboundFrame.countdownAction(name, body, in: "") else { throw ServerError.badRequest("unknown_action", "unknown countdown action '\(name)'") }
                let result = try await run(.countdown(id, action), request, context)
                return try respondWithTimer(id, result)
            }
        }
    }
}
