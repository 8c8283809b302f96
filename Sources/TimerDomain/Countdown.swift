/// Where a timer's countdown stands as the server reckons it, in milliseconds.
public enum Countdown: Equatable, Sendable {
    case running(endsAt: Int64)
    case paused(remaining: Int64)
    /// Ran out: the server completed it at its due instant `endedAt`. It stays until stopped.
    case completed(endedAt: Int64)
}

/// A countdown command (seed 004), each its own event in the log.
public enum CountdownAction: Equatable, Sendable {
    /// A new run from the total duration.
    case start
    case pause
    /// Continues from the remaining time.
    case resume
    /// Paused at the total duration.
    case reset
    /// Adds (or, negative, takes away) this many milliseconds.
    case add(Int64)
    /// Sets the remaining time.
    case set(Int64)

    /// The event's and the route's name.
    public var name: String {
        switch self {
        case .start: "start"
        case .pause: "pause"
        case .resume: "resume"
        case .reset: "reset"
        case .add: "add"
        case .set: "set"
        }
    }
}

/// The arithmetic of countdown commands: pure, with the clock passed in.
public enum CountdownMath {
    /// 9999-12-31T23:59:59.999Z, the last instant a four-digit year writes.
    public static let maxInstant: Int64 = 253_402_300_799_999

    /// `a + b`, saturating at ±``maxInstant``: durations parsed from clients reach 10^18 ms,
    /// and an overflow would trap. A timer pushed past year 9999 ends there.
    public static func sum(_ a: Int64, _ b: Int64) -> Int64 {
        let (value, overflow) = a.addingReportingOverflow(b)
        if overflow { return b > 0 ? maxInstant : -maxInstant }
        return min(max(value, -maxInstant), maxInstant)
    }

    /// The countdown after `action` at `now`, or `nil` when it changes nothing (a pause of a
    /// paused timer). A completed timer counts as 0 left: `add` and `set` run it again, `start`
    /// and `reset` work as always, `pause` and `resume` are refused.
    public static func apply(
        _ action: CountdownAction, to current: Countdown, total: Int64, now: Int64, timerID: TimerID
    ) throws(Rejection) -> Countdown? {
        let next: Countdown
        switch (action, current) {
        case (.start, _):
            next = .running(endsAt: sum(now, total))
        case (.reset, _):
            next = .paused(remaining: total)
        case (.pause, .running(let end)):
            next = .paused(remaining: sum(end, -now))
        case (.pause, .paused):
            return nil
        case (.resume, .paused(let remaining)):
            next = .running(endsAt: sum(now, remaining))
        case (.resume, .running):
            return nil
        case (.pause, .completed), (.resume, .completed):
            throw .invalidState(timerID, reason: "it has completed; start, reset, add or set time first")
        case (.add(let delta), .running(let end)):
            next = .running(endsAt: sum(end, delta))
        case (.add(let delta), .paused(let remaining)):
            next = .paused(remaining: sum(remaining, delta))
        case (.add(let delta), .completed):
            next = .running(endsAt: sum(now, delta))
        case (.set(let remaining), .running), (.set(let remaining), .completed):
            next = .running(endsAt: sum(now, remaining))
        case (.set(let remaining), .paused):
            next = .paused(remaining: remaining)
        }
        return next == current ? nil : next
    }

    /// Milliseconds left at `now` (negative once overdue; 0 once completed).
    public static func remaining(_ countdown: Countdown, now: Int64) -> Int64 {
        switch countdown {
        case .running(let end): end - now
        case .paused(let remaining): remaining
        case .completed: 0
        }
    }
}

extension ActiveTimer {
    /// The instant it ends while it runs; `nil` paused, completed, or with a local end no
    /// server resolved. What the scheduler and reminders go by (no duration is parsed).
    @inlinable
    public var runningEnd: Int64? { completedAt == nil && timer.end != nil ? timer.endsAt : nil }

    /// The countdown the timer's fields describe; `nil` for a running timer whose local end
    /// no server resolved (it cannot be counted down: a command on it is refused).
    public var countdown: Countdown? {
        if let ended = completedAt { return .completed(endedAt: ended) }
        if timer.end != nil { return runningEnd.map { .running(endsAt: $0) } }
        // Neither end nor remaining (older clients, seed REST): ready to run its whole duration.
        return .paused(remaining: timer.remainingMilliseconds ?? timer.totalMilliseconds ?? 0)
    }
}

extension TimerSnapshot {
    /// Whether a completion outlives an update from `old` to this snapshot: only while the
    /// end stays where it was (the app echoes a timer it was sent, ended or not).
    public func keepsCompletion(from old: TimerSnapshot) -> Bool { end != nil && endsAt == old.endsAt }

    /// The snapshot with its end or remaining duration rewritten for `countdown` (running or
    /// paused), as strings every client parses: an instant in UTC (`…Z`, rendered as local time
    /// for Android devices) and a Java-style duration.
    public func with(_ countdown: Countdown) -> TimerSnapshot {
        var next = self
        switch countdown {
        case .running(let end):
            next.end = ISO8601.format(milliseconds: end)
            next.endsAt = end
            next.remainingDuration = nil
        case .paused(let remaining):
            next.end = nil
            next.endsAt = nil
            next.remainingDuration = ISO8601.formatDuration(milliseconds: remaining)
        case .completed:
            break
        }
        return next
    }
}
