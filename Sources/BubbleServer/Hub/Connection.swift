internal import Synchronization
internal import TimerDomain
internal import Sockets
internal import NIOCore
internal import Foundation
internal import CoreMetrics

/// One live socket as the hub and the fan-out know it: whose it is, how its frames are
/// rendered, and the socket to hand them to. Sending never waits: the socket queues on its
/// own loop and closes itself as a slow consumer past its byte limit.
final class Connection: Sendable {
    let id: String
    let actor: Actor
    /// The sign-in session of the token it opened with (server-signed tokens only).
    let session: String?
    let socket: Socket
    /// Read by the fan-out on its own thread, changed by the session on the socket's loop.
    private let currentStyle: Mutex<FrameStyle>
    /// Frames handed to sockets (`bubble_frames_sent_total`).
    private let sent: CoreMetrics.Counter

    /// `node`: the hub's prefix, so a cluster node tells its own connections' events from others'.
    init(actor: Actor, session: String? = nil, dialect: Dialect, socket: Socket, sent: CoreMetrics.Counter, node: String = "") {
        id = node + String(UUID().uuidString.prefix(8)).lowercased()
        self.actor = actor
        self.session = session
        self.socket = socket
        self.sent = sent
        currentStyle = Mutex(FrameStyle(dialect: dialect))
    }

    /// How frames are rendered for this connection; follows what the client sends.
    var style: FrameStyle {
        get { currentStyle.withLock { $0 } }
        set { currentStyle.withLock { $0 = newValue } }
    }

    var dialect: Dialect { style.dialect }

    func send(_ frame: OutboundFrame) {
        guard let bytes = frame.bytes else { return }
        socket.send(bytes)
        sent.increment()
    }

    func send(_ frames: [ByteBuffer]) {
        socket.send(frames)
        sent.increment(by: Int64(frames.count))
    }

    /// On the socket's loop: writes `frames` and calls `drained` once the kernel took them.
    func write(_ frames: [ByteBuffer], drained: @escaping (Bool) -> Void) {
        socket.write(frames, drained: drained)
        sent.increment(by: Int64(frames.count))
    }

    /// Broadcasts at their seqs: held until the initial state is written, then in order.
    func deliver(_ frames: [Broadcast]) {
        socket.deliver(frames)
        sent.increment(by: Int64(frames.count))
    }

    func close(code: UInt16, reason: String) { socket.close(code: code, reason: reason) }
}
