import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// What a socket reports to its owner. Called on the socket's event loop, so an owner that
/// is only touched from that loop needs no locks.
protocol FrameSink: AnyObject, Sendable {
    /// A whole text frame and the monotonic time (ns) it was read.
    func received(_ text: ByteBuffer, at nanos: UInt64)
    func closed()
}

/// A client WebSocket straight on NIO: no async sequences per frame, one channel handler.
/// The load generator needs this to open 20k sockets from chosen source addresses and to
/// read hundreds of thousands of frames a second on the same two cores as the server.
final class WireSocket: Sendable {
    let channel: any Channel
    var eventLoop: any EventLoop { channel.eventLoop }

    private init(channel: any Channel) { self.channel = channel }

    /// Opens `ws://host:port/path`; `source` binds the local side (e.g. "127.0.0.3") so one
    /// client can go past the ~28k ephemeral ports a single address pair allows.
    static func connect(
        _ endpoint: Endpoint, path: String, headers: [(String, String)], source: String?,
        group: any EventLoopGroup, sink: any FrameSink
    ) async throws -> WireSocket {
        var bootstrap = ClientBootstrap(group: group)
            .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
        if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
        let upgrade: EventLoopFuture<(any Channel)?> = try await bootstrap.connect(host: endpoint.host, port: endpoint.port) { channel in
            channel.eventLoop.makeCompletedFuture {
                let upgrader = NIOTypedWebSocketClientUpgrader<(any Channel)?>(maxFrameSize: 1 << 24) { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(FrameHandler(sink: sink))
                        return channel
                    }
                }
                var fields = HTTPHeaders()
                fields.add(name: "Host", value: "\(endpoint.host):\(endpoint.port)")
                for (name, value) in headers { fields.add(name: name, value: value) }
                let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: fields)
                let configuration = NIOTypedHTTPClientUpgradeConfiguration<(any Channel)?>(
                    upgradeRequestHead: head, upgraders: [upgrader],
                    notUpgradingCompletionHandler: { channel in
                        channel.close(promise: nil)
                        return channel.eventLoop.makeSucceededFuture(nil)
                    }
                )
                // The server may send its first frame in the same segment as the 101: keep those bytes.
                var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                pipeline.leftOverBytesStrategy = .forwardBytes
                return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline)
            }
        }
        guard let channel = try await upgrade.get() else { throw LoadError.refused(path) }
        return WireSocket(channel: channel)
    }

    /// Queues one masked text frame. Safe from any thread; cheapest on the socket's loop.
    func send(_ text: String) {
        var buffer = channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer), promise: nil)
    }

    /// Sends a close frame and closes; resolves when the channel is gone.
    func close() async {
        var reason = channel.allocator.buffer(capacity: 2)
        reason.write(webSocketErrorCode: .normalClosure)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: reason), promise: nil)
        try? await channel.close()
    }
}

/// Reassembles text frames, answers pings (the server closes sockets that stop answering).
private final class FrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let sink: any FrameSink
    private var partial: ByteBuffer?

    init(sink: any FrameSink) { self.sink = sink }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text where frame.fin:
            sink.received(frame.unmaskedData, at: Clock.now())
        case .text:
            partial = frame.unmaskedData
        case .continuation:
            guard var pending = partial else { return }
            var more = frame.unmaskedData
            pending.writeBuffer(&more)
            if frame.fin { partial = nil; sink.received(pending, at: Clock.now()) } else { partial = pending }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        sink.closed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

/// Where the server listens, from a `ws://host:port/path` URL.
struct Endpoint: Sendable {
    var host: String
    var port: Int
    var path: String

    init(url: String) throws {
        guard let c = URLComponents(string: url), let host = c.host, c.scheme == "ws" else { throw LoadError.badURL(url) }
        self.host = host
        port = c.port ?? 80
        path = c.path.isEmpty ? "/" : c.path
    }
}

enum Clock {
    /// Monotonic nanoseconds; every latency here is a difference of two of these in one process.
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}

enum LoadError: Error, CustomStringConvertible {
    case badURL(String)
    case refused(String)
    case timeout(String)
    case failed(String)

    var description: String {
        switch self {
        case .badURL(let u): "not a ws:// URL: \(u)"
        case .refused(let p): "the server refused the WebSocket upgrade on \(p) (token, device id or connection limit?)"
        case .timeout(let what): "timed out: \(what)"
        case .failed(let what): what
        }
    }
}
