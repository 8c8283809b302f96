internal import Foundation
internal import Hummingbird
internal import TimerDomain

extension BubbleRequestContext {
    /// A path parameter as the id it names: percent-decoded (user ids from identity providers
    /// may hold `@`, `/` or non-ASCII, which a client must escape in a path), then checked like
    /// every id before a lookup, so no path can reach storage with an empty or oversized key.
    func pathID(_ name: String, field: String, limits: Limits) throws -> String {
        let raw = try parameters.require(name)
        guard let decoded = raw.removingPercentEncoding else {
            throw ServerError(.badRequest, code: "invalid_field", "'\(raw)' is not valid percent-encoding", field: field)
        }
        do { try Decider.checkStorable(decoded, field: field, limits: limits) } catch { throw ServerError.from(error) }
        return decoded
    }
}
