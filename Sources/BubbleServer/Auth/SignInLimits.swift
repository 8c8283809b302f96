internal import Foundation

/// How often sign-in may be tried: codes asked for per address and per client, and code or
/// refresh attempts per client. Kept in memory: a restart forgives, and the code's own
/// attempt count (in the log) still bounds guesses at any one code.
final class SignInLimits: Sendable {
    private let buckets = KeyedRateLimiters()

    /// Codes per email address: 5 at once, then one every 3 minutes.
    static let perEmail = (rate: 1.0 / 180, burst: 5.0)
    /// Codes per client address: 20 at once, then one every 30 seconds.
    static let perClientCodes = (rate: 1.0 / 30, burst: 20.0)
    /// Verify and refresh calls per client address: 30 at once, then one a second.
    static let perClientAttempts = (rate: 1.0, burst: 30.0)

    func allowLogin(email: String, address: String) -> Bool {
        take("e:" + email, Self.perEmail) && take("c:" + address, Self.perClientCodes)
    }

    func allowAttempt(address: String) -> Bool { take("a:" + address, Self.perClientAttempts) }

    private func take(_ key: String, _ limit: (rate: Double, burst: Double)) -> Bool {
        buckets.allow(key, rate: limit.rate, burst: limit.burst)
    }
}
