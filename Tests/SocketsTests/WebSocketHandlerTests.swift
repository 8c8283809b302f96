import Testing
import NIOCore
import NIOEmbedded
import NIOWebSocket
@testable import Sockets

/// Records what the handler tells its session.
final class RecordingDelegate: SocketDelegate {
    var socket: Socket?
    var texts: [String] = []
    var binaries = 0
    var closed: CloseReason?

    func socketOpened(_ socket: Socket) { self.socket = socket }
    func socket(_ socket: Socket, received message: SocketMessage) {
        switch message {
        case .text(let bytes): texts.append(String(buffer: bytes))
        case .binary: binaries += 1
        }
    }
    func socketClosed(_ socket: Socket, reason: CloseReason) { closed = reason }
}

/// The handler on an `EmbeddedChannel`: frames in, frames out, no network.
@Suite struct WebSocketHandlerTests {
    let channel = EmbeddedChannel()
    let delegate = RecordingDelegate()

    init() throws {
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        try channel.pipeline.syncOperations.addHandler(
            WebSocketConnectionHandler(delegate: delegate, settings: SocketSettings(maxMessageBytes: 64, outboundQueueBytes: 1024, pingInterval: 0))
        )
    }

    private let mask = WebSocketMaskingKey([1, 2, 3, 4])!

    private func frame(_ opcode: WebSocketOpcode, _ bytes: [UInt8], fin: Bool = true, masked: Bool = true, rsv1: Bool = false) -> WebSocketFrame {
        var data = ByteBuffer(bytes: bytes)
        if masked { data.webSocketMask(mask) }
        return WebSocketFrame(fin: fin, rsv1: rsv1, opcode: opcode, maskKey: masked ? mask : nil, data: data)
    }

    private func text(_ s: String, fin: Bool = true) -> WebSocketFrame { frame(.text, Array(s.utf8), fin: fin) }

    /// The close frame the handler wrote, as its code.
    private func closeCode() throws -> UInt16? {
        while let out = try channel.readOutbound(as: WebSocketFrame.self) {
            if out.opcode == .connectionClose {
                var data = out.data
                return data.readInteger(as: UInt16.self)
            }
        }
        return nil
    }

    @Test func fragmentsAreJoinedIntoOneMessage() throws {
        try channel.writeInbound(text("{\"type\":", fin: false))
        try channel.writeInbound(frame(.continuation, Array("\"ping\"}".utf8)))
        #expect(delegate.texts == ["{\"type\":\"ping\"}"])
    }

    @Test func anUnmaskedFrameClosesWith1002() throws {
        try channel.writeInbound(frame(.text, Array("hi".utf8), masked: false))
        #expect(try closeCode() == 1002)
        #expect(delegate.texts.isEmpty)
    }

    @Test func textThatIsNotUTF8ClosesWith1007() throws {
        try channel.writeInbound(frame(.text, [0x7B, 0xC3, 0x28, 0x7D]))
        #expect(try closeCode() == 1007)
        #expect(delegate.texts.isEmpty)
    }

    @Test func reservedBitsUnknownOpcodesAndStrayContinuationsClose1002() throws {
        for bad in [frame(.text, [0x41], rsv1: true), frame(WebSocketOpcode(encodedWebSocketOpcode: 0x3)!, [0x41]), frame(.continuation, [0x41])] {
            let channel = EmbeddedChannel()
            let delegate = RecordingDelegate()
            try channel.pipeline.syncOperations.addHandler(WebSocketConnectionHandler(delegate: delegate, settings: SocketSettings(pingInterval: 0)))
            try channel.writeInbound(bad)
            var code: UInt16?
            while let out = try channel.readOutbound(as: WebSocketFrame.self) {
                guard out.opcode == .connectionClose else { continue }
                var data = out.data
                code = data.readInteger(as: UInt16.self)
            }
            #expect(code == 1002)
        }
    }

    @Test func aMessageOverTheLimitAcrossFragmentsClosesWith1009() throws {
        try channel.writeInbound(text(String(repeating: "a", count: 40), fin: false))
        try channel.writeInbound(frame(.continuation, Array(String(repeating: "b", count: 40).utf8), fin: false))
        #expect(try closeCode() == 1009)
    }

    @Test func pingsAreAnsweredWithTheirPayload() throws {
        try channel.writeInbound(frame(.ping, [9, 8, 7]))
        let pong = try #require(try channel.readOutbound(as: WebSocketFrame.self))
        #expect(pong.opcode == .pong)
        #expect(Array(pong.data.readableBytesView) == [9, 8, 7])
    }

    @Test func binaryMessagesReachTheSessionToBeCharged() throws {
        try channel.writeInbound(frame(.binary, [1, 2, 3]))
        #expect(delegate.binaries == 1)
    }

    @Test func framesAreBatchedAndTheCloseHandshakeReportsOurReason() throws {
        let socket = try #require(delegate.socket)
        socket.send([ByteBuffer(string: "a"), ByteBuffer(string: "b")])
        #expect(try channel.readOutbound(as: WebSocketFrame.self).map { String(buffer: $0.data) } == "a")
        #expect(try channel.readOutbound(as: WebSocketFrame.self).map { String(buffer: $0.data) } == "b")
        socket.close(code: 4001, reason: "token expired")
        #expect(try closeCode() == 4001)
        // The client answers; the connection ends with our reason.
        var answer = ByteBuffer()
        answer.writeInteger(UInt16(4001))
        #expect(channel.isActive)
        try channel.writeInbound(frame(.connectionClose, Array(answer.readableBytesView)))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
        #expect(delegate.closed == CloseReason(code: 4001, reason: "token expired"))
    }

    @Test func aClientCloseIsEchoedAndReported() throws {
        var body = ByteBuffer()
        body.writeInteger(UInt16(1000))
        try channel.writeInbound(frame(.connectionClose, Array(body.readableBytesView)))
        #expect(try closeCode() == 1000)
        channel.embeddedEventLoop.run()
        #expect(delegate.closed == CloseReason(code: 1000, reason: "client closed"))
    }
}
