internal import Foundation
public import NIOCore
internal import NIOHTTPTypes
internal import HTTPTypes

/// Why recent WebSocket handshakes were refused, by channel, until their answer is written.
///
/// hummingbird-websocket answers every refused upgrade with an empty `400 Bad Request`; the
/// protocol promises `401` with `{"error","code":"unauthorized"}` for a bad token, and a
/// client reconnect loop needs to tell the two apart. Authentication records its failure
/// here; ``HandshakeRefusalHandler`` rewrites that one answer.
final class HandshakeRefusals: @unchecked Sendable {
    private let lock = NSLock()
    private var byChannel: [ObjectIdentifier: ServerError] = [:]

    func record(_ error: ServerError, channel: ObjectIdentifier) {
        lock.withLock {
            if byChannel.count > 10_000 { byChannel.removeAll() }  // bound memory if answers never come
            byChannel[channel] = error
        }
    }

    func take(_ channel: ObjectIdentifier) -> ServerError? { lock.withLock { byChannel.removeValue(forKey: channel) } }
}

/// Sits after the HTTP codec of every HTTP/1 connection; passes everything through except
/// the library's answer to a refused upgrade, which becomes the recorded error's status and
/// JSON body (the connection still closes afterwards, as the library asks).
final class HandshakeRefusalHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let refusals: HandshakeRefusals
    private var rewriting = false

    init(_ refusals: HandshakeRefusals) { self.refusals = refusals }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        switch part {
        case .head(let head) where head.status == .badRequest:
            guard let error = refusals.take(ObjectIdentifier(context.channel)) else { break }
            let body = ByteBuffer(bytes: error.jsonBody)
            var fields = head.headerFields
            fields[.contentType] = "application/json; charset=utf-8"
            fields[.contentLength] = String(body.readableBytes)
            rewriting = true
            context.write(wrapOutboundOut(.head(HTTPResponse(status: error.status, headerFields: fields))), promise: nil)
            context.write(wrapOutboundOut(.body(body)), promise: promise)
            return
        case .body where rewriting:
            promise?.succeed(())  // the library's empty body; ours is out
            return
        case .end:
            rewriting = false
        default:
            break
        }
        context.write(data, promise: promise)
    }
}
