internal import Foundation
internal import Logging
internal import CoreMetrics
internal import Sockets

/// Open TCP connections, in all and per client address, against their caps. Shared by every
/// connection's ``ConnectionGuardHandler``; refusals are counted in `/metrics` and logged at
/// most once per interval with how many there were, so a flood does not flood the log too.
final class ConnectionLimits: ConnectionGate, @unchecked Sendable {
    enum Admission: Equatable { case admitted, refusedTotal, refusedAddress }

    let maxTotal: Int
    let maxPerAddress: Int
    let trustedProxies: Set<String>
    private let lock = NSLock()
    private var total = 0
    private var byAddress: [String: Int] = [:]
    private let metrics: ServerMetrics
    private let logger: Logger
    private var lastLogged: [String: UInt64] = [:]
    private var unlogged: [String: Int] = [:]
    private let logInterval: UInt64 = 10_000_000_000

    init(maxTotal: Int, maxPerAddress: Int, trustedProxies: Set<String>, metrics: ServerMetrics, logger: Logger) {
        self.maxTotal = maxTotal
        self.maxPerAddress = maxPerAddress
        self.trustedProxies = trustedProxies
        self.metrics = metrics
        self.logger = logger
    }

    /// Takes a slot for a new connection from `address`. A trusted proxy's connections count
    /// toward the total only: its clients are told apart by `X-Forwarded-For` later.
    func admit(_ address: String) -> Bool { admission(address) == .admitted }

    func admission(_ address: String) -> Admission {
        let admission: Admission = lock.withLock {
            guard total < maxTotal else { return .refusedTotal }
            if !trustedProxies.contains(address) {
                guard byAddress[address, default: 0] < maxPerAddress else { return .refusedAddress }
                byAddress[address, default: 0] += 1
            }
            total += 1
            return .admitted
        }
        switch admission {
        case .admitted: break
        case .refusedTotal: refused("total", "connection refused: \(maxTotal) connections open (--max-connections)")
        case .refusedAddress: refused("address", "connection refused: \(maxPerAddress) connections open from \(address) (--max-connections-per-address)")
        }
        return admission
    }

    /// Behind a trusted proxy: takes a slot for a socket of the client `address` names.
    func admitForwarded(_ address: String) -> Bool {
        let admitted: Bool = lock.withLock {
            guard byAddress[address, default: 0] < maxPerAddress else { return false }
            byAddress[address, default: 0] += 1
            return true
        }
        if !admitted { refused("address", "connection refused: \(maxPerAddress) connections open from \(address) (--max-connections-per-address)") }
        return admitted
    }

    func releaseForwarded(_ address: String) {
        lock.withLock {
            guard let count = byAddress[address] else { return }
            byAddress[address] = count > 1 ? count - 1 : nil
        }
    }

    func release(_ address: String) {
        lock.withLock {
            total -= 1
            guard let count = byAddress[address] else { return }
            byAddress[address] = count > 1 ? count - 1 : nil
        }
    }

    var open: Int { lock.withLock { total } }

    /// A connection closed for sending no complete request head in time.
    func headerTimedOut(_ address: String) {
        metrics.headerTimeouts.increment()
        logThrottled("header_timeout", "connection closed: no complete request head within the header timeout (--header-timeout)", address: address)
    }

    private func refused(_ reason: String, _ message: String) {
        metrics.connectionsRefused(reason)
        logThrottled("refused_\(reason)", message, address: nil)
    }

    private func logThrottled(_ key: String, _ message: String, address: String?) {
        let now = DispatchTime.now().uptimeNanoseconds
        let count: Int? = lock.withLock {
            unlogged[key, default: 0] += 1
            if let last = lastLogged[key], now - last < logInterval { return nil }
            lastLogged[key] = now
            defer { unlogged[key] = 0 }
            return unlogged[key]
        }
        guard let count else { return }
        var metadata: Logger.Metadata = ["count": "\(count)"]
        if let address { metadata["client"] = "\(address)" }
        logger.warning("\(message)", metadata: metadata)
    }
}
