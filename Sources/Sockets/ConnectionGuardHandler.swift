internal import NIOCore

/// Who may connect: the server's caps on open connections, in all and per address.
public protocol ConnectionGate: Sendable {
    /// Takes a slot for a new connection from `address`; `false` refuses it.
    func admit(_ address: String) -> Bool
    /// The connection from `address` did not finish its request head in time.
    func headerTimedOut(_ address: String)
    /// Gives the slot back.
    func release(_ address: String)
}

/// First in every accepted connection's pipeline, before any HTTP parsing: takes the
/// connection's slot from the gate (closing it at once when refused), and closes it
/// if its first request head is not complete within the header timeout (a client that
/// connects and sends nothing, or one byte a second). After the head it removes itself; idle
/// keep-alive connections are Hummingbird's idle timeout's.
final class ConnectionGuardHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let limits: any ConnectionGate
    private let headerTimeout: TimeAmount
    private var address: String?
    private var deadline: Scheduled<Void>?
    /// The last bytes seen, to find `\r\n\r\n` across reads.
    private var tail: [UInt8] = []
    private var headComplete = false

    init(limits: any ConnectionGate, headerTimeout: TimeAmount) {
        self.limits = limits
        self.headerTimeout = headerTimeout
    }

    func channelActive(context: ChannelHandlerContext) {
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard limits.admit(address) else {
            context.close(promise: nil)
            return
        }
        self.address = address
        let channel = context.channel
        // The slot is held until the connection closes, long after this handler is gone.
        channel.closeFuture.whenComplete { [limits] _ in limits.release(address) }
        deadline = context.eventLoop.scheduleTask(in: headerTimeout) { [limits] in
            limits.headerTimedOut(address)
            channel.close(promise: nil)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !headComplete {
            let window = tail + Array(unwrapInboundIn(data).readableBytesView)
            if window.count >= 4, Self.containsHeadEnd(window) {
                headComplete = true
                deadline?.cancel()
                deadline = nil
                tail = []
            } else {
                tail = Array(window.suffix(3))
            }
        }
        context.fireChannelRead(data)
        // Its work is done: later reads (every frame of a socket) skip it, and an idle
        // connection does not keep it.
        if headComplete { context.pipeline.syncOperations.removeHandler(context: context, promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    private static func containsHeadEnd(_ bytes: [UInt8]) -> Bool {
        var i = 0
        while i + 3 < bytes.count {
            if bytes[i] == 13, bytes[i + 1] == 10, bytes[i + 2] == 13, bytes[i + 3] == 10 { return true }
            i += 1
        }
        return false
    }
}
