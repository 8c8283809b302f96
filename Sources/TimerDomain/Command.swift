/// Who is acting: the authenticated user (from the token) on one of their devices.
public struct Actor: Equatable, Hashable, Sendable {
    public var userID: UserID
    public var deviceID: DeviceID

    public init(userID: UserID, deviceID: DeviceID) {
        self.userID = userID
        self.deviceID = deviceID
    }
}

/// Everything a command may change, in the imperative.
public enum Command: Equatable, Sendable {
    case timer(TimerCommand)
    case device(DeviceCommand)
    /// Written once per process start, so the connection view can forget sockets that died
    /// with the previous process.
    case markServerStarted(version: String)
    /// The scheduler's first start on this log: ends due before now complete silently.
    case enableScheduler
    /// The push sender's report on one push of `user`'s (actor: the server).
    case push(UserID, PushOutcome)
    /// `POST /messages`: to users, or to everyone on a timer but the sender.
    case message(MessageRequest)
    /// Email sign-in and sessions, on the acting user's stream.
    case account(AccountCommand)
}

/// A message as asked for; the edge fills in what the decider checks it against.
public struct MessageRequest: Equatable, Sendable {
    public var to: [UserID]
    public var timer: TimerID?
    public var content: String
    /// Everyone who shares a live timer with the sender (only they may be written to).
    public var peers: Set<UserID>

    public init(to: [UserID], timer: TimerID? = nil, content: String, peers: Set<UserID> = []) {
        self.to = to
        self.timer = timer
        self.content = content
        self.peers = peers
    }
}

/// What became of one push.
public enum PushOutcome: Equatable, Sendable {
    case delivered(notification: UInt64, device: DeviceID)
    /// Retried at `retryAt` unless `attempt` reached the limit, then abandoned.
    case failed(notification: UInt64, device: DeviceID, reason: String, retryAt: Int64)
    /// The device cannot receive it (unregistered token, no token): abandoned, and with
    /// `dropToken` the token is removed too.
    case undeliverable(notification: UInt64, device: DeviceID, reason: String, dropToken: Bool)
}

/// Commands on one timer's stream.
public enum TimerCommand: Equatable, Sendable {
    /// Creates the timer on first use. `shareWith` adds shares when the caller owns the
    /// timer and is ignored otherwise (Android clients echo the whole list on every update).
    /// `claimedOwner` is the payload's `userId`: a new timer claimed for another known user is
    /// refused rather than taken over by the caller.
    case update(TimerSnapshot, shareWith: [UserID] = [], claimedOwner: UserID? = nil)
    /// The deployed `POST /timers/shared`: creates or updates the timer when one is given,
    /// then shares it with `users`, as ONE command. Only the owner may; users whose id cannot
    /// be one are left out (the caller reports them as failed), the caller and owner skipped.
    case invite(TimerID, users: [UserID], timer: TimerSnapshot?, claimedOwner: UserID? = nil)
    case stop(TimerID)
    case share(TimerID, with: UserID)
    /// Removes a user from the share; a shared user may remove themself (leave).
    case unshare(TimerID, user: UserID)
    /// Start, pause, resume, reset, add or set, computed with the server's clock.
    case countdown(TimerID, CountdownAction)
    /// A reminder for the caller; its id is chosen by the server.
    case setReminder(TimerID, Reminder)
    case cancelReminder(TimerID, reminderID: String)
    /// A public read-only link to the timer; the token is drawn by the edge. Owner only.
    case createLink(TimerID, token: String)
    case revokeLink(TimerID, token: String)

    // The scheduler's commands (actor: the server; no client frame or route makes them).
    /// The end `dueAt` has passed: completes the timer if that is still its end.
    case complete(TimerID, dueAt: Int64, kind: FiringKind)
    /// The reminder fell due at `dueAt`: fires it if that is still when it is due.
    case fireReminder(TimerID, reminderID: String, dueAt: Int64, kind: FiringKind)
    /// Records the instant an unresolved local end `end` means.
    case resolveEnd(TimerID, end: String, endsAt: Int64)

    /// The owner the payload names, for the commands that can create a timer.
    public var claimedOwner: UserID? {
        switch self {
        case .update(_, _, let claimed), .invite(_, _, _, let claimed): claimed
        default: nil
        }
    }

    /// Whether the command creates its timer when the timer is unknown.
    public var canCreate: Bool {
        switch self {
        case .update: true
        case .invite(_, _, let timer, _): timer != nil
        default: false
        }
    }

    /// The local end the command's timer names, which the edge resolves to an instant.
    public var localEnd: String? {
        let timer: TimerSnapshot? = switch self {
        case .update(let t, _, _): t
        case .invite(_, _, let t, _): t
        default: nil
        }
        guard let timer, timer.needsResolving else { return nil }
        return timer.end
    }

    /// The command with its timer's local end resolved by `resolve` (the edge's zone rules).
    public func resolvingLocalEnd(_ resolve: (String) -> Int64?) -> TimerCommand {
        switch self {
        case .update(var t, let shareWith, let claimed):
            t.endsAt = t.end.flatMap(resolve)
            return .update(t, shareWith: shareWith, claimedOwner: claimed)
        case .invite(let id, let users, var t?, let claimed):
            t.endsAt = t.end.flatMap(resolve)
            return .invite(id, users: users, timer: t, claimedOwner: claimed)
        default:
            return self
        }
    }

