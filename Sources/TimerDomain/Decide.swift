/// `decide(command, state) -> [Event]`: pure, no storage, no clock (the time is `context.now`). An empty list means the
/// command changes nothing (idempotent repeat); a thrown ``Rejection`` means it is refused.
public enum Decider {
    /// The ids a command names, checked before any state is looked up by them: an empty or
    /// oversized id is a refusal, never a storage error.
    public static func checkIDs(_ command: TimerCommand, limits: Limits) throws(Rejection) {
        try Validation.storable(command.timerID, field: "timerId", limits: limits)
        switch command {
        case .share(_, let user): try Validation.storable(user, field: "sharedWithUser", limits: limits)
        case .unshare(_, let user): try Validation.storable(user, field: "userId", limits: limits)
        case .setReminder(_, let reminder): try Validation.identifier(reminder.id, field: "reminderId", limits: limits)
        case .cancelReminder(_, let reminder), .fireReminder(_, let reminder, _, _): try Validation.storable(reminder, field: "reminderId", limits: limits)
        default: break
        }
    }

    /// The check every id passes before a lookup (REST path parameters included).
    public static func checkStorable(_ id: String, field: String, limits: Limits) throws(Rejection) {
        try Validation.storable(id, field: field, limits: limits)
    }

    /// The check a device id passes before its socket is accepted.
    public static func checkDeviceID(_ id: DeviceID, limits: Limits) throws(Rejection) {
        try Validation.identifier(id, field: "deviceId", limits: limits)
    }

    /// Whether a claimed owner is worth looking up: one that could not be an id (the app's
    /// placeholders, oversized values) is nobody.
    public static func isLookupable(_ user: UserID, limits: Limits) -> Bool {
        (try? Validation.storable(user, field: "userId", limits: limits)) != nil
    }

    public static func decide(_ command: TimerCommand, state: TimerState, context: DecisionContext) throws(Rejection) -> [Event] {
        let caller = context.actor.userID
        switch command {
        case .update(let timer, let shareWith, let claimed):
            try Validation.check(timer, limits: context.limits)
            switch state {
            case .unknown:
                try checkClaim(claimed, timerID: timer.id, context: context)
                try checkQuota(context)
                // First update creates the timer, owned by the authenticated caller.
                let created = Event.timerCreated(timer, owner: caller)
                return [created] + (try shares(shareWith, owner: caller, existing: [], timerID: timer.id, context: context))
            case .stopped(let owner):
                throw owner == caller ? .timerStopped(timer.id) : .notFound(timer.id)
            case .active(let active):
                guard active.canAccess(caller) else { throw .notFound(timer.id) }
                var events: [Event] = active.timer == timer ? [] : [.timerUpdated(timer)]
                if caller == active.owner {
                    events += try shares(shareWith, owner: caller, existing: active.sharedWith, timerID: timer.id, context: context)
                }
                return events
            }

        case .invite(let id, let users, let timer, let claimed):
            var events: [Event] = []
            var existing: Set<UserID> = []
            switch state {
            case .unknown:
                guard let timer else { throw .notFound(id) }
                try Validation.check(timer, limits: context.limits)
                try checkClaim(claimed, timerID: id, context: context)
                try checkQuota(context)
                events.append(.timerCreated(timer, owner: caller))
            case .stopped(let owner):
                throw owner == caller ? .timerStopped(id) : .notFound(id)
            case .active(let active):
                guard active.canAccess(caller) else { throw .notFound(id) }
                guard caller == active.owner else { throw .forbidden(id, reason: "only the owner can share this timer") }
                if let timer {
                    try Validation.check(timer, limits: context.limits)
                    if timer != active.timer { events.append(.timerUpdated(timer)) }
                }
                existing = active.sharedWith
            }
            let valid = users.filter { (try? Validation.storable($0, field: "userIds", limits: context.limits)) != nil }
            return events + (try shares(valid, owner: caller, existing: existing, timerID: id, context: context))

        case .stop(let id):
            guard let active = state.active else { return [] }  // unknown or already stopped: idempotent
            guard active.canAccess(caller) else { throw .notFound(id) }
            return [.timerStopped(id, owner: active.owner, sharedWith: active.sharedWith.sorted())]

        case .share(let id, let user):
            guard let active = state.active, active.canAccess(caller) else { throw .notFound(id) }
            guard caller == active.owner else { throw .forbidden(id, reason: "only the owner can share this timer") }
            try Validation.storable(user, field: "sharedWithUser", limits: context.limits)
            // The owner can already see it: sharing with them changes nothing.
            return try shares([user], owner: caller, existing: active.sharedWith, timerID: id, context: context)

        case .unshare(let id, let user):
            guard let active = state.active, active.canAccess(caller) else { throw .notFound(id) }
            guard caller == active.owner || caller == user else {
                throw .forbidden(id, reason: "only the owner can remove other users from this timer")
            }
            return active.sharedWith.contains(user) ? [.timerUnshared(id, user: user)] : []

        case .createLink(let id, let token):
            guard let active = state.active, active.canAccess(caller) else { throw .notFound(id) }
            guard caller == active.owner else { throw .forbidden(id, reason: "only the owner can make a public link") }
            try Validation.identifier(token, field: "token", limits: context.limits)
            guard active.links.count < context.limits.maxLinksPerTimer else {
                throw .invalidState(id, reason: "it has \(context.limits.maxLinksPerTimer) public links, the most this server allows; revoke one first")
            }
            return [.publicLinkCreated(id, token: token)]

        case .revokeLink(let id, let token):
            guard let active = state.active, active.canAccess(caller) else { throw .notFound(id) }
            guard caller == active.owner else { throw .forbidden(id, reason: "only the owner can revoke a public link") }
            guard active.links.contains(token) else { throw .linkNotFound(token) }
            return [.publicLinkRevoked(id, token: token)]

        case .countdown, .setReminder, .cancelReminder, .complete, .fireReminder, .resolveEnd:
            return try decideTime(command, state: state, context: context)
        }
    }

