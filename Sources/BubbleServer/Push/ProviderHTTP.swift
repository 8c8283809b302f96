internal import Sockets

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
