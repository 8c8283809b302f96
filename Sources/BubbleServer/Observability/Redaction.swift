/// Secrets that may travel in a URL, hidden before the URL reaches a log line.
///
/// `?token=` is the WebSocket upgrade's token; the others are names clients and proxies use
/// for credentials. Any value of these parameters becomes `REDACTED`, whatever its case or
/// position, so a refused request logs no more than an accepted one.
enum Redaction {
    static let secretParameters: Set<String> = ["token", "access_token", "refresh_token", "id_token", "code", "jwt", "key"]
    static let placeholder = "REDACTED"

    /// `uri` with the value of every secret query parameter replaced.
    static func uri(_ uri: String) -> String {
        guard let question = uri.firstIndex(of: "?") else { return uri }
        let path = uri[..<question]
        let query = uri[uri.index(after: question)...]
        let parts = query.split(separator: "&", omittingEmptySubsequences: false).map { part -> String in
            let name = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            guard secretParameters.contains(name.lowercased()) else { return String(part) }
            return "\(name)=\(placeholder)"
        }
        return "\(path)?\(parts.joined(separator: "&"))"
    }
}
