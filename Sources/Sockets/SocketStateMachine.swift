public import NIOCore

/// Why a socket closed, or is closing: the close code sent (or received) and the reason
/// recorded with the disconnect.
public struct CloseReason: Sendable, Equatable {
    public var code: UInt16
    public var reason: String
    public init(code: UInt16, reason: String) {
        self.code = code
        self.reason = reason
    }

    static let slowConsumer = CloseReason(code: 1013, reason: "slow consumer: outbound queue full")
    static let pingTimeout = CloseReason(code: 1001, reason: "ping timeout: the client stopped answering")
}

/// A frame many sockets may get, with the log position it was made at: the same buffer is
/// handed to every one of them.
public struct Broadcast: Sendable, Equatable {
    public var position: UInt64
    public var bytes: ByteBuffer
    public init(position: UInt64, bytes: ByteBuffer) {
        self.position = position
        self.bytes = bytes
    }
}

/// The life of one socket as values: `holding` (open, broadcasts held until the session has
/// written the state they apply to) → `open` → `closing` (our close frame is out, waiting for
/// the peer's) → `closed`. Every method returns what the handler must do; nothing here
/// touches a channel, so the rules are tested alone (Tests/SocketsTests).
///
/// Outbound bytes are bounded: a write that would take what the channel has buffered past
/// `limit` closes the socket as a slow consumer (1013) rather than queue without end, so one
/// stalled reader never costs the server memory or delays anyone else.
struct SocketStateMachine {
    enum State: Equatable {
        case holding(Held)
        case open
        case closing(CloseReason)
        case closed(CloseReason)
    }

    /// Broadcasts that came while holding, with the position (the log seq) each was made at.
    struct Held: Equatable {
        var frames: [Broadcast] = []
        var bytes = 0
        /// More came than fit under the limit: they were dropped, and the session must read
        /// them from the log instead (``release(after:buffered:)`` says so).
        var overflowed = false
    }


    enum Action: Equatable {
        case none
        /// Write these text frames in order, then flush once.
        case write([ByteBuffer])
        /// Send a close frame with this reason and wait (bounded) for the peer's answer.
        case sendClose(CloseReason)
        /// Send a close frame and close the channel once it is written, without waiting for
        /// an answer (RFC 6455 7.1.7, "fail the connection": the peer broke the protocol).
        case fail(CloseReason)
        /// Close the channel now without waiting: the peer cannot or does not read.
        case abort(CloseReason)
    }

    enum Release: Equatable {
        /// Holding ends: write these (possibly none) and go on live.
        case live(Action)
        /// Broadcasts were dropped while holding: read the log past the position again, then
        /// release again.
        case readOn
    }

    enum PingAction: Equatable {
        case none
        case ping
        case abort(CloseReason)
    }

    private(set) var state: State = .holding(Held())
    /// Broadcasts at or below this position are already covered by what the session wrote.
    private(set) var coveredThrough: UInt64 = 0
    private(set) var awaitingPong = false
    let limit: Int

    init(limit: Int) { self.limit = limit }

    var isClosing: Bool {
        switch state {
        case .closing, .closed: true
        case .holding, .open: false
        }
    }

    /// Frames the session writes itself (answers, the initial state, resumed frames): never
    /// held. `buffered` is what the channel holds unsent.
    mutating func send(_ frames: [ByteBuffer], buffered: Int) -> Action {
        guard !isClosing, !frames.isEmpty else { return .none }
        return admit(frames, buffered: buffered)
    }

    /// Broadcasts, each with its position: held while holding, dropped when already covered.
    mutating func deliver(_ frames: [Broadcast], buffered: Int) -> Action {
        switch state {
        case .closing, .closed:
            return .none
        case .holding(var held):
            for frame in frames where frame.position > coveredThrough {
                guard !held.overflowed else { break }
                if held.bytes + frame.bytes.readableBytes > limit {
                    held = Held(frames: [], bytes: 0, overflowed: true)
                    break
                }
                held.frames.append(frame)
                held.bytes += frame.bytes.readableBytes
            }
            state = .holding(held)
            return .none
        case .open:
            let fresh = frames.filter { $0.position > coveredThrough }.map(\.bytes)
            return fresh.isEmpty ? .none : admit(fresh, buffered: buffered)
        }
    }

    /// The session has written the state up to `position`: held broadcasts after it go out
    /// and later ones pass straight through.
    mutating func release(after position: UInt64, buffered: Int) -> Release {
        coveredThrough = max(coveredThrough, position)
        guard case .holding(let held) = state else { return .live(.none) }
        if held.overflowed {
            state = .holding(Held())
            return .readOn
        }
        state = .open
        let frames = held.frames.filter { $0.position > position }.map(\.bytes)
        return .live(frames.isEmpty ? .none : admit(frames, buffered: buffered))
    }

    /// The session (or the server) closes the socket.
    mutating func close(_ reason: CloseReason) -> Action {
        guard !isClosing else { return .none }
        state = .closing(reason)
        return .sendClose(reason)
    }

    /// The peer's close frame: echo its code unless ours is already out (then this is its
    /// answer), and close the connection.
    mutating func peerClosed(code: UInt16?) -> (echo: UInt16?, reason: CloseReason) {
        switch state {
        case .closing(let reason), .closed(let reason):
            state = .closed(reason)
            return (nil, reason)
        case .holding, .open:
            // 1005 (no code) and 1006 are never sent; a bare close is answered with 1000.
            let echo: UInt16 = code.map { $0 == 1005 || $0 == 1006 ? 1000 : $0 } ?? 1000
            let reason = CloseReason(code: code ?? 1005, reason: "client closed")
            state = .closing(reason)
            return (echo, reason)
        }
    }

    /// A protocol violation by the peer: close with its code, not waiting for an answer.
    mutating func violation(_ reason: CloseReason) -> Action {
        guard !isClosing else { return .none }
        state = .closing(reason)
        return .fail(reason)
    }

    /// The ping timer fired: ping, unless the last ping is still unanswered.
    mutating func pingDue() -> PingAction {
        guard !isClosing else { return .none }
        if awaitingPong {
            state = .closing(.pingTimeout)
            return .abort(.pingTimeout)
        }
        awaitingPong = true
        return .ping
    }

    /// Anything from the peer shows it is alive.
    mutating func heard() { awaitingPong = false }

    /// The channel is gone; returns why (what was asked, else the peer went away).
    mutating func closed() -> CloseReason {
        let reason: CloseReason = switch state {
        case .closing(let reason), .closed(let reason): reason
        case .holding, .open: CloseReason(code: 1006, reason: "client closed")
        }
        state = .closed(reason)
        return reason
    }

    private mutating func admit(_ frames: [ByteBuffer], buffered: Int) -> Action {
        let adding = frames.reduce(0) { $0 + $1.readableBytes }
        // One frame larger than the limit still goes out to a socket that keeps up.
        guard buffered == 0 || buffered + adding <= limit else {
            state = .closing(.slowConsumer)
            return .abort(.slowConsumer)
        }
        return .write(frames)
    }
}
