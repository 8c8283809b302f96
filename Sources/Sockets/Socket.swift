public import NIOCore

/// A live WebSocket, as the rest of the server holds it: safe to use from any thread (calls
/// from elsewhere hop to the socket's event loop, in the order they were made).
///
/// The handle keeps the handler alive, not the channel: once the channel closes, calls are
/// ignored.
public final class Socket: Sendable {
    public let eventLoop: any EventLoop
    /// The TCP peer's address.
    public let peer: String
    private let handler: NIOLoopBound<WebSocketConnectionHandler>

    init(handler: WebSocketConnectionHandler, eventLoop: any EventLoop, peer: String) {
        self.handler = NIOLoopBound(handler, eventLoop: eventLoop)
        self.eventLoop = eventLoop
        self.peer = peer
    }

    /// Text frames of the session's own (answers, state): written in order with one flush.
    public func send(_ frames: [ByteBuffer]) {
        onLoop { $0.send(frames) }
    }

    public func send(_ frame: ByteBuffer) { send([frame]) }

    /// Broadcasts, each with the log position it was made at: held until ``release(after:)``,
    /// dropped when the session already covered them, written with one flush.
    public func deliver(_ frames: [Broadcast]) {
        onLoop { $0.deliver(frames) }
    }

    public func close(code: UInt16, reason: String) {
        onLoop { $0.close(CloseReason(code: code, reason: reason)) }
    }

    /// On the event loop only: the session has written everything up to `position`. `false`
    /// when broadcasts were dropped meanwhile (too many to hold): the session writes on from
    /// the log past `position` and releases again.
    public func release(after position: UInt64) -> Bool {
        handler.value.release(after: position)
    }

    /// On the event loop only: writes `frames` with one flush and calls `drained` once the
    /// kernel has taken them (`false` if the socket closed first), for writers that pace
    /// themselves by the peer (a resume of many pages).
    public func write(_ frames: [ByteBuffer], drained: @escaping (Bool) -> Void) {
        handler.value.write(frames, drained: drained)
    }

    /// On the event loop only: stops reading from the peer (`false`) until reading is turned
    /// back on, for a session with more messages waiting than it wants.
    public func setReading(_ on: Bool) {
        handler.value.setReading(on)
    }

    /// Runs `body` on the socket's loop after `delay`; the returned timer cancels it.
    @discardableResult
    public func schedule(after delay: Duration, _ body: @escaping @Sendable () -> Void) -> SocketTimer {
        let nanoseconds = delay.components.seconds * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000
        return SocketTimer(eventLoop.scheduleTask(in: .nanoseconds(nanoseconds), body))
    }

    private func onLoop(_ body: @escaping @Sendable (WebSocketConnectionHandler) -> Void) {
        if eventLoop.inEventLoop {
            body(handler.value)
        } else {
            let handler = handler
            eventLoop.execute { body(handler.value) }
        }
    }
}

/// A scheduled call on a socket's loop.
public struct SocketTimer: Sendable {
    private let scheduled: Scheduled<Void>
    init(_ scheduled: Scheduled<Void>) { self.scheduled = scheduled }
    public func cancel() { scheduled.cancel() }
}
