/// Everything that happened, in the past tense. Closed: the log's codec has one tag per case.
public enum Event: Equatable, Sendable {
    case timerCreated(TimerSnapshot, owner: UserID)
    case timerUpdated(TimerSnapshot)
    /// Carries who could see the timer when it stopped, so that fan-out and projections need
    /// nothing else.
    case timerStopped(TimerID, owner: UserID, sharedWith: [UserID])
    case timerShared(TimerID, with: UserID)
    case timerUnshared(TimerID, user: UserID)
    case deviceConnected(UserID, device: DeviceID, connectionID: String, epoch: UInt64)
    case deviceDisconnected(UserID, device: DeviceID, connectionID: String, reason: String)
    case pushTokenRegistered(UserID, device: DeviceID, token: String)
    case pushTokenRemoved(UserID, device: DeviceID)
    case serverStarted(version: String)
    /// A countdown command's effect: the countdown after it (running or paused).
    case timerCountdown(TimerID, CountdownAction, result: Countdown)
    /// The server's scheduler saw the end `dueAt` pass; `firedAt` is when it acted.
    case timerCompleted(TimerID, dueAt: Int64, firedAt: Int64, kind: FiringKind)
    /// The instant a local end from before the server kept time means (resolved once, at the
    /// scheduler's first start, in the server's zone).
    case timerEndResolved(TimerID, endsAt: Int64)
    case reminderSet(TimerID, Reminder)
    case reminderCancelled(TimerID, reminderID: String, user: UserID)
    case reminderFired(TimerID, reminderID: String, user: UserID, dueAt: Int64, firedAt: Int64, kind: FiringKind)
    /// The owner made a public read-only link (`token` is its capability, in its URL).
    case publicLinkCreated(TimerID, token: String)
    /// The link stops working; its open viewers are closed.
    case publicLinkRevoked(TimerID, token: String)
    /// `PATCH /me {"timeZone"}`; `nil` clears it.
    case userTimeZoneSet(UserID, zone: String?)
    /// A device connected with `?tz=` naming another zone than last time.
    case deviceTimeZoneSet(UserID, device: DeviceID, zone: String)
    /// Written once, when a server first keeps time: ends due before `since` complete silently.
    case schedulerEnabled(since: Int64)
    /// Written by `bubble-replay --salvage` in place of a record it could not read, at that
    /// record's seq, so the salvaged log keeps every other seq and says what it lost.
    case logSalvaged(skippedSeq: UInt64, reason: String)

    // People: the directory, the inbox and push (all on the user's own stream).
    /// The user first authenticated; email and name from the token's claims, sealed.
    case userRegistered(UserID, email: Sealed?, displayName: Sealed?)
    /// The token's email changed (the only way an email changes: it is a login).
    case userEmailSet(UserID, Sealed?)
    case userDisplayNameSet(UserID, Sealed?)
    /// The whole settings map after a `PATCH /me` merge.
    case userSettingsSet(UserID, [String: String])
    /// `DELETE /me`: the profile and inbox are dropped and the user's key is deleted, so what
    /// the log holds sealed under it can no longer be read.
    case userErased(UserID)
    /// A device registered for push through `POST /me/devices` (provider and token).
    case pushDeviceRegistered(UserID, device: DeviceID, PushTarget)
    /// An inbox entry; its id is this event's seq.
    case notificationCreated(UserID, InboxNotification)
    case notificationsRead(UserID, ids: [UInt64])
    /// The provider accepted the push of `notification` to `device`.
    case pushDelivered(UserID, notification: UInt64, device: DeviceID)
    /// A failed attempt; the sender tries again at `retryAt`.
    case pushFailed(UserID, notification: UInt64, device: DeviceID, attempt: Int, retryAt: Int64, reason: String)
    /// Given up (dead-lettered): too many attempts, or the device cannot receive it.
    case pushAbandoned(UserID, notification: UInt64, device: DeviceID, reason: String)
    /// `PUT /me/notification-preferences`: the whole preferences.
    case notificationPreferencesSet(UserID, NotificationPreferences)
    /// A message to the stream's user; also their inbox entry (kind `message`, same id).
    case messageSent(UserID, Message)
    /// `POST /users/{id}/avatar`; `nil`: removed.
    case userAvatarSet(UserID, Avatar?)

