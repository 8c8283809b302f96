public import TimerDomain

/// One committed event with everything the log records about it.
public struct EventEnvelope: Equatable, Sendable {
    /// Global position: strictly increasing, no gaps, starting at 1.
    public var seq: UInt64
    /// Server time of the commit, Unix milliseconds; never decreases along the log.
    public var timestamp: Int64
    public var actor: Actor
    /// The client's own id for the command (`requestId`), when it sent one.
    public var commandID: String?
    public var event: Event
    /// Seq of the previous event of the same stream (0 for its first): the back-pointer
    /// chain that makes a stream's history an index walk, not a log scan.
    public var previousInStream: UInt64
    /// The users the event concerned when it committed (owner first, then shared users, then
    /// a user just removed): who was told. Resume after reconnect reads it.
    public var audience: [UserID]
    /// Whether this is the last event of the command that appended it. A command's events are
    /// consecutive seqs committed together; clients get one frame per command, sent when its
    /// last event is seen (live and on resume). Version-1 records have one event per command.
    public var lastInCommand: Bool

    public init(
        seq: UInt64, timestamp: Int64, actor: Actor, commandID: String?, event: Event,
        previousInStream: UInt64 = 0, audience: [UserID] = [], lastInCommand: Bool = true
    ) {
        self.seq = seq
        self.timestamp = timestamp
        self.actor = actor
        self.commandID = commandID
        self.event = event
        self.previousInStream = previousInStream
        self.audience = audience
        self.lastInCommand = lastInCommand
    }

    public var stream: StreamID { event.stream }
}

/// Where the log ends: the last seq, its time and the hash-chain value after it.
public struct LogHead: Equatable, Sendable {
    public var seq: UInt64
    public var timestamp: Int64
    public var chain: ChainHash

    public init(seq: UInt64, timestamp: Int64, chain: ChainHash) {
        self.seq = seq
        self.timestamp = timestamp
        self.chain = chain
    }

    public static let genesis = LogHead(seq: 0, timestamp: 0, chain: .genesis)
}
