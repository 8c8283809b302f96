public import TimerDomain
public import EventLog

/// A live timer as clients see it: the timer, who owns it and who shares it, and when it
/// last changed. Stopped timers have no row.
public struct TimerViewRow: Equatable, Sendable {
    public var timer: TimerSnapshot
    public var owner: UserID
    /// Sorted.
    public var sharedWith: [UserID]
    public var createdSeq: UInt64
    public var lastSeq: UInt64
    public var createdAt: Int64
    public var updatedAt: Int64
    public var updatedBy: Actor
    /// The due instant at which the server completed it; `nil` unless it ran out.
    public var completedAt: Int64?

    public init(
        timer: TimerSnapshot, owner: UserID, sharedWith: [UserID], createdSeq: UInt64, lastSeq: UInt64,
        createdAt: Int64, updatedAt: Int64, updatedBy: Actor
    ) {
        self.timer = timer
        self.owner = owner
        self.sharedWith = sharedWith
        self.createdSeq = createdSeq
        self.lastSeq = lastSeq
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }
}

/// The timer view as a fold: `apply(row, event) -> row`.
public enum TimerView {
    public static func apply(_ row: TimerViewRow?, _ e: EventEnvelope) -> TimerViewRow? {
        var next = row
        apply(e, to: &next)
        return next
    }

    /// The same fold in place (replay's hot path). `state` is the timer's decider state after
    /// the event, when the caller has it: a countdown's rewritten snapshot is taken from it
    /// rather than written out twice.
    public static func apply(_ e: EventEnvelope, to row: inout TimerViewRow?, after state: TimerState? = nil) {
        switch e.event {
        case .timerCreated(let timer, let owner):
            row = TimerViewRow(
                timer: timer, owner: owner, sharedWith: [], createdSeq: e.seq, lastSeq: e.seq,
                createdAt: e.timestamp, updatedAt: e.timestamp, updatedBy: e.actor
            )
        case .timerUpdated(let timer):
            touch(&row, e) { r in
                if r.completedAt != nil, !timer.keepsCompletion(from: r.timer) { r.completedAt = nil }
                r.timer = timer
            }
        case .timerShared(_, let user):
            touch(&row, e) { r in
                if !r.sharedWith.contains(user) {
                    r.sharedWith.append(user)
                    r.sharedWith.sort()
                }
            }
        case .timerUnshared(_, let user):
            touch(&row, e) { $0.sharedWith.removeAll { $0 == user } }
        case .timerStopped:
            row = nil
        case .timerCountdown(_, _, let countdown):
            touch(&row, e) { r in
                if case .active(let a)? = state { r.timer = a.timer } else { r.timer = r.timer.with(countdown) }
                r.completedAt = nil
            }
        case .timerCompleted(_, let dueAt, _, _):
            touch(&row, e) { $0.completedAt = dueAt }
        case .timerEndResolved(_, let endsAt):
            // Not a change anyone made: the row's instant is filled in, its "last changed" kept.
            if row != nil { row!.timer.endsAt = endsAt }
        default:
            break
        }
    }

    private static func touch(_ row: inout TimerViewRow?, _ e: EventEnvelope, _ change: (inout TimerViewRow) -> Void) {
        guard row != nil else { return }
        change(&row!)
        row!.lastSeq = e.seq
        row!.updatedAt = e.timestamp
        row!.updatedBy = e.actor
    }
}
