/// Decisions that involve time: countdown commands, reminders, and what the scheduler fires.
/// `context.now` is the server's clock; nothing here reads one.
extension Decider {
    static func decideTime(_ command: TimerCommand, state: TimerState, context: DecisionContext) throws(Rejection) -> [Event] {
        let caller = context.actor.userID
        let now = context.now
        switch command {
        case .countdown(let id, let action):
            let active = try visible(id, state: state, caller: caller)
            try checkAmount(action)
            guard let current = active.countdown else {
                throw .invalidState(id, reason: "its end '\(active.timer.end ?? "")' names no instant the server could resolve; send the timer with a new end")
            }
            let total = active.timer.totalMilliseconds ?? 0
            guard let next = try CountdownMath.apply(action, to: current, total: total, now: now, timerID: id) else { return [] }
            return [.timerCountdown(id, action, result: next)]

        case .setReminder(let id, let reminder):
            let active = try visible(id, state: state, caller: caller)
            // An `at` already past fires at once (like an overdue alarm), so it is not refused.
            if case .before(let lead) = reminder.trigger, lead < 0 {
                throw .invalid(field: "before", reason: "must not be negative")
            }
            let owned = Reminder(id: reminder.id, user: caller, trigger: reminder.trigger)
            if let existing = active.reminders.first(where: { $0.id == reminder.id }) {
                if existing == owned { return [] }
                throw .invalid(field: "reminderId", reason: "'\(reminder.id)' is already another reminder")
            }
            guard active.reminders.count < context.limits.maxRemindersPerTimer else {
                throw .tooManyReminders(id, limit: context.limits.maxRemindersPerTimer)
            }
            return [.reminderSet(id, owned)]

        case .cancelReminder(let id, let reminderID):
            guard let active = state.active, active.canAccess(caller),
                  let reminder = active.reminders.first(where: { $0.id == reminderID }), reminder.user == caller
            else { throw .reminderNotFound(reminderID) }
            return [.reminderCancelled(id, reminderID: reminderID, user: reminder.user)]

        case .complete(let id, let dueAt, let kind):
            // Exactly once per end: only while this is still the end and it has not fired.
            guard let active = state.active, active.runningEnd == dueAt else { return [] }
            return [.timerCompleted(id, dueAt: dueAt, firedAt: now, kind: kind)]

        case .fireReminder(let id, let reminderID, let dueAt, let kind):
            guard let active = state.active, let reminder = active.reminders.first(where: { $0.id == reminderID }),
                  reminder.dueAt(runningEnd: active.runningEnd) == dueAt else { return [] }
            return [.reminderFired(id, reminderID: reminderID, user: reminder.user, dueAt: dueAt, firedAt: now, kind: kind)]

        case .resolveEnd(let id, let end, let endsAt):
            guard let active = state.active, active.timer.end == end, active.timer.endsAt == nil else { return [] }
            return [.timerEndResolved(id, endsAt: endsAt)]

        case .update, .invite, .stop, .share, .unshare, .createLink, .revokeLink:
            return []
        }
    }

    /// The live timer the caller may act on; a stopped one of theirs says so.
    private static func visible(_ id: TimerID, state: TimerState, caller: UserID) throws(Rejection) -> ActiveTimer {
        switch state {
        case .active(let active) where active.canAccess(caller): return active
        case .stopped(let owner) where owner == caller: throw .timerStopped(id)
        default: throw .notFound(id)
        }
    }

    private static func checkAmount(_ action: CountdownAction) throws(Rejection) {
        if case .set(let remaining) = action, remaining < 0 {
            throw .invalid(field: "remaining", reason: "must not be negative")
        }
    }
}
