public import HTTPTypes
public import HummingbirdCore
public import Logging
public import NIOCore
internal import NIOHTTP1
public import NIOHTTPTypes
internal import NIOHTTPTypesHTTP1
internal import NIOWebSocket

/// The upgrade request as the server sees it.
public struct SocketRequest: Sendable {
    public var head: HTTPRequest
    /// The TCP peer's address.
    public var peer: String
}

/// Whether an upgrade request becomes a socket.
public enum SocketDecision: Sendable {
    /// Upgrade; the delegate is made on the socket's event loop as the handler is added.
    case accept(@Sendable () -> any SocketDelegate)
    /// Answer with this status and body (JSON), and close the connection.
    case refuse(SocketRefusal)
}

public struct SocketRefusal: Sendable {
    public var status: HTTPResponse.Status
    public var body: [UInt8]
    public init(status: HTTPResponse.Status, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// Every HTTP/1 connection of Hummingbird's server: plain requests go to Hummingbird's
/// responder (REST); a WebSocket upgrade is decided by `accept` (authentication happens
/// there, before the 101) and, when accepted, the channel gets NIO's frame codec and one
/// ``WebSocketConnectionHandler`` — no task, no async sequence, no per-socket allocations
/// beyond the channel's own.
public struct SocketUpgradeChannel: ServerChildChannel, HTTPChannelHandler {
    public typealias Accept = @Sendable (SocketRequest) async -> SocketDecision

    public struct Value: ServerChildChannelValue {
        let outcome: EventLoopFuture<Outcome>
        public let channel: any Channel
    }

    enum Outcome: Sendable {
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, SocketRefusal)
        case upgraded
    }

    public let responder: HTTPChannelHandler.Responder
    private let accept: Accept
    private let settings: SocketSettings
    private let idleTimeout: Duration?
    /// The answer to an upgrade request NIO cannot read (no key, wrong version).
    private let malformed: SocketRefusal

    public init(responder: @escaping HTTPChannelHandler.Responder, settings: SocketSettings, idleTimeout: Duration?, malformed: SocketRefusal, accept: @escaping Accept) {
        self.responder = Self.redirectingLateUpgrades(responder)
        self.accept = accept
        self.settings = settings
        self.idleTimeout = idleTimeout
        self.malformed = malformed
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let decision = NIOLoopBoundBox<SocketDecision?>(nil, eventLoop: channel.eventLoop)
            let attempted = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
            let (accept, settings, malformed, idleTimeout) = (self.accept, self.settings, self.malformed, self.idleTimeout)
            let upgrader = NIOTypedWebSocketServerUpgrader<Outcome>(
                maxFrameSize: settings.maxMessageBytes,
                enableAutomaticErrorHandling: false,
                shouldUpgrade: { channel, head in
                    let request: HTTPRequest
                    do { request = try HTTPRequest(head, secure: false, splitCookie: false) } catch {
                        return channel.eventLoop.makeSucceededFuture(nil)
                    }
                    let peer = channel.remoteAddress?.ipAddress ?? "unknown"
                    let promise = channel.eventLoop.makePromise(of: SocketDecision.self)
                    promise.completeWithTask { await accept(SocketRequest(head: request, peer: peer)) }
                    return promise.futureResult.map { answer in
                        decision.value = answer
                        if case .accept = answer { return HTTPHeaders() }
                        return nil
                    }
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard case .accept(let makeDelegate) = decision.value else { return Outcome.upgraded }
                        try channel.pipeline.syncOperations.addHandler(WebSocketConnectionHandler(delegate: makeDelegate(), settings: settings))
                        return Outcome.upgraded
                    }
                }
            )
            let upgrade = NIOTypedHTTPServerUpgradeConfiguration<Outcome>(
                upgraders: [MarkingUpgrader(inner: upgrader, attempted: attempted)],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: idleTimeout, logger: logger))
                        let http = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true)
                        )
                        guard attempted.value else { return Outcome.http(http) }
                        if case .refuse(let refusal) = decision.value { return Outcome.refused(http, refusal) }
                        return Outcome.refused(http, malformed)
                    }
                }
            )
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Outcome>(upgradeConfiguration: upgrade)
            configuration.enablePipelining = false  // NIOAsyncChannel pipelines HTTP
            configuration.enableErrorHandling = false  // Hummingbird answers errors
            configuration.enableResponseHeaderValidation = false  // HTTPTypes validates
            let outcome = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            return Value(outcome: outcome, channel: channel)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.outcome.get() {
            case .http(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .refused(let http, let refusal):
                try await http.executeThenClose { _, outbound in
                    let headers: HTTPFields = [
                        .connection: "close", .contentType: "application/json; charset=utf-8", .contentLength: String(refusal.body.count),
                    ]
                    try await outbound.write(contentsOf: [
                        .head(HTTPResponse(status: refusal.status, headerFields: headers)),
                        .body(ByteBuffer(bytes: refusal.body)),
                        .end(nil),
                    ])
                }
            case .upgraded:
                // The socket lives on in its handler: no task waits for it.
                return
            }
        } catch {
            logger.debug("connection ended before its first request was answered", metadata: ["error": "\(error)"])
        }
    }

    /// NIO reads an upgrade only as a connection's first request; a later one on a
    /// keep-alive connection is sent back to the same URL on a new connection.
    private static func redirectingLateUpgrades(_ responder: @escaping HTTPChannelHandler.Responder) -> HTTPChannelHandler.Responder {
        struct Redirected: Error {}
        return { request, writer, channel in
            guard request.headers[.upgrade]?.lowercased() == "websocket" else {
                return try await responder(request, writer, channel)
            }
            let target = request.uri.query.map { "\(request.uri.path)?\($0)" } ?? request.uri.path
            try await writer.writeResponse(HTTPResponse(status: .temporaryRedirect, headerFields: [.connection: "close", .location: target]))
            throw Redirected()
        }
    }
}

/// NIO's WebSocket upgrader, noting first that an upgrade was asked for: when NIO refuses the
/// request itself (no `Sec-WebSocket-Key`, a version other than 13) the request head is gone
/// by the time the plain HTTP path would read it, so that path must answer it, not serve it.
private struct MarkingUpgrader<Inner: NIOTypedHTTPServerProtocolUpgrader>: NIOTypedHTTPServerProtocolUpgrader {
    typealias UpgradeResult = Inner.UpgradeResult
    let inner: Inner
    let attempted: NIOLoopBoundBox<Bool>

    var supportedProtocol: String { inner.supportedProtocol }
    var requiredUpgradeHeaders: [String] { inner.requiredUpgradeHeaders }

    func buildUpgradeResponse(channel: any Channel, upgradeRequest: HTTPRequestHead, initialResponseHeaders: HTTPHeaders) -> EventLoopFuture<HTTPHeaders> {
        attempted.value = true
        return inner.buildUpgradeResponse(channel: channel, upgradeRequest: upgradeRequest, initialResponseHeaders: initialResponseHeaders)
    }

    func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<UpgradeResult> {
        inner.upgrade(channel: channel, upgradeRequest: upgradeRequest)
    }
}
