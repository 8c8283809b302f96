/// What the decider knows about one timer: the fold of its stream with ``TimerState/evolve(_:_:)``.
public enum TimerState: Equatable, Sendable {
    case unknown
    case active(ActiveTimer)
    /// Stopped timers keep their owner so that the id is never silently reused.
    case stopped(owner: UserID)

    public static let initial = TimerState.unknown

    /// Applies one event of this timer's stream. Total: pairs that cannot happen leave the state as is.
    public static func evolve(_ state: TimerState, _ event: Event) -> TimerState {
        var next = state
        next.apply(event)
        return next
    }

    /// `evolve` in place: replay folds millions of events, and mutating the payload where it
    /// lies avoids copying the shared-with set on every share.
    public mutating func apply(_ event: Event) {
        switch event {
        case .timerCreated(let timer, let owner):
            if case .active = self { return }
            self = .active(ActiveTimer(owner: owner, timer: timer, sharedWith: []))
        case .timerUpdated(let timer):
            modifyActive { a in
                // A completion stands until the end moves (an app echoing the same end keeps it).
                if a.completedAt != nil, !timer.keepsCompletion(from: a.timer) { a.completedAt = nil }
                a.timer = timer
            }
        case .timerShared(_, let user):
            modifyActive { $0.sharedWith.insert(user) }
        case .timerUnshared(_, let user):
            modifyActive { a in
                a.sharedWith.remove(user)
                // Reminders go with the access they needed.
                if a.reminders.contains(where: { $0.user == user }) { a.reminders.removeAll { $0.user == user } }
            }
        case .timerStopped:
            if case .active(let active) = self { self = .stopped(owner: active.owner) }
        case .timerCountdown(_, _, let countdown):
            modifyActive { a in
                a.timer = a.timer.with(countdown)
                a.completedAt = nil
            }
        case .timerCompleted(_, let dueAt, _, _):
            modifyActive { $0.completedAt = dueAt }
        case .timerEndResolved(_, let endsAt):
            modifyActive { $0.timer.endsAt = endsAt }
        case .reminderSet(_, let reminder):
            modifyActive { a in
                a.reminders.removeAll { $0.id == reminder.id }
                a.reminders.append(reminder)
            }
        case .reminderCancelled(_, let id, _), .reminderFired(_, let id, _, _, _, _):
            modifyActive { $0.reminders.removeAll { $0.id == id } }
        case .publicLinkCreated(_, let token):
            modifyActive { $0.links.append(token) }
        case .publicLinkRevoked(_, let token):
            modifyActive { $0.links.removeAll { $0 == token } }
        default:
            break
        }
    }

    private mutating func modifyActive(_ body: (inout ActiveTimer) -> Void) {
        guard case .active(var active) = self else { return }
        self = .unknown  // drop the enum's reference so `active` is uniquely held
        body(&active)
        self = .active(active)
    }

    public var active: ActiveTimer? {
        if case .active(let a) = self { return a }
        return nil
    }

    /// What the due index depends on — the end while running, and the reminders — read
    /// without copying the whole timer (replay asks twice per event).
    @inlinable
    public var schedule: (runningEnd: Int64?, reminders: [Reminder]) {
        switch self {
        case .active(let a): (a.runningEnd, a.reminders)
        case .unknown, .stopped: (nil, [])
        }
    }
}

/// A live timer with its owner and the users it is shared with.
public struct ActiveTimer: Equatable, Sendable {
    public var owner: UserID
    public var timer: TimerSnapshot
    public var sharedWith: Set<UserID>
    /// The due instant at which the server completed it; `nil` unless it ran out.
    public var completedAt: Int64?
    /// Everyone's reminders on it, oldest first.
    public var reminders: [Reminder]
    /// Tokens of its public read-only links, oldest first.
    public var links: [String]

    public init(owner: UserID, timer: TimerSnapshot, sharedWith: Set<UserID>, completedAt: Int64? = nil, reminders: [Reminder] = [], links: [String] = []) {
        self.owner = owner
        self.timer = timer
        self.sharedWith = sharedWith
        self.completedAt = completedAt
        self.reminders = reminders
        self.links = links
    }

    public func canAccess(_ user: UserID) -> Bool { user == owner || sharedWith.contains(user) }

    /// Owner first, then shared users in order: everyone who sees this timer.
    public var audience: [UserID] { [owner] + sharedWith.sorted() }
}

/// What the decider knows about one user: their live connections and push tokens.
public struct UserState: Equatable, Sendable {
    public struct Connection: Equatable, Sendable {
        public var connectionID: String
        public var epoch: UInt64
        public init(connectionID: String, epoch: UInt64) {
            self.connectionID = connectionID
            self.epoch = epoch
        }
    }

    public var connections: [DeviceID: Connection] = [:]
    public var pushTargets: [DeviceID: PushTarget] = [:]
    /// The user's IANA time zone (`PATCH /me`), for local ends their devices send.
    public var timeZone: String?
    /// Zones devices gave on connect (`?tz=`); a device's zone comes before the user's.
    public var deviceZones: [DeviceID: String] = [:]
    /// The directory entry, from the user's first authentication; `nil` before (and after
    /// `DELETE /me`).
    public var profile: Profile?
    public var preferences = NotificationPreferences.all
    /// The avatar's format while the user has one (the image itself is a view of its own).
    public var avatar: ImageType?
    /// Email sign-in: the pending code, the sessions, whether the operator disabled the user.
    public var account = AccountState()

    public init(connections: [DeviceID: Connection] = [:], pushTargets: [DeviceID: PushTarget] = [:], timeZone: String? = nil, deviceZones: [DeviceID: String] = [:], profile: Profile? = nil) {
        self.connections = connections
        self.pushTargets = pushTargets
        self.timeZone = timeZone
        self.deviceZones = deviceZones
        self.profile = profile
    }

    /// The zone a local time from `device` is read in, if the user or device named one.
    public func zone(of device: DeviceID) -> String? { deviceZones[device] ?? timeZone }

    public static let initial = UserState()

    public static func evolve(_ state: UserState, _ event: Event) -> UserState {
        var next = state
        next.apply(event)
        return next
    }

    /// `evolve` in place.
    public mutating func apply(_ event: Event) {
        account.apply(event)
        switch event {
        case .deviceConnected(_, let device, let connection, let epoch):
            connections[device] = Connection(connectionID: connection, epoch: epoch)
        case .deviceDisconnected(_, let device, let connection, _):
            if connections[device]?.connectionID == connection { connections[device] = nil }
        case .pushTokenRegistered(_, let device, let token):
            pushTargets[device] = PushTarget(provider: .fcm, token: token, app: true)
        case .pushDeviceRegistered(_, let device, let target):
            pushTargets[device] = target
        case .pushTokenRemoved(_, let device):
            pushTargets[device] = nil
        case .userRegistered(_, let email, let name):
            profile = Profile(email: email, displayName: name)
        case .userEmailSet(_, let email):
            profile?.email = email
        case .userDisplayNameSet(_, let name):
            profile?.displayName = name
        case .userSettingsSet(_, let settings):
            profile?.settings = settings
        case .notificationPreferencesSet(_, let preferences):
            self.preferences = preferences
        case .userAvatarSet(_, let avatar):
            self.avatar = avatar?.type
        case .userErased:
            self = UserState()
        case .userTimeZoneSet(_, let zone):
            timeZone = zone
        case .deviceTimeZoneSet(_, let device, let zone):
            deviceZones[device] = zone
        default:
            break
        }
    }
}
