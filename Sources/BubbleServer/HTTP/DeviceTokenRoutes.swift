internal import Hummingbird
internal import TimerDomain
internal import BubbleCore

/// Push tokens (FCM) per device, as the deployed app registers them.
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
    }
}
