internal import HTTPTypes

/// Whose connection this is. Behind a reverse proxy every TCP peer is the proxy; only when
/// the peer is a configured trusted proxy is `X-Forwarded-For` believed, and then its
/// right-most entry that is not itself a trusted proxy (entries to its left are whatever the
/// client wrote).
enum ClientAddress {
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    static func resolve(peer: String, forwardedFor: String?, trustedProxies: Set<String>) -> String {
        guard trustedProxies.contains(peer), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: " \t") }.filter { !$0.isEmpty }
        return hops.reversed().first { !trustedProxies.contains($0) } ?? peer
    }
}

private extension Substring {
    func trimmingCharacters(in set: String) -> String {
        let skip = Set(set)
        return String(drop { skip.contains($0) }.reversed().drop { skip.contains($0) }.reversed())
    }
}
