/// A user's reminder on a timer they can see (seed 003).
public struct Reminder: Equatable, Hashable, Sendable {
    public enum Trigger: Equatable, Hashable, Sendable {
        /// This many milliseconds before the end; follows the end when it moves, and waits
        /// while the timer is paused.
        case before(Int64)
        /// At this instant (Unix ms), whatever the timer does meanwhile.
        case at(Int64)
    }

    /// Chosen by the server when the reminder is set.
    public var id: String
    public var user: UserID
    public var trigger: Trigger

    public init(id: String, user: UserID, trigger: Trigger) {
        self.id = id
        self.user = user
        self.trigger = trigger
    }

    /// When it falls due, given the timer's end while it runs (``ActiveTimer/runningEnd``), or
    /// `nil` while it cannot (a `before` reminder of a paused or completed timer).
    public func dueAt(runningEnd: Int64?) -> Int64? {
        switch trigger {
        case .at(let instant): instant
        case .before(let lead): runningEnd.map { CountdownMath.sum($0, -lead) }
        }
    }
}

/// How the scheduler came to fire an end or a reminder.
public enum FiringKind: UInt8, Equatable, Sendable {
    /// At its due instant, while the server was running.
    case onTime = 0
    /// It fell due while the server was down and fired on start.
    case late = 1
    /// It fell due before this server first kept time (a log from an older build): recorded
    /// as completed, told to nobody.
    case silent = 2

    public var name: String {
        switch self {
        case .onTime: "on_time"
        case .late: "late"
        case .silent: "silent"
        }
    }
}
