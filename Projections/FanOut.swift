public import TimerDomain
public import EventLog

/// One device that must receive a frame.
public struct Delivery: Hashable, Sendable {
    public var user: UserID
    public var device: DeviceID

    public init(user: UserID, device: DeviceID) {
        self.user = user
        self.device = device
    }
}

/// Who hears of a committed event: pure, so the server only turns the answer into frames.
public enum FanOut {
    /// The users an event concerns, each once: owner and shared users as of after the event,
    /// plus a user just removed (so they learn of it) and everyone a stopped timer was shared with.
    /// Device and server events concern nobody else.
    public static func audience(of event: Event, timerAfter: ActiveTimer?) -> [UserID] {
        var users: [UserID]
        switch event {
        case .timerCreated, .timerUpdated, .timerShared, .timerCountdown:
            users = timerAfter?.audience ?? []
        case .timerCompleted(_, _, _, let kind):
            // An end that passed before the server kept time is history, not news.
            users = kind == .silent ? [] : timerAfter?.audience ?? []
        case .reminderFired(_, _, let user, _, _, let kind):
            users = kind == .silent ? [] : [user]
        // Public links are the owner's business; their anonymous viewers are served apart.
        case .timerEndResolved, .reminderSet, .reminderCancelled, .userTimeZoneSet, .deviceTimeZoneSet, .schedulerEnabled,
             .publicLinkCreated, .publicLinkRevoked:
            users = []
        case .timerUnshared(_, let removed):
            users = (timerAfter?.audience ?? []) + [removed]
        case .timerStopped(_, let owner, let sharedWith):
            users = [owner] + sharedWith
        case .deviceConnected, .deviceDisconnected, .pushTokenRegistered, .pushTokenRemoved, .serverStarted, .logSalvaged:
            users = []
        // People events are on the user's own stream; the dispatcher sends inbox frames itself.
        case .userRegistered, .userEmailSet, .userDisplayNameSet, .userSettingsSet, .userErased, .pushDeviceRegistered,
             .notificationCreated, .notificationsRead, .pushDelivered, .pushFailed, .pushAbandoned, .notificationPreferencesSet, .messageSent, .userAvatarSet:
            users = []
        // Sign-in is the user's own business; a disabled user's sockets are closed by the server.
        case .signInCodeIssued, .signInFailed, .sessionStarted, .sessionRefreshed, .sessionsEnded, .userDisabled, .userEnabled:
            users = []
        }
        var seen = Set<UserID>()
        return users.filter { seen.insert($0).inserted }
    }

    /// Every live device of the audience except the one the command came from; no device twice.
    public static func deliveries(
        audience: [UserID], origin: Actor, liveDevices: (UserID) -> [DeviceID]
    ) -> [Delivery] {
        var out: [Delivery] = []
        var seen = Set<Delivery>()
        for user in audience {
            for device in liveDevices(user) where !(user == origin.userID && device == origin.deviceID) {
                let delivery = Delivery(user: user, device: device)
                if seen.insert(delivery).inserted { out.append(delivery) }
            }
        }
        return out
    }
}

/// What one recipient learns from one command on one timer: the state after the whole
/// command, never its intermediate steps (a create that also shares is one notice, not three).
public enum Notice: Equatable, Sendable {
    /// The timer as it is now (created, updated, or shares changed in several steps).
    case updated(TimerViewRow)
    /// One share was added and nothing else changed (the seed dialect's `share add`).
    case shared(TimerViewRow, with: UserID)
    /// Another user was removed and nothing else changed (the seed dialect's `share remove`).
    case unshared(TimerViewRow, user: UserID)
    /// The recipient was removed from the timer: it is gone for them.
    case removed(TimerID)
    /// Stopped by `by` (the user who sent the stop).
    case stopped(TimerID, by: UserID)
    /// The server saw its end pass.
    case completed(TimerViewRow, Firing)
    /// One of the recipient's reminders on it fell due.
    case reminder(TimerViewRow, reminderID: String, Firing)

