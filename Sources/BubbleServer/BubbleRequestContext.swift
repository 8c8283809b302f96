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

    public init(source: Source) {
        coreContext = .init(source: source)
        webSocket = .init()
        identity = nil
        channelID = ObjectIdentifier(source.channel)
    }

    /// Body limit for REST requests is enforced per route from the configuration.
    public var maxUploadSize: Int { 64 * 1024 }
}
