internal import HTTPTypes
internal import Hummingbird
internal import TimerDomain
internal import BubbleCore
internal import EventLog
internal import Projections

/// REST over timers: the seed routes and the deployed Android routes, each one command.
struct TimerRoutes {
    let server: ServerState

    func register(on router: RouterGroup<BubbleRequestContext>) {
        router.get("/timers") { _, context in try self.ownTimers(context) }
        router.get("/timers/shared") { _, context in try self.sharedTimers(context) }
        router.post("/timers/shared") { request, context in try await self.share(request, context) }
        router.delete("/timers/shared") { request, context in try await self.leave(request, context) }
        router.get("/timers/:id") { _, context in try self.timer(context) }
        router.post("/timers/:id") { request, context in try await self.update(request, context) }
        router.delete("/timers/:id") { request, context in try await self.stop(request, context) }
        router.post("/timers/:id/shares") { request, context in try await self.addShare(request, context) }
        router.delete("/timers/:id/shares/:userId") { request, context in try await self.removeShare(request, context) }
        registerCountdown(on: router)
        registerReminders(on: router)
        registerLinks(on: router)
        registerHistory(on: router)
    }

    private var limit: Int { server.configuration.maxFrameBytes }

    /// Runs one command; `X-Request-Id`, when sent, is stored with its events.
    func run(_ command: TimerCommand, _ request: Request, _ context: BubbleRequestContext) async throws -> CommandResult {
        let id = request.headers[Self.requestID]
        return try await server.execute(CommandRequest(.timer(command), actor: try context.actor, commandID: id))
    }

    static let requestID = HTTPField.Name("X-Request-Id")!

    private func ownTimers(_ context: BubbleRequestContext) throws -> Response {
        let user = try context.actor.userID
        let rows = try server.store.read { txn in try server.store.views.timersOwned(by: user, txn).compactMap { try server.store.views.timer($0, txn) } }
        return jsonResponse(rows.map { TimerJSON.object($0, endKey: .rest) })
    }

    /// The deployed shape: `{id, userId, name, totalDuration, remainingDuration?, endTime?}`.
    private func sharedTimers(_ context: BubbleRequestContext) throws -> Response {
        let actor = try context.actor
        let user = actor.userID
        let (rows, zone) = try server.store.read { txn in
            (try server.store.views.timersShared(with: user, txn).compactMap { try server.store.views.timer($0, txn) }, try server.zone(of: actor, txn))
        }
        return jsonResponse(rows.map { row -> [String: Any] in
            var out: [String: Any] = ["id": row.timer.id, "userId": row.owner, "name": row.timer.name, "totalDuration": row.timer.totalDuration]
            if let r = row.timer.remainingDuration { out["remainingDuration"] = r }
            // The deployed app's route: its parser takes local date-times only.
            if let e = row.timer.end { out["endTime"] = LocalTime.render(e, endsAt: row.timer.endsAt, zone: zone) }
            return out
        })
    }

    private func timer(_ context: BubbleRequestContext) throws -> Response {
        let id = try context.pathID("id", field: "timerId", limits: server.configuration.limits)
        let user = try context.actor.userID
        guard let row = try server.store.read({ txn in try server.store.views.timer(id, txn) }),
              row.owner == user || row.sharedWith.contains(user) else { throw ServerError.from(Rejection.notFound(id)) }
        return jsonResponse(TimerJSON.object(row, endKey: .rest))
    }

    /// The seed shape (the timer's fields at the top level) or the deployed backend's
    /// (`{"timer": {…}}`); the path names the timer.
    private func update(_ request: Request, _ context: BubbleRequestContext) async throws -> Response {
        let id = try context.pathID("id", field: "timerId", limits: server.configuration.limits)
        let body = try await request.jsonObject(limit: limit)
        let wrapped = body["timer"] as? [String: Any]
        var object = wrapped ?? body
        let prefix = wrapped == nil ? "" : "timer."
        if let bodyID = object["id"] as? String, bodyID != id {
            throw ServerError(.badRequest, code: "invalid_field", "the body's id '\(bodyID)' differs from the path's '\(id)'", field: "id")
        }
        object["id"] = id
        let timer = try TimerJSON.snapshot(object, context: prefix)
        let shareWith = try (wrapped == nil ? body : object).strings("shareWith", in: prefix)
        let command = TimerCommand.update(timer, shareWith: shareWith, claimedOwner: object["userId"] as? String)
        let result = try await run(command, request, context)
        return try respondWithTimer(id, result)
    }

