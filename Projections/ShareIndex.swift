public import TimerDomain
public import EventLog

/// One change to the share index (user → timers shared with them, timer → users).
public enum ShareChange: Equatable, Sendable {
    case add(user: UserID, timer: TimerID, seq: UInt64)
    case remove(user: UserID, timer: TimerID)
}

/// The share index as a fold: each event yields the pairs it adds or removes.
public enum ShareIndex {
    public static func changes(for e: EventEnvelope) -> [ShareChange] {
        switch e.event {
        case .timerShared(let timer, let user): [.add(user: user, timer: timer, seq: e.seq)]
        case .timerUnshared(let timer, let user): [.remove(user: user, timer: timer)]
        case .timerStopped(let timer, _, let sharedWith): sharedWith.map { .remove(user: $0, timer: timer) }
        default: []
        }
    }
}

/// One change to the owned-timers index (owner → their live timers).
public enum OwnershipChange: Equatable, Sendable {
    case add(owner: UserID, timer: TimerID, seq: UInt64)
    case remove(owner: UserID, timer: TimerID)
}

/// Owned timers by user as a fold.
public enum OwnedTimers {
    public static func changes(for e: EventEnvelope) -> [OwnershipChange] {
        switch e.event {
        case .timerCreated(let timer, let owner): [.add(owner: owner, timer: timer.id, seq: e.seq)]
        case .timerStopped(let timer, let owner, _): [.remove(owner: owner, timer: timer)]
        default: []
        }
    }
}