    // Email sign-in (the server's own identity provider), on the user's stream.
    /// `POST /auth/login`: a code was drawn and mailed; only its salted hash is kept.
    case signInCodeIssued(UserID, SignInCode)
    /// A wrong code; enough of them use the pending code up.
    case signInFailed(UserID)
    /// A code signed the user in: a session and its first refresh token (hash).
    case sessionStarted(UserID, SessionGrant)
    /// The session's refresh token was used and replaced by the next generation.
    case sessionRefreshed(UserID, SessionGrant)
    /// Sessions ended: signed out, revoked by the operator, or a rotated token came back.
    case sessionsEnded(UserID, ids: [String], reason: String)
    /// The operator disabled the user: no token of theirs is accepted, their sockets close.
    case userDisabled(UserID, reason: String)
    case userEnabled(UserID)

    /// The stream (aggregate) the event belongs to; its history is one range scan.
    public var stream: StreamID {
        switch self {
        case .timerCreated(let t, _), .timerUpdated(let t): .timer(t.id)
        case .timerStopped(let id, _, _), .timerShared(let id, _), .timerUnshared(let id, _),
             .timerCountdown(let id, _, _), .timerCompleted(let id, _, _, _), .timerEndResolved(let id, _),
             .reminderSet(let id, _), .reminderCancelled(let id, _, _), .reminderFired(let id, _, _, _, _, _),
             .publicLinkCreated(let id, _), .publicLinkRevoked(let id, _): .timer(id)
        case .deviceConnected(let u, _, _, _), .deviceDisconnected(let u, _, _, _),
             .pushTokenRegistered(let u, _, _), .pushTokenRemoved(let u, _),
             .userTimeZoneSet(let u, _), .deviceTimeZoneSet(let u, _, _),
             .userRegistered(let u, _, _), .userEmailSet(let u, _), .userDisplayNameSet(let u, _), .userSettingsSet(let u, _),
             .userErased(let u), .pushDeviceRegistered(let u, _, _), .notificationCreated(let u, _), .notificationsRead(let u, _),
             .pushDelivered(let u, _, _), .pushFailed(let u, _, _, _, _, _), .pushAbandoned(let u, _, _, _),
             .notificationPreferencesSet(let u, _), .messageSent(let u, _), .userAvatarSet(let u, _),
             .signInCodeIssued(let u, _), .signInFailed(let u), .sessionStarted(let u, _), .sessionRefreshed(let u, _),
             .sessionsEnded(let u, _, _), .userDisabled(let u, _), .userEnabled(let u): .user(u)
        case .serverStarted, .logSalvaged, .schedulerEnabled: .server
        }
    }

    /// A countdown command's event (its timer's snapshot is rewritten by the fold).
    public var isCountdown: Bool {
        if case .timerCountdown = self { return true }
        return false
    }

    /// The timer the event belongs to, if it is a timer event.
    public var timerID: TimerID? {
        if case .timer(let id) = stream { return id }
        return nil
    }

