internal import AsyncHTTPClient
internal import NIOCore
// HTTPHeaders and HTTPMethod: async-http-client's request and response types.
internal import NIOHTTP1

extension HTTPClientRequest {
    /// A JSON POST, as every provider takes it.
    static func postJSON(_ url: String, body: [UInt8], headers: [(String, String)] = []) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        return request
    }
}

/// How a provider's HTTP status reads, where its body adds nothing.
enum HTTPStatusRules {
    static func result(status: Int, retryAfter: String?, detail: String) -> PushResult {
        switch status {
        case 200..<300: .delivered
        case 404, 410: .unregistered("\(detail): \(status)")
        case 408, 429, 500..<600: .retry("\(detail): \(status)", after: retryAfter.flatMap(Double.init))
        default: .rejected("\(detail): \(status)")
        }
    }
}
