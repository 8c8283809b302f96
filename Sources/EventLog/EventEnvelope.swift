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

    public init(seq: UInt64, timestamp: Int64, actor: Actor, commandID: String?, event: Event) {
        self.seq = seq
        self.timestamp = timestamp
        self.actor = actor
        self.commandID = commandID
        self.event = event
    }

    public var stream: StreamID { event.stream }
}

/// Where the log ends: the last seq, its time and the hash-chain value after it.
public struct LogHead: Equatable, Sendable {
    public var seq: UInt64
    public var timestamp: Int64
    public var chain: ChainHash

    public static let genesis = LogHead(seq: 0, timestamp: 0, chain: .genesis)
}