    public var timerID: TimerID {
        switch self {
        case .updated(let row), .shared(let row, _), .unshared(let row, _), .completed(let row, _), .reminder(let row, _, _): row.timer.id
        case .removed(let id), .stopped(let id, _): id
        }
    }
}

/// When something the scheduler fires was due, and when it fired.
public struct Firing: Equatable, Sendable {
    public var dueAt: Int64
    public var firedAt: Int64
    public var kind: FiringKind

    public init(dueAt: Int64, firedAt: Int64, kind: FiringKind) {
        self.dueAt = dueAt
        self.firedAt = firedAt
        self.kind = kind
    }
}

/// One command's effect on one timer, ready to fan out: who hears what, under the seq of the
/// command's last event on that timer.
public struct CommandNotices: Equatable, Sendable {
    public var seq: UInt64
    public var timestamp: Int64
    public var actor: Actor
    public var recipients: [(user: UserID, notice: Notice)]

    public static func == (a: CommandNotices, b: CommandNotices) -> Bool {
        a.seq == b.seq && a.timestamp == b.timestamp && a.actor == b.actor
            && a.recipients.map(\.user) == b.recipients.map(\.user) && a.recipients.map(\.notice) == b.recipients.map(\.notice)
    }
}

extension FanOut {
    /// Splits a command's events by timer, in order of first appearance (a command touches
    /// one timer today; the grouping keeps that an assumption of nobody's).
    public static func timerGroups(_ events: [EventEnvelope]) -> [(id: TimerID, events: [EventEnvelope])] {
        var groups: [(id: TimerID, events: [EventEnvelope])] = []
        for e in events {
            guard case .timer(let id) = e.stream else { continue }
            if let i = groups.firstIndex(where: { $0.id == id }) { groups[i].events.append(e) } else { groups.append((id, [e])) }
        }
        return groups
    }

    /// What each user concerned by `events` (one command, one timer, oldest first) learns,
    /// given the timer's row after the command. Recipients are the union of the events'
    /// audiences, in order; a user removed by the command learns of the removal. The notices
    /// carry `commandEnd`, the seq of the command's last event (its notifications follow its
    /// timer events), so a client resuming from it never gets part of the command again.
    public static func notices(of events: [EventEnvelope], timerAfter row: TimerViewRow?, commandEnd: UInt64? = nil) -> CommandNotices? {
        guard let last = events.last, let id = last.event.timerID else { return nil }
        var seen = Set<UserID>()
        var users: [UserID] = []
        for e in events { for u in e.audience where seen.insert(u).inserted { users.append(u) } }
        let stoppedBy: UserID? = events.lazy.compactMap { e -> UserID? in
            if case .timerStopped = e.event { return e.actor.userID }
            return nil
        }.first
        var recipients: [(user: UserID, notice: Notice)] = []
        for user in users {
            let notice: Notice
            if let stopper = stoppedBy {
                notice = .stopped(id, by: stopper)
            } else if let row, case .timerCompleted(_, let due, let fired, let kind) = last.event {
                notice = .completed(row, Firing(dueAt: due, firedAt: fired, kind: kind))
            } else if let row, case .reminderFired(_, let reminder, _, let due, let fired, let kind) = last.event {
                notice = .reminder(row, reminderID: reminder, Firing(dueAt: due, firedAt: fired, kind: kind))
            } else if let row, row.owner == user || row.sharedWith.contains(user) {
                if events.count == 1, case .timerShared(_, let with) = last.event {
                    notice = .shared(row, with: with)
                } else if events.count == 1, case .timerUnshared(_, let removed) = last.event {
                    notice = .unshared(row, user: removed)
                } else {
                    notice = .updated(row)
                }
            } else {
                notice = .removed(id)
            }
            recipients.append((user, notice))
        }
        return CommandNotices(seq: commandEnd ?? last.seq, timestamp: last.timestamp, actor: last.actor, recipients: recipients)
    }
}
