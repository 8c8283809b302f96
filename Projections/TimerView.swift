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
        switch e.event {
        case .timerCreated(let timer, let owner):
            return TimerViewRow(
                timer: timer, owner: owner, sharedWith: [], createdSeq: e.seq, lastSeq: e.seq,
                createdAt: e.timestamp, updatedAt: e.timestamp, updatedBy: e.actor
            )
        case .timerUpdated(let timer):
            guard var row else { return nil }
            row.timer = timer
            return touched(row, e)
        case .timerShared(_, let user):
            guard var row else { return nil }
            if !row.sharedWith.contains(user) {
                row.sharedWith.append(user)
                row.sharedWith.sort()
            }
            return touched(row, e)
        case .timerUnshared(_, let user):
            guard var row else { return nil }
            row.sharedWith.removeAll { $0 == user }
            return touched(row, e)
        case .timerStopped:
            return nil
        default:
            return row
        }
    }

    private static func touched(_ row: TimerViewRow, _ e: EventEnvelope) -> TimerViewRow {
        var row = row
        row.lastSeq = e.seq
        row.updatedAt = e.timestamp
        row.updatedBy = e.actor
        return row
    }
}