    public static func decide(_ command: DeviceCommand, state: UserState, context: DecisionContext) throws(Rejection) -> [Event] {
        let user = context.actor.userID
        let device = context.actor.deviceID
        switch command {
        case .connect(let connection, let zone):
            try Validation.identifier(device, field: "deviceId", limits: context.limits)
            var events: [Event] = []
            let current = state.connections[device]
            if current?.connectionID != connection || current?.epoch != context.serverEpoch {
                events.append(.deviceConnected(user, device: device, connectionID: connection, epoch: context.serverEpoch))
            }
            if let zone, state.deviceZones[device] != zone {
                try Validation.text(zone, field: "tz", max: context.limits.maxTimeZoneLength, allowEmpty: false)
                events.append(.deviceTimeZoneSet(user, device: device, zone: zone))
            }
            return events
        case .setTimeZone(let zone):
            if let zone { try Validation.text(zone, field: "timeZone", max: context.limits.maxTimeZoneLength, allowEmpty: false) }
            return state.timeZone == zone ? [] : [.userTimeZoneSet(user, zone: zone)]
        case .disconnect(let connection, let reason):
            // A superseded connection, or one from before the last restart, is already gone.
            guard let current = state.connections[device], current.connectionID == connection,
                  current.epoch == context.serverEpoch else { return [] }
            return [.deviceDisconnected(user, device: device, connectionID: connection, reason: reason)]
        case .registerPushToken(let target, let token):
            try Validation.identifier(target, field: "deviceId", limits: context.limits)
            try Validation.text(token, field: "fcmToken", max: context.limits.maxPushTokenLength, allowEmpty: false)
            return state.pushTargets[target] == PushTarget(provider: .fcm, token: token, app: true) ? [] : [.pushTokenRegistered(user, device: target, token: token)]
        case .removePushToken(let target):
            try Validation.identifier(target, field: "deviceId", limits: context.limits)
            return state.pushTargets[target] == nil ? [] : [.pushTokenRemoved(user, device: target)]
        case .registerDevice, .register, .updateProfile, .erase, .readNotifications, .setNotificationPreferences, .setAvatar:
            return try decidePeople(command, state: state, context: context)
        }
    }

    /// A new timer whose payload names another known user as its owner would make the caller
    /// the owner of what that user thinks is theirs (and share them into it): refused.
    /// Unknown or placeholder ids (the app sends `whattheheck` when it has none) are ignored.
    private static func checkClaim(_ claimed: UserID?, timerID: TimerID, context: DecisionContext) throws(Rejection) {
        guard let claimed, claimed != context.actor.userID, context.knownUsers.contains(claimed) else { return }
        throw .forbidden(timerID, reason: "the timer names '\(claimed)' as its owner; only they can create it")
    }

    private static func checkQuota(_ context: DecisionContext) throws(Rejection) {
        let limit = context.limits.maxLiveTimersPerUser
        guard context.ownedLiveTimers < limit else { throw .tooManyTimers(limit: limit) }
    }

    /// A client's request id, before anything is decided: it is stored with every event.
    public static func checkRequestID(_ id: String?, limits: Limits) throws(Rejection) {
        guard let id else { return }
        try Validation.text(id, field: "requestId", max: limits.maxRequestIDLength, allowEmpty: true)
    }

    /// Share events for users not yet shared with; never the owner, never twice.
    private static func shares(
        _ users: [UserID], owner: UserID, existing: Set<UserID>, timerID: TimerID, context: DecisionContext
    ) throws(Rejection) -> [Event] {
        var seen = existing
        var events: [Event] = []
        for user in users where user != owner && !seen.contains(user) {
            try Validation.storable(user, field: "shareWith", limits: context.limits)
            seen.insert(user)
            events.append(.timerShared(timerID, with: user))
        }
        guard seen.count <= context.limits.maxSharesPerTimer else {
            throw .tooManyShares(timerID, limit: context.limits.maxSharesPerTimer)
        }
        return events
    }
}
