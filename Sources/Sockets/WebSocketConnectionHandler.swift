internal import NIOCore
internal import NIOWebSocket

/// The one handler of ours on an upgraded channel, after NIO's frame decoder and encoder:
/// joins fragments, enforces RFC 6455 where the decoder does not (masking, reserved bits,
/// opcodes, UTF-8, close codes), answers pings, pings on the loop's scheduler, and writes
/// what ``SocketStateMachine`` decides. Confined to the channel's event loop.
final class WebSocketConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var machine: SocketStateMachine
    private let settings: SocketSettings
    private var delegate: (any SocketDelegate)?
    private var context: ChannelHandlerContext?
    private(set) var socket: Socket?
    /// A message whose first fragment came and whose last has not.
    private var partial: (opcode: WebSocketOpcode, data: ByteBuffer)?
    private var pinger: RepeatedTask?
    private var closeDeadline: Scheduled<Void>?
    /// The session has more than it can take: reads wait (TCP pushes back on the peer).
    private var readingPaused = false
    private var readWanted = false

    init(delegate: any SocketDelegate, settings: SocketSettings) {
        self.delegate = delegate
        self.settings = settings
        machine = SocketStateMachine(limit: settings.outboundQueueBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // Writable means at most half the byte limit is queued (see `buffered(adding:)`).
        let high = max(2, settings.outboundQueueBytes / 2)
        _ = context.channel.setOption(.writeBufferWaterMark, value: .init(low: high / 2, high: high))
        let socket = Socket(handler: self, eventLoop: context.eventLoop, peer: context.channel.remoteAddress?.ipAddress ?? "unknown")
        self.socket = socket
        if settings.pingInterval > 0 {
            let interval = TimeAmount.milliseconds(Int64(settings.pingInterval * 1000))
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            pinger = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in bound.value.pingDue() }
        }
        delegate?.socketOpened(socket)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case NIOWebSocketError.invalidFrameLength:
            perform(machine.violation(CloseReason(code: 1009, reason: "frame too large")))
        case NIOWebSocketError.fragmentedControlFrame, NIOWebSocketError.multiByteControlFrameLength:
            perform(machine.violation(CloseReason(code: 1002, reason: "protocol error: malformed control frame")))
        default:
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        machine.heard()
        // RFC 6455 5.1: a server closes the connection on an unmasked client frame.
        guard let mask = frame.maskKey else { return protocolError("unmasked frame") }
        guard !frame.rsv1, !frame.rsv2, !frame.rsv3 else { return protocolError("reserved bits set without an extension") }
        var payload = frame.data
        payload.webSocketUnmask(mask)
        switch frame.opcode {
        case .text, .binary:
            guard partial == nil else { return protocolError("a new message began before the last one ended") }
            if frame.fin { return received(frame.opcode, payload) }
            partial = (frame.opcode, payload)
            checkSize()
        case .continuation:
            guard var message = partial else { return protocolError("continuation without a message") }
            partial = nil
            message.data.writeImmutableBuffer(payload)
            partial = message
            guard checkSize() else { return }
            if frame.fin {
                partial = nil
                received(message.opcode, message.data)
            }
        case .ping:
            guard !machine.isClosing else { return }
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: payload)), promise: nil)
        case .pong:
            break
        case .connectionClose:
            peerClosed(payload)
        default:
            protocolError("unknown opcode \(frame.opcode)")
        }
    }

    func read(context: ChannelHandlerContext) {
        if readingPaused { readWanted = true } else { context.read() }
    }

    // MARK: - What the socket's handle asks

    func setReading(_ on: Bool) {
        readingPaused = !on
        if on, readWanted, let context {
            readWanted = false
            context.read()
        }
    }

    func send(_ frames: [ByteBuffer]) {
        perform(machine.send(frames, buffered: buffered(adding: frames.reduce(0) { $0 + $1.readableBytes })))
    }

    func deliver(_ frames: [Broadcast]) {
        perform(machine.deliver(frames, buffered: buffered(adding: frames.reduce(0) { $0 + $1.bytes.readableBytes })))
    }

    func release(after position: UInt64) -> Bool {
        // Held frames may add up to the whole limit: ask the channel.
        switch machine.release(after: position, buffered: buffered(adding: .max)) {
        case .readOn: return false
        case .live(let action):
            perform(action)
            return true
        }
    }

    func write(_ frames: [ByteBuffer], drained: @escaping (Bool) -> Void) {
        guard !frames.isEmpty else { return drained(!machine.isClosing) }
        guard case .write(let frames) = machine.send(frames, buffered: buffered(adding: frames.reduce(0) { $0 + $1.readableBytes })), let context else {
            return drained(false)
        }
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { drained((try? $0.get()) != nil) }
        write(frames, last: promise, context: context)
    }

    func close(_ reason: CloseReason) {
        perform(machine.close(reason))
    }

    // MARK: - Inside

    private func received(_ opcode: WebSocketOpcode, _ payload: ByteBuffer) {
        guard let socket, !machine.isClosing else { return }
        if opcode == .text {
            guard payload.readableBytesView.isValidUTF8 else {
                return perform(machine.violation(CloseReason(code: 1007, reason: "text frame is not valid UTF-8")))
            }
            delegate?.socket(socket, received: .text(payload))
        } else {
            delegate?.socket(socket, received: .binary(payload))
        }
    }

    /// A message over the limit so far closes with 1009.
    @discardableResult
    private func checkSize() -> Bool {
        guard let partial, partial.data.readableBytes > settings.maxMessageBytes else { return true }
        self.partial = nil
        perform(machine.violation(CloseReason(code: 1009, reason: "message too large")))
        return false
    }

    private func protocolError(_ detail: String) {
        partial = nil
        perform(machine.violation(CloseReason(code: 1002, reason: "protocol error: \(detail)")))
    }

    private func peerClosed(_ payload: ByteBuffer) {
        var payload = payload
        var code: UInt16?
        if payload.readableBytes == 1 { return protocolError("close frame with a one-byte body") }
        if payload.readableBytes >= 2 {
            code = payload.readInteger(as: UInt16.self)
            guard let code, Self.isValidCloseCode(code) else { return protocolError("invalid close code") }
            guard payload.readableBytesView.isValidUTF8 else {
                return perform(machine.violation(CloseReason(code: 1007, reason: "close reason is not valid UTF-8")))
            }
        }
        let (echo, _) = machine.peerClosed(code: code)
        guard let context else { return }
        if let echo {
            let promise = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(closeFrame(CloseReason(code: echo, reason: ""), context: context)), promise: promise)
            promise.futureResult.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
        } else {
            context.close(promise: nil)
        }
    }

    /// RFC 6455 7.4: codes a peer may send.
    static func isValidCloseCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1011, 3000...4999: true
        default: false
        }
    }

    private func pingDue() {
        switch machine.pingDue() {
        case .none: break
        case .ping:
            guard let context else { return }
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, data: context.channel.allocator.buffer(capacity: 0))), promise: nil)
        case .abort(let reason):
            perform(.abort(reason))
        }
    }

    /// What the channel holds unsent, as far as a write of `adding` bytes needs to know.
    /// Asking the channel costs an option lookup per write (9% of the server's CPU in the
    /// fan-out benchmark); while the channel is writable it holds at most half the limit
    /// (the high water mark set in `handlerAdded`), so a write of at most the other half
    /// fits without asking.
    private func buffered(adding bytes: Int) -> Int {
        guard let channel = context?.channel else { return 0 }
        if bytes <= settings.outboundQueueBytes / 2, channel.isWritable { return 0 }
        return (try? channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
    }

    private func perform(_ action: SocketStateMachine.Action) {
        guard let context else { return }
        switch action {
        case .none:
            break
        case .write(let frames):
            write(frames, last: nil, context: context)
        case .sendClose(let reason):
            context.writeAndFlush(wrapOutboundOut(closeFrame(reason, context: context)), promise: nil)
            let channel = context.channel
            closeDeadline = context.eventLoop.scheduleTask(in: .milliseconds(Int64(settings.closeTimeout * 1000))) {
                channel.close(promise: nil)
            }
        case .fail(let reason):
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(closeFrame(reason, context: context))).whenComplete { _ in channel.close(promise: nil) }
        case .abort:
            context.close(promise: nil)
        }
    }

    private func write(_ frames: [ByteBuffer], last: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        for (i, bytes) in frames.enumerated() {
            let frame = WebSocketFrame(fin: true, opcode: .text, data: bytes)
            context.write(wrapOutboundOut(frame), promise: i == frames.count - 1 ? last : nil)
        }
        context.flush()
    }

    private func closeFrame(_ reason: CloseReason, context: ChannelHandlerContext) -> WebSocketFrame {
        // A close frame's body is at most 125 bytes: the code and 123 of reason.
        var text = Substring(reason.reason)
        while text.utf8.count > 123 { text = text.dropLast() }
        var data = context.channel.allocator.buffer(capacity: 2 + text.utf8.count)
        data.writeInteger(reason.code)
        data.writeString(String(text))
        return WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
    }

    /// Ends the socket once: stops the timers and tells the delegate why.
    private func finish() {
        pinger?.cancel()
        pinger = nil
        closeDeadline?.cancel()
        closeDeadline = nil
        guard let delegate, let socket else { return }
        self.delegate = nil
        delegate.socketClosed(socket, reason: machine.closed())
    }
}

extension ByteBufferView {
    /// Whether these bytes are well-formed UTF-8 (the standard library's validation: no
    /// overlong forms, surrogates or code points past U+10FFFF).
    var isValidUTF8: Bool {
        withContiguousStorageIfAvailable { String(validating: $0, as: UTF8.self) != nil } ?? (String(validating: Array(self), as: UTF8.self) != nil)
    }
}