    /// Stable lower-case name used by tools and docs.
    public var name: String {
        switch self {
        case .timerCreated: "timer_created"
        case .timerUpdated: "timer_updated"
        case .timerStopped: "timer_stopped"
        case .timerShared: "timer_shared"
        case .timerUnshared: "timer_unshared"
        case .deviceConnected: "device_connected"
        case .deviceDisconnected: "device_disconnected"
        case .pushTokenRegistered: "push_token_registered"
        case .pushTokenRemoved: "push_token_removed"
        case .serverStarted: "server_started"
        case .logSalvaged: "log_salvaged"
        case .timerCountdown(_, let action, _): Self.countdownName(action)
        case .timerCompleted: "timer_completed"
        case .timerEndResolved: "timer_end_resolved"
        case .reminderSet: "reminder_set"
        case .reminderCancelled: "reminder_cancelled"
        case .reminderFired: "reminder_fired"
        case .publicLinkCreated: "public_link_created"
        case .publicLinkRevoked: "public_link_revoked"
        case .userTimeZoneSet: "user_time_zone_set"
        case .deviceTimeZoneSet: "device_time_zone_set"
        case .schedulerEnabled: "scheduler_enabled"
        case .userRegistered: "user_registered"
        case .userEmailSet: "user_email_set"
        case .userDisplayNameSet: "user_display_name_set"
        case .userSettingsSet: "user_settings_set"
        case .userErased: "user_erased"
        case .pushDeviceRegistered: "push_device_registered"
        case .notificationCreated: "notification_created"
        case .notificationsRead: "notifications_read"
        case .pushDelivered: "push_delivered"
        case .pushFailed: "push_failed"
        case .pushAbandoned: "push_abandoned"
        case .notificationPreferencesSet: "notification_preferences_set"
        case .messageSent: "message_sent"
        case .userAvatarSet: "user_avatar_set"
        case .signInCodeIssued: "sign_in_code_issued"
        case .signInFailed: "sign_in_failed"
        case .sessionStarted: "session_started"
        case .sessionRefreshed: "session_refreshed"
        case .sessionsEnded: "sessions_ended"
        case .userDisabled: "user_disabled"
        case .userEnabled: "user_enabled"
        }
    }

    static func countdownName(_ action: CountdownAction) -> String {
        switch action {
        case .start: "timer_started"
        case .pause: "timer_paused"
        case .resume: "timer_resumed"
        case .reset: "timer_reset"
        case .add: "timer_time_added"
        case .set: "timer_remaining_set"
        }
    }

    public static let allNames = [
        "timer_created", "timer_updated", "timer_stopped", "timer_shared", "timer_unshared",
        "device_connected", "device_disconnected", "push_token_registered", "push_token_removed",
        "server_started", "log_salvaged",
        "timer_started", "timer_paused", "timer_resumed", "timer_reset", "timer_time_added", "timer_remaining_set",
        "timer_completed", "timer_end_resolved", "reminder_set", "reminder_cancelled", "reminder_fired",
        "public_link_created", "public_link_revoked",
        "user_time_zone_set", "device_time_zone_set", "scheduler_enabled",
        "user_registered", "user_email_set", "user_display_name_set", "user_settings_set", "user_erased",
        "push_device_registered", "notification_created", "notifications_read", "push_delivered", "push_failed", "push_abandoned",
        "notification_preferences_set", "message_sent", "user_avatar_set",
        "sign_in_code_issued", "sign_in_failed", "session_started", "session_refreshed", "sessions_ended", "user_disabled", "user_enabled",
    ]
}

/// The stream an event belongs to.
public enum StreamID: Hashable, Sendable, CustomStringConvertible {
    case timer(TimerID)
    case user(UserID)
    case server

    /// `timer:<id>`, `user:<id>` or `server`: the form stored in the log.
    public var description: String {
        switch self {
        case .timer(let id): "timer:\(id)"
        case .user(let id): "user:\(id)"
        case .server: "server"
        }
    }

    /// `description` as UTF-8 bytes, built without string interpolation (hot path).
    public var key: [UInt8] {
        switch self {
        case .timer(let id): Array("timer:".utf8) + id.utf8
        case .user(let id): Array("user:".utf8) + id.utf8
        case .server: Array("server".utf8)
        }
    }

    public init?(parsing text: String) {
        if text == "server" { self = .server }
        else if text.hasPrefix("timer:") { self = .timer(String(text.dropFirst(6))) }
        else if text.hasPrefix("user:") { self = .user(String(text.dropFirst(5))) }
        else { return nil }
    }
}