    private func stop(_ request: Request, _ context: BubbleRequestContext) async throws -> Response {
        let id = try context.pathID("id", field: "timerId", limits: server.configuration.limits)
        let result = try await run(.stop(id), request, context)
        return jsonResponse(["result": "stopped", "timerId": id, "changed": !result.events.isEmpty, "seq": try seq(of: result)])
    }

    private func addShare(_ request: Request, _ context: BubbleRequestContext) async throws -> Response {
        let id = try context.pathID("id", field: "timerId", limits: server.configuration.limits)
        let body = try await request.jsonObject(limit: limit)
        let user = try body.optionalString("userId", in: "") ?? body.string("sharedWithUser", in: "")
        let result = try await run(.share(id, with: user), request, context)
        return try respondWithTimer(id, result)
    }

    private func removeShare(_ request: Request, _ context: BubbleRequestContext) async throws -> Response {
        let id = try context.pathID("id", field: "timerId", limits: server.configuration.limits)
        let user = try context.pathID("userId", field: "userId", limits: server.configuration.limits)
        let result = try await run(.unshare(id, user: user), request, context)
        return jsonResponse(["result": "removed", "timerId": id, "userId": user, "changed": !result.events.isEmpty, "seq": try seq(of: result)])
    }

    /// The deployed share flow, as ONE command: creates or updates the timer when the body
    /// carries one, then invites every listed user but the caller. Refused as a whole (nothing
    /// appended) when the caller may not share it; ids that cannot be users are `failed`.
    private func share(_ request: Request, _ context: BubbleRequestContext) async throws -> Response {
        let body = try await request.jsonObject(limit: limit)
        let timerID = try body.string("timerId", in: "")
        let users = try body.strings("userIds", in: "")
        guard !users.isEmpty else { throw ServerError.badRequest("missing_field", "userIds must name at least one user") }
        let caller = try context.actor.userID
        // The app sends the whole share list, the owner included: the caller is never invited.
        let invited = users.filter { $0 != caller }
        var timer: TimerSnapshot?
        var claimed: UserID?
        if var object = try body.optionalObject("timer", in: "") {
            object["id"] = timerID
            timer = try TimerJSON.snapshot(object, context: "timer.")
            claimed = object["userId"] as? String
        }
        _ = try await run(.invite(timerID, users: invited, timer: timer, claimedOwner: claimed), request, context)
        let shared = Set(try server.store.read { txn in try server.store.views.timer(timerID, txn) }?.sharedWith ?? [])
        var success: [String] = [], failed: [String] = []
        for user in invited { if shared.contains(user) { success.append(user) } else { failed.append(user) } }
        return jsonResponse(["result": "shared", "success": success, "failed": failed])
    }

    /// The deployed "reject" flow: the caller leaves a share (`?timerId=` or JSON body).
    private func leave(_ request: Request, _ context: BubbleRequestContext) async throws -> Response {
        var timerID = request.uri.queryParameters["timerId"].map(String.init)
        if timerID == nil { timerID = try (try await request.optionalJSONObject(limit: limit))?.string("timerId", in: "") }
        guard let timerID else { throw ServerError.badRequest("missing_field", "timerId is required (query or JSON body)") }
        _ = try await run(.unshare(timerID, user: try context.actor.userID), request, context)
        return jsonResponse(["result": "rejected", "timerId": timerID])
    }

    /// The seq of the command's last event, or the log's head for a no-op (the state the
    /// answer reflects), never 0.
    func seq(of result: CommandResult) throws -> UInt64 {
        if let seq = result.seq { return seq }
        return try server.store.read { try server.store.log.head($0).seq }
    }

    func respondWithTimer(_ id: String, _ result: CommandResult) throws -> Response {
        let row = try server.store.read { txn in try server.store.views.timer(id, txn) }
        var out: [String: Any] = ["changed": !result.events.isEmpty, "seq": try seq(of: result)]
        if let row { out["timer"] = TimerJSON.object(row, endKey: .rest) }
        return jsonResponse(out)
    }
}

extension BubbleRequestContext {
    /// The authenticated caller; every route behind `AuthMiddleware` has one.
    var actor: Actor {
        get throws {
            guard let identity else { throw ServerError.unauthorized("not authenticated") }
            return identity.actor
        }
    }
}
