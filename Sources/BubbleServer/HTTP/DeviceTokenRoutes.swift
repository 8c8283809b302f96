internal import Hummingbird
internal import TimerDomain
internal import BubbleCore
internal import Projections

/// Push tokens per device: FCM as the deployed app registers them (`/device-tokens`), and
/// any provider through `/me/devices`.
struct DeviceTokenRoutes {
    let server: ServerState

    func register(on router: RouterGroup<BubbleRequestContext>) {
        router.post("/device-tokens") { request, context in
            let body = try await request.jsonObject(limit: server.configuration.maxFrameBytes)
            let device = try body.string("deviceId", in: "")
            let token = try body.string("fcmToken", in: "")
            _ = try await server.execute(CommandRequest(.device(.registerPushToken(device: device, token: token)), actor: try context.actor))
            return jsonResponse(["result": "registered"])
        }
        // The app binds the id as a query parameter, so the path may arrive as the literal
        // placeholder with `?deviceId=` set: a non-empty query wins over the path.
        router.delete("/device-tokens/:deviceId") { request, context in
            let query = request.uri.queryParameters["deviceId"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            let device = try query ?? context.pathID("deviceId", field: "deviceId", limits: server.configuration.limits)
            _ = try await server.execute(CommandRequest(.device(.removePushToken(device: device)), actor: try context.actor))
            return jsonResponse(["result": "removed"])
        }
        router.get("/me/devices") { _, context in
            let user = try context.actor.userID
            return jsonResponse(DeviceJSON.list(try server.store.read { try server.store.views.userState(user, $0) }))
        }
        router.post("/me/devices") { request, context in
            let body = try await request.jsonObject(limit: server.configuration.maxFrameBytes)
            let device = try body.string("deviceId", in: "")
            let name = try body.string("provider", in: "")
            guard let provider = PushProvider(name: name) else {
                throw ServerError(.badRequest, code: "invalid_field", "provider must be one of \(PushProvider.allCases.map(\.name).joined(separator: ", ")), not '\(name.prefix(32))'", field: "provider")
            }
            let token = try body.string("token", in: "")
            let actor = try context.actor
            _ = try await server.execute(CommandRequest(.device(.registerDevice(device: device, provider: provider, token: token)), actor: actor))
            let state = try server.store.read { try server.store.views.userState(actor.userID, $0) }
            return jsonResponse(DeviceJSON.list(state).first { $0["deviceId"] as? String == device } ?? [:], status: .created)
        }
    }
}
