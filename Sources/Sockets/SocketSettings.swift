/// How every socket behaves (from the server's configuration).
public struct SocketSettings: Sendable {
    /// Largest message, all its fragments together (and largest frame): past it, 1009.
    public var maxMessageBytes: Int
    /// Bytes a socket may have queued unsent before it is closed as a slow consumer (1013).
    public var outboundQueueBytes: Int
    /// Seconds between pings; a ping unanswered by the next one closes the socket. 0: never.
    public var pingInterval: Double
    /// Seconds to wait for the peer's answer to our close frame.
    public var closeTimeout: Double

    public init(maxMessageBytes: Int = 64 * 1024, outboundQueueBytes: Int = 4 << 20, pingInterval: Double = 30, closeTimeout: Double = 3) {
        self.maxMessageBytes = maxMessageBytes
        self.outboundQueueBytes = outboundQueueBytes
        self.pingInterval = pingInterval
        self.closeTimeout = closeTimeout
    }
}
