/// Identifies a user: the JWT's user claim. Never taken from a payload field.
public typealias UserID = String
/// Identifies one device of a user (the `DeviceId` header).
public typealias DeviceID = String
/// A client-chosen timer id (the Android app uses UUIDs).
public typealias TimerID = String

/// A timer as a client described it, keeping the client's own strings so that they can be
/// relayed byte for byte (the Android parser crashes on rewritten durations or end times).
public struct TimerSnapshot: Equatable, Hashable, Sendable {
    public var id: TimerID
    public var name: String
    /// ISO-8601 duration as sent, e.g. `PT30M`.
    public var totalDuration: String
    /// Present while paused, e.g. `PT4M59.123S` or `PT-3.2S`.
    public var remainingDuration: String?
    /// Present while running: `timerEnd` on the socket, `endTime` over REST; device-local
    /// date-time without offset from the Android app, possibly with an offset from others.
    public var end: String?
    public var tags: [String]
    /// The instant `end` names, as Unix milliseconds: read from the string when it carries an
    /// offset, resolved by the server in the sender's zone when it is local (the domain has no
    /// zones). `nil` while paused, and for a local end no server resolved (logs written before
    /// the server kept time, tools that build commands by hand).
    public var endsAt: Int64?

    public init(
        id: TimerID, name: String, totalDuration: String,
        remainingDuration: String? = nil, end: String? = nil, tags: [String] = [], endsAt: Int64? = nil
    ) {
        self.id = id
        self.name = name
        self.totalDuration = totalDuration
        self.remainingDuration = remainingDuration
        self.end = end
        self.tags = tags
        self.endsAt = endsAt ?? end.flatMap(ISO8601.instantMilliseconds)
    }

    /// `totalDuration` in milliseconds when it parses.
    public var totalMilliseconds: Int64? { ISO8601.durationMilliseconds(totalDuration) }
    /// `remainingDuration` in milliseconds when present and it parses.
    public var remainingMilliseconds: Int64? { remainingDuration.flatMap(ISO8601.durationMilliseconds) }
    /// The end as Unix milliseconds, only when the string carries an offset or `Z`
    /// (a device-local time names no instant).
    public var endInstantMilliseconds: Int64? { end.flatMap(ISO8601.instantMilliseconds) }
    /// Running timers have an end; paused ones a remaining duration.
    public var isRunning: Bool { end != nil }
    /// A running end the server has not resolved to an instant yet (a local end from before it kept time).
    public var needsResolving: Bool { end != nil && endsAt == nil }
}