    public var timerID: TimerID {
        switch self {
        case .update(let timer, _, _): timer.id
        case .stop(let id), .share(let id, _), .unshare(let id, _), .invite(let id, _, _, _),
             .countdown(let id, _), .setReminder(let id, _), .cancelReminder(let id, _), .createLink(let id, _), .revokeLink(let id, _),
             .complete(let id, _, _), .fireReminder(let id, _, _, _), .resolveEnd(let id, _, _): id
        }
    }
}

/// Commands on the acting user's own stream.
public enum DeviceCommand: Equatable, Sendable {
    /// `timeZone`: the `?tz=` the device connected with, remembered for its local times.
    case connect(connectionID: String, timeZone: String? = nil)
    /// The user's zone (`PATCH /me`); `nil` clears it. The edge checks the name is a zone.
    case setTimeZone(String?)
    case disconnect(connectionID: String, reason: String)
    /// Push (FCM) token of a device of the caller; the device need not be the one connected.
    case registerPushToken(device: DeviceID, token: String)
    case removePushToken(device: DeviceID)
    /// `POST /me/devices`: a device of any provider.
    case registerDevice(device: DeviceID, provider: PushProvider, token: String)
    /// The caller authenticated: registers them on first sight, or records a new email the
    /// token carries. Plain text; sealed by the decider with `context.sealer`.
    case register(email: String?, displayName: String?)
    case updateProfile(ProfilePatch)
    /// `DELETE /me`: leaves every share, stops owned timers, drops devices and tokens,
    /// erases the profile. The edge passes what the user owns and shares (``ErasureScope``).
    case erase(ErasureScope)
    case setNotificationPreferences(NotificationPreferences)
    /// The caller's picture (its bytes, decoded by the edge); `nil` removes it.
    case setAvatar([UInt8]?)
    /// Marks the given inbox entries read (`nil`: all of them); the edge passes which of the
    /// user's entries are unread.
    case readNotifications(ids: [UInt64]?, unread: Set<UInt64> = [])
}

/// What a user's erasure touches, read by the edge from the views.
public struct ErasureScope: Equatable, Sendable {
    public var owned: [TimerID: ActiveTimer]
    public var shared: [TimerID]

    public init(owned: [TimerID: ActiveTimer] = [:], shared: [TimerID] = []) {
        self.owned = owned
        self.shared = shared
    }
}

/// Data the decider needs besides state, passed in so that `decide` stays pure.
public struct DecisionContext: Sendable {
    public var actor: Actor
    /// Sequence number of the latest server-start marker: connections from earlier epochs are dead.
    public var serverEpoch: UInt64
    public var limits: Limits
    /// Which of the users the command names (a claimed owner) the server knows: they have
    /// connected, registered a push token, or own or share a timer.
    public var knownUsers: Set<UserID>
    /// How many live timers the caller owns (read when a command would create one).
    public var ownedLiveTimers = 0
    /// The server's clock when the command is decided (Unix ms): the only time the domain knows.
    public var now: Int64
    /// Seals personal text under the actor's key (commands that carry any).
    public var sealer: Sealer?
    /// The push outbox entry a push outcome concerns: its attempt so far, `nil` when there
    /// is none (already delivered or abandoned).
    public var pushAttempt: Int?
    /// Hashes sign-in codes and refresh tokens (account commands).
    public var digest: Digest?

    public init(actor: Actor, serverEpoch: UInt64 = 0, limits: Limits = Limits(), knownUsers: Set<UserID> = [], now: Int64 = 0) {
        self.actor = actor
        self.serverEpoch = serverEpoch
        self.limits = limits
        self.knownUsers = knownUsers
        self.now = now
    }
}

/// Sizes beyond which input cannot be a timer. Configurable by the server.
public struct Limits: Equatable, Sendable {
    public var maxIDLength = 128
    public var maxNameLength = 256
    public var maxDurationLength = 64
    public var maxTags = 32
    public var maxTagLength = 64
    public var maxSharesPerTimer = 100
    public var maxPushTokenLength = 4096
    /// A client's request id is stored in every event of its command.
    public var maxRequestIDLength = 128
    /// Live timers one user may own; creating one more is refused until one is stopped.
    public var maxLiveTimersPerUser = 1000
    /// Reminders on one timer, all its users' together.
    public var maxRemindersPerTimer = 20
    /// IANA zone names are short (`America/Argentina/ComodRivadavia` is the longest).
    public var maxTimeZoneLength = 64
    public var maxDisplayNameLength = 100
    public var maxEmailLength = 254
    public var maxSettings = 50
    public var maxSettingLength = 1024
    /// Attempts before a push is abandoned (dead-lettered).
    public var maxPushAttempts = 8
    public var maxMessageLength = 2000
    /// Largest avatar image, bytes.
    public var maxAvatarBytes = 256 * 1024
    /// Public read-only links one timer may have at once.
    public var maxLinksPerTimer = 10

    public init() {}
}
