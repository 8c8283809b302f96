internal import EventLog
internal import Foundation
internal import TimerDomain

/// One live socket's outbound side: a bounded queue drained by the socket's writer task.
/// Producers never wait: a queue over its bound marks the connection a slow consumer and it
/// is closed, so one stalled client never delays anyone else.
final class Connection: @unchecked Sendable {
    let id: String
    let actor: Actor
    private let lock = NSLock()
    private var currentStyle: FrameStyle
    private let continuation: AsyncStream<String>.Continuation
    let frames: AsyncStream<String>
    /// Guarded by `lock`; read through `closeReason`.
    private var requestedClose: (code: UInt16, reason: String)?
    /// Broadcasts held back until the initial state (snapshot or resumed events) is queued,
    /// so a client never sees a live frame before the state it applies to.
    private var held: [(seq: UInt64, text: String)]? = []
    /// More broadcasts came while holding than ``heldLimit``: they were dropped, and the
    /// initial state must be read again from the log up to a later seq.
    private var heldOverflowed = false
    /// The seq the initial state covered: a broadcast at or below it (the fan-out can lag
    /// behind the read) is already known to the client and is not sent again.
    private var coveredThrough: UInt64 = 0
    /// Cancels the socket's reader and writer: a slow consumer's writer is stuck waiting for
    /// the peer to read, so asking it to close politely would wait forever.
    private var abort: (@Sendable () -> Void)?

    /// At most this many broadcasts are held (as many as may be queued); past it they are
    /// dropped and the resume reads them from the log instead.
    private let heldLimit: Int

    init(actor: Actor, dialect: Dialect, queueLimit: Int) {
        id = String(UUID().uuidString.prefix(8)).lowercased()
        heldLimit = queueLimit
        self.actor = actor
        currentStyle = FrameStyle(dialect: dialect)
        (frames, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingOldest(queueLimit))
    }

    /// Why the connection is closing, once something asked it to.
    var closeReason: (code: UInt16, reason: String)? { lock.withLock { requestedClose } }

    var dialect: Dialect {
        get { lock.withLock { currentStyle.dialect } }
        set { lock.withLock { currentStyle.dialect = newValue } }
    }

    /// How frames are rendered for this connection; follows what the client sends.
    var style: FrameStyle {
        get { lock.withLock { currentStyle } }
        set { lock.withLock { currentStyle = newValue } }
    }

    /// Queues a frame; `false` when the connection is closing or its queue is full.
    @discardableResult
    func send(_ frame: [String: Any]) -> Bool { send(text: JSON.text(frame)) }

    @discardableResult
    func send(text: String) -> Bool {
        switch continuation.yield(text) {
        case .enqueued: return true
        case .dropped:
            abortSlowConsumer()
            return false
        case .terminated: return false
        @unknown default: return false
        }
    }

    /// Queues a broadcast, or holds it while the initial state is being prepared.
    func deliver(text: String, seq: UInt64) {
        let direct: Bool = lock.withLock {
            guard seq > coveredThrough else { return false }
            guard held != nil else { return true }
            if held!.count < heldLimit { held!.append((seq, text)) } else { heldOverflowed = true }
            return false
        }
        if direct { send(text: text) }
    }

    /// Ends holding: queues the held broadcasts newer than `seq` (the initial state covered
    /// the rest) and lets later ones through directly. Returns `false`, still holding, when
    /// broadcasts were dropped meanwhile: the caller reads on from the log past `seq` and
    /// releases again.
    func release(after seq: UInt64) -> Bool {
        lock.withLock {
            coveredThrough = max(coveredThrough, seq)
            if heldOverflowed {
                heldOverflowed = false
                held = []
                return false
            }
            for frame in held ?? [] where frame.seq > seq { _ = enqueue(frame.text) }
            held = nil
            return true
        }
    }

    private func enqueue(_ text: String) -> Bool {
        switch continuation.yield(text) {
        case .enqueued: return true
        case .dropped:
            if requestedClose == nil { requestedClose = (1013, "slow consumer: outbound queue full") }
            continuation.finish()
            if let abort { DispatchQueue.global().async(execute: abort) }
            return false
        default: return false
        }
    }

    func onAbort(_ handler: @escaping @Sendable () -> Void) { lock.withLock { abort = handler } }

    func abortSlowConsumer() {
        let handler: (@Sendable () -> Void)? = lock.withLock {
            if requestedClose == nil { requestedClose = (1013, "slow consumer: outbound queue full") }
            return abort
        }
        continuation.finish()
        handler?()
    }

    /// Asks the writer task to close the socket with this code once queued frames are out.
    func close(code: UInt16, reason: String) {
        lock.withLock { if requestedClose == nil { requestedClose = (code, reason) } }
        continuation.finish()
    }

    /// Ends the outbound queue without a close request (the socket is already gone).
    func finish() { continuation.finish() }
}
