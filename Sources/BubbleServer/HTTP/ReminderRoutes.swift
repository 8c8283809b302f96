internal import Foundation
internal import Hummingbird
internal import TimerDomain
internal import BubbleCore
internal import Projections

/// Reminders (seed 003): `POST /timers/{id}/reminders`, `DELETE /reminders/{id}`; the
/// caller's upcoming ones are `GET /me/reminders` (``MeRoutes``).
extension TimerRoutes {
    func registerReminders(on router: RouterGroup<BubbleRequestContext>) {
        router.post("/timers/:id/reminders") { request, context in
            let id = try context.pathID("id", field: "timerId", limits: server.configuration.limits)
            let body = try await request.jsonObject(limit: server.configuration.maxFrameBytes)
            let trigger = try Self.trigger(body)
            let reminder = Reminder(id: "r-" + UUID().uuidString.lowercased(), user: try context.actor.userID, trigger: trigger)
            let result = try await run(.setReminder(id, reminder), request, context)
            let state = try server.store.read { try server.store.views.timerState(id, $0) }
            guard let active = state.active else { throw ServerError.from(Rejection.notFound(id)) }
            return jsonResponse(["reminder": ReminderJSON.object(reminder, timer: active), "seq": try seq(of: result)], status: .created)
        }
        router.delete("/reminders/:id") { request, context in
            let reminderID = try context.pathID("id", field: "reminderId", limits: server.configuration.limits)
            guard let timer = try server.store.read({ try server.store.views.timerOfReminder(reminderID, $0) }) else {
                throw ServerError.from(Rejection.reminderNotFound(reminderID))
            }
            let result = try await run(.cancelReminder(timer, reminderID: reminderID), request, context)
            return jsonResponse(["result": "cancelled", "reminderId": reminderID, "timerId": timer, "seq": try seq(of: result)])
        }
    }

    /// `{"before": "PT5M"}` or `{"at": "2026-12-24T18:00:00Z"}`, exactly one.
    static func trigger(_ body: [String: Any]) throws -> Reminder.Trigger {
        let before = try body.optionalString("before", in: "")
        let at = try body.optionalString("at", in: "")
        switch (before, at) {
        case (.some, nil):
            return .before(try InboundFrame.duration(body, "before", in: "", signed: false))
        case (nil, let at?):
            guard at.utf8.count <= Limits().maxDurationLength, let ms = ISO8601.instantMilliseconds(at) else {
                throw ServerError(.badRequest, code: "invalid_field", "at '\(at)' is not an ISO-8601 instant with an offset or Z, such as 2026-12-24T18:00:00Z", field: "at")
            }
            return .at(ms)
        default:
            throw ServerError.badRequest("missing_field", "send exactly one of before (a duration before the end) and at (an instant)")
        }
    }
}

/// Reminders as clients see them.
enum ReminderJSON {
    static func object(_ reminder: Reminder, timer: ActiveTimer) -> [String: Any] {
        var out: [String: Any] = ["id": reminder.id, "timerId": timer.timer.id, "timerName": timer.timer.name]
        switch reminder.trigger {
        case .before(let lead): out["before"] = ISO8601.formatDuration(milliseconds: lead)
        case .at(let instant): out["at"] = ISO8601.format(milliseconds: instant)
        }
        // A `before` reminder of a paused timer waits: no due instant until it runs.
        if let due = reminder.dueAt(runningEnd: timer.runningEnd) { out["dueAt"] = due }
        return out
    }
}
