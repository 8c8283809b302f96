internal import AsyncHTTPClient
internal import NIOCore
internal import NIOHTTP1
internal import NIOSSL

/// Outbound HTTP POSTs (push providers, the operator's webhook) through async-http-client,
/// kept here so that its NIO types stay at this edge of the server.
public final class HTTPPoster: Sendable {
    private let client: HTTPClient

    /// `verifyingCertificates: false` only for the server's own loopback address (the `users`
    /// command): a certificate from a public CA names the public host, not 127.0.0.1.
    public init(verifyingCertificates: Bool = true) {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        if !verifyingCertificates {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            configuration.tlsConfiguration = tls
        }
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// POSTs `body`; the answer's body is read up to `limit` bytes.
    public func post(
        _ url: String, contentType: String = "application/json", headers: [(String, String)] = [], body: [UInt8],
        timeout: Duration = .seconds(10), limit: Int = 256 * 1024
    ) async throws -> HTTPAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: contentType)
        request.headers.add(name: "Accept", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
        let bytes = try await response.body.collect(upTo: limit)
        return HTTPAnswer(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: Array(bytes.readableBytesView))
    }

    /// Waits for requests in flight; call once, when done.
    public func shutdown() async { try? await client.shutdown() }
}

public struct HTTPAnswer: Sendable {
    public let status: Int
    public let headers: [(String, String)]
    public let body: [UInt8]

    /// The first value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}
