/// One entry of a user's notifications inbox. Its id is the seq of the event that created it,
/// which is also the collapse key of its pushes.
public struct InboxNotification: Equatable, Sendable {
    public enum Kind: UInt8, Sendable, CaseIterable {
        /// A timer was shared with the recipient (the Android app's invitation push).
        case invited = 1
        /// The recipient was removed from a timer by its owner.
        case removed
        /// A timer the recipient shares was stopped by someone else.
        case stopped
        /// A timer the recipient owns or shares ran out.
        case completed
        /// One of the recipient's reminders fell due.
        case reminder
        /// Someone who shares a timer with the recipient wrote to them (`message_sent`).
        case message

        public var name: String {
            switch self {
            case .invited: "timer_shared"
            case .removed: "share_removed"
            case .stopped: "timer_stopped"
            case .completed: "timer_completed"
            case .reminder: "reminder"
            case .message: "message"
            }
        }
    }

    /// Why it is not pushed although it lands in the inbox.
    public enum Silence: UInt8, Sendable {
        /// The recipient turned this kind off.
        case muted = 1
        /// It arrived in the recipient's quiet hours.
        case quietHours

        public var name: String {
            switch self {
            case .muted: "muted"
            case .quietHours: "quiet_hours"
            }
        }
    }

    public var kind: Kind
    public var timer: TimerID
    /// The timer's name when it happened (inbox entries outlive stopped timers).
    public var timerName: String
    /// Who did it; `nil` when the server did (completions, reminders).
    public var from: UserID?
    /// Set by the edge from the recipient's preferences when the notification is made.
    public var silenced: Silence?

    public init(kind: Kind, timer: TimerID, timerName: String, from: UserID?, silenced: Silence? = nil) {
        self.kind = kind
        self.timer = timer
        self.timerName = timerName
        self.from = from
        self.silenced = silenced
    }
}

/// A message to one recipient. Its text is sealed under the SENDER's key: erasing the sender
/// makes it unreadable everywhere; erasing the recipient drops their copy.
public struct Message: Equatable, Sendable {
    public var from: UserID
    /// The timer it was written about (`POST /messages {"timerId"}`), if any.
    public var timer: TimerID?
    public var content: Sealed
    /// Set by the edge from the recipient's preferences, as for notifications.
    public var silenced: InboxNotification.Silence?

    public init(from: UserID, timer: TimerID?, content: Sealed, silenced: InboxNotification.Silence? = nil) {
        self.from = from
        self.timer = timer
        self.content = content
        self.silenced = silenced
    }

    /// The inbox entry the message also is (same id: the event's seq).
    public var notification: InboxNotification {
        InboxNotification(kind: .message, timer: timer ?? "", timerName: "", from: from, silenced: silenced)
    }
}

/// What a user wants pushed (`PUT /me/notification-preferences`). Everything still lands in
/// the inbox; these only hold back the push.
public struct NotificationPreferences: Equatable, Sendable {
    /// Kinds never pushed.
    public var muted: Set<InboxNotification.Kind>
    /// No pushes between these local times (in the user's zone).
    public var quietHours: QuietHours?

    public init(muted: Set<InboxNotification.Kind> = [], quietHours: QuietHours? = nil) {
        self.muted = muted
        self.quietHours = quietHours
    }

    public static let all = NotificationPreferences()

    /// Why a notification of `kind` made at local minute-of-day `minute` is not pushed, if it is not.
    public func silence(_ kind: InboxNotification.Kind, atLocalMinute minute: Int) -> InboxNotification.Silence? {
        if muted.contains(kind) { return .muted }
        if let quietHours, quietHours.contains(minute) { return .quietHours }
        return nil
    }
}

/// A daily range of local minutes, `start` included, `end` excluded; it may wrap past midnight
/// (22:00–07:00). Equal ends mean no quiet time.
public struct QuietHours: Equatable, Sendable {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    public func contains(_ minute: Int) -> Bool {
        start <= end ? (minute >= start && minute < end) : (minute >= start || minute < end)
    }

    /// The minute of the day a local time (Unix ms read as if UTC) falls on.
    public static func minuteOfDay(local: Int64) -> Int {
        let minutes = local.dividedReportingOverflow(by: 60_000).partialValue
        return Int(((minutes % 1440) + 1440) % 1440)
    }
}

/// Which notifications a command's events create: pure, run after the decision, in the
/// same command (all of its events or none).
public enum Notifications {
    /// `timer` is the timer before the command (the name of a timer the command creates is
    /// read from its create event). Nobody is notified of their own action; silent firings
    /// (history from before the server kept time) notify nobody.
    public static func derive(from events: [Event], timerBefore: ActiveTimer?, actor: Actor) -> [Event] {
        var name = timerBefore?.timer.name
        var owner = timerBefore?.owner
        var out: [Event] = []
        let by = actor.userID
        func notify(_ user: UserID, _ kind: InboxNotification.Kind, _ timer: TimerID, from: UserID?) {
            guard user != by || from == nil else { return }
            out.append(.notificationCreated(user, InboxNotification(kind: kind, timer: timer, timerName: name ?? timer, from: from)))
        }
        var sharedWith = timerBefore?.sharedWith ?? []
        for event in events {
            switch event {
            case .timerCreated(let t, let o):
                name = t.name
                owner = o
            case .timerUpdated(let t):
                name = t.name
            case .timerShared(let id, let user):
                sharedWith.insert(user)
                notify(user, .invited, id, from: by)
            case .timerUnshared(let id, let user):
                sharedWith.remove(user)
                notify(user, .removed, id, from: by)
            case .timerStopped(let id, let o, let shared):
                for user in [o] + shared { notify(user, .stopped, id, from: by) }
            case .timerCompleted(let id, _, _, let kind) where kind != .silent:
                for user in [owner].compactMap({ $0 }) + sharedWith.sorted() { notify(user, .completed, id, from: nil) }
            case .reminderFired(let id, _, let user, _, _, let kind) where kind != .silent:
                notify(user, .reminder, id, from: nil)
            default:
                break
            }
        }
        return out
    }
}

/// Which notifications a device is pushed.
public enum PushPolicy {
    /// The deployed Android app's socket carries timer frames (a stop, a removal) but no
    /// inbox, and the app expects an invitation push on every share, connected or not (as
    /// the original backend sent). Every other device hears everything live while connected.
    public static func pushes(_ notification: InboxNotification, to target: PushTarget, connected: Bool) -> Bool {
        guard notification.silenced == nil else { return false }
        return pushes(notification.kind, to: target, connected: connected)
    }

    public static func pushes(_ kind: InboxNotification.Kind, to target: PushTarget, connected: Bool) -> Bool {
        guard connected else { return true }
        guard target.app else { return false }
        switch kind {
        case .invited, .completed, .reminder, .message: return true
        case .removed, .stopped: return false
        }
    }
}
