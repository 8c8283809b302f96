public import Hummingbird

/// The REST router's request context: the core storage and the identity established by
/// authentication.
public struct BubbleRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: Identity?
    /// The TCP peer's IP address.
    let peer: String

    public init(source: Source) {
        coreContext = .init(source: source)
        identity = nil
        peer = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Who sent `request`: ``ClientAddress/resolve(peer:forwardedFor:trustedProxies:)``.
    func clientAddress(_ request: Request, trustedProxies: Set<String>) -> String {
        ClientAddress.resolve(peer: peer, forwardedFor: request.headers[ClientAddress.forwardedFor], trustedProxies: trustedProxies)
    }

    /// Body limit for REST requests is enforced per route from the configuration.
    public var maxUploadSize: Int { 64 * 1024 }
}
