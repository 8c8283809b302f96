public import Hummingbird
public import HummingbirdWebSocket

/// The request context of both routers: the core storage, the WebSocket hand-off, and the
/// identity established by authentication.
public struct BubbleRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    public var identity: Identity?
    /// The connection the request came on (a refused handshake's answer is found by it).
    let channelID: ObjectIdentifier
    /// The TCP peer's IP address.
    let peer: String

    public init(source: Source) {
        coreContext = .init(source: source)
        webSocket = .init()
        identity = nil
        channelID = ObjectIdentifier(source.channel)
        peer = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Who sent `request`: ``ClientAddress/resolve(peer:forwardedFor:trustedProxies:)``.
    func clientAddress(_ request: Request, trustedProxies: Set<String>) -> String {
        ClientAddress.resolve(peer: peer, forwardedFor: request.headers[ClientAddress.forwardedFor], trustedProxies: trustedProxies)
    }

    /// Body limit for REST requests is enforced per route from the configuration.
    public var maxUploadSize: Int { 64 * 1024 }
}
