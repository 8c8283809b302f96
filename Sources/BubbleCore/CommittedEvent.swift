public import TimerDomain
public import EventLog
public import Projections

/// An event after its batch committed durably, with the users it concerns (for fan-out).
public struct CommittedEvent: Equatable, Sendable {
    public var envelope: EventEnvelope
    /// From ``FanOut/audience(of:timerAfter:)``, computed in the write transaction.
    public var audience: [UserID]
    /// The timer's view row right after this event (nil for non-timer events and once
    /// stopped), so fan-out renders frames without reading the store.
    public var timerAfter: TimerViewRow?
    /// Monotonic nanoseconds when its batch's commit returned (commit-to-send latency).
    public var committedAt: UInt64 = 0

    public init(envelope: EventEnvelope, audience: [UserID], timerAfter: TimerViewRow?) {
        self.envelope = envelope
        self.audience = audience
        self.timerAfter = timerAfter
    }

    public var seq: UInt64 { envelope.seq }
    public var event: Event { envelope.event }
}

/// What a command did: the events it appended (empty when it changed nothing).
public struct CommandResult: Equatable, Sendable {
    public var events: [CommittedEvent]
    /// Seq of the last event appended, or `nil` for a no-op.
    public var seq: UInt64? { events.last?.seq }
}

/// One command as submitted: what, by whom, with the client's id for it.
public struct CommandRequest: Sendable {
    public var command: Command
    public var actor: Actor
    public var commandID: String?

    public init(_ command: Command, actor: Actor, commandID: String? = nil) {
        self.command = command
        self.actor = actor
        self.commandID = commandID
    }
}
