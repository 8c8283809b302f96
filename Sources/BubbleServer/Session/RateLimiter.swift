internal import Foundation

/// A token bucket per connection: `rate` messages a second, bursts up to `burst`.
struct RateLimiter {
    let rate: Double
    let burst: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
        tokens = burst
        last = .now
    }

    mutating func allow() -> Bool {
        let now = ContinuousClock.Instant.now
        let elapsed = last.duration(to: now)
        last = now
        tokens = min(burst, tokens + rate * (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}

/// Token buckets by key (a user, an address, an email), behind one lock; the table is
/// emptied past 100,000 keys to bound memory (buckets refill anyway).
final class KeyedRateLimiters: @unchecked Sendable {
    private let lock = NSLock()
    private var buckets: [String: RateLimiter] = [:]

    func allow(_ key: String, rate: Double, burst: Double) -> Bool {
        lock.withLock {
            if buckets.count > 100_000 { buckets.removeAll() }
            var bucket = buckets[key] ?? RateLimiter(rate: rate, burst: burst)
            let allowed = bucket.allow()
            buckets[key] = bucket
            return allowed
        }
    }
}

/// A connection's budget for commands. Acknowledgements and pings are never charged (the app
/// acknowledges every typed frame, error frames included, so charging them feeds a loop), and
/// a refusal is answered with at most one `rate_limited` error frame a second.
struct CommandBudget {
    enum Verdict: Equatable {
        case allowed
        /// Refused; `answer` says whether this refusal gets an error frame.
        case refused(answer: Bool)
    }

    private var limiter: RateLimiter
    private var lastAnswer: ContinuousClock.Instant?

    init(rate: Double, burst: Double) { limiter = RateLimiter(rate: rate, burst: burst) }

    mutating func charge(now: ContinuousClock.Instant = .now) -> Verdict {
        if limiter.allow() { return .allowed }
        if let lastAnswer, lastAnswer.duration(to: now) < .seconds(1) { return .refused(answer: false) }
        lastAnswer = now
        return .refused(answer: true)
    }
}
