internal import CoreMetrics
internal import Foundation
internal import TimerDomain
internal import Foundation
internal import TimerDomain
internal import Projections
internal import BubbleCore
internal import Logging

/// What every route and socket shares. The only mutable state, the REST rate buckets, is
/// guarded by its lock.
final class ServerState: @unchecked Sendable {
    let configuration: ServerConfiguration
    let store: EventStore
    let hub: ConnectionHub
    let dispatcher: FanOutDispatcher
    let verifier: TokenVerifier
    let metrics = ServerMetrics()
    let handshakeRefusals = HandshakeRefusals()
    let connectionLimits: ConnectionLimits
    let integrity = LogIntegrity()
    private let restLimiterLock = NSLock()
    private var restLimiters: [UserID: RateLimiter] = [:]

    init(configuration: ServerConfiguration, store: EventStore, verifier: TokenVerifier, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.verifier = verifier
        hub = ConnectionHub(maxConnectionsPerUser: configuration.maxConnectionsPerUser, maxSupersededPerDevice: configuration.maxSupersededPerDevice)
        dispatcher = FanOutDispatcher(hub: hub, metrics: metrics)
        connectionLimits = ConnectionLimits(
            maxTotal: configuration.maxConnections, maxPerAddress: configuration.maxConnectionsPerAddress,
            trustedProxies: Set(configuration.trustedProxies), metrics: metrics, logger: logger
        )
    }

    /// Every command goes through here: appended durably, timed, counted by outcome.
    func execute(_ request: CommandRequest) async throws -> CommandResult {
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            let result = try await store.execute(request)
            metrics.appendLatency.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
            metrics.command(request.command, outcome: result.events.isEmpty ? "noop" : "appended")
            return result
        } catch {
            metrics.command(request.command, outcome: error is Rejection ? "rejected" : "error")
            throw error
        }
    }

    /// One token bucket per user for REST calls (sockets have their own per connection).
    func allowREST(_ user: UserID) -> Bool {
        restLimiterLock.withLock {
            if restLimiters.count > 100_000 { restLimiters.removeAll() }  // bound memory; buckets refill anyway
            var limiter = restLimiters[user] ?? RateLimiter(rate: configuration.messagesPerSecond, burst: configuration.messageBurst)
            let allowed = limiter.allow()
            restLimiters[user] = limiter
            return allowed
        }
    }

    func connectionsChanged() { metrics.connections.record(hub.count) }

    /// Reads the disk and map figures and records them as gauges.
    func storageStatus() -> StorageStatus {
        let status = StorageStatus.read(store.environment)
        metrics.storage(status)
        return status
    }
}
