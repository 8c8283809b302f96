internal import CoreMetrics
internal import Foundation
internal import TimerDomain
internal import Foundation
internal import TimerDomain
internal import Projections
internal import BubbleCore
internal import Logging
internal import LMDB

/// What every route and socket shares. The only mutable state, the REST rate buckets, is
/// guarded by its lock.
final class ServerState: @unchecked Sendable {
    let configuration: ServerConfiguration
    let store: EventStore
    let hub: ConnectionHub
    let dispatcher: FanOutDispatcher
    let verifier: TokenVerifier
    /// Email sign-in: the server's keys, the tokens it signs, the code mail, attempt limits.
    let serverKeys: ServerKeys
    let serverTokens: ServerTokens
    let codeMail: CodeMail
    let signInLimits = SignInLimits()
    /// Anonymous read-only sockets on public links.
    let publicViewers: PublicViewers
    let metrics: ServerMetrics
    let connectionLimits: ConnectionLimits
    let integrity = LogIntegrity()
    /// Completes timers and fires reminders; `nil` with `--no-scheduler`.
    let scheduler: Scheduler?
    let directory: Directory
    /// Sends the push outbox; `nil` with `--no-push`.
    let pushSender: PushSender?
    private let restLimiters = KeyedRateLimiters()

    init(
        configuration: ServerConfiguration, store: EventStore, verifier: TokenVerifier, serverKeys: ServerKeys, serverTokens: ServerTokens,
        logger: Logger, push: PushSender?, metrics: ServerMetrics
    ) {
        self.serverKeys = serverKeys
        self.serverTokens = serverTokens
        codeMail = CodeMail(configuration: configuration.signIn, logger: logger)
        publicViewers = PublicViewers(maxPerLink: configuration.maxViewersPerLink, metrics: metrics)
        self.metrics = metrics
        pushSender = push
        self.configuration = configuration
        self.store = store
        self.verifier = verifier
        hub = ConnectionHub(
            maxConnectionsPerUser: configuration.maxConnectionsPerUser, maxSupersededPerDevice: configuration.maxSupersededPerDevice,
            node: configuration.postgresURL == nil ? "" : String(UUID().uuidString.prefix(6)).lowercased() + "."
        )
        dispatcher = FanOutDispatcher(hub: hub, metrics: metrics, names: { [store] user in
            (try? store.read { DirectoryEntry.name(of: user, store: store, $0) }) ?? user
        }, messages: { [store] id, row in
            (try? store.read { try MessageJSON.object(id: id, row, store: store, $0) }) ?? ["id": id]
        })
        scheduler = configuration.scheduler ? Scheduler(store: store) { [logger] in logger.error("\($0)") } : nil
        directory = Directory(logger: logger)
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
            record(request, .success(result), started: started)
            return result
        } catch {
            record(request, .failure(error), started: started)
            throw error
        }
    }

    /// The same, for callers that must not wait (sockets): `completion` runs on the writer's
    /// thread once the command is durable or refused.
    func submit(_ request: CommandRequest, _ completion: @escaping @Sendable (Result<CommandResult, any Error>) -> Void) {
        let started = DispatchTime.now().uptimeNanoseconds
        store.submit(request) { [self] result in
            record(request, result, started: started)
            completion(result)
        }
    }

    private func record(_ request: CommandRequest, _ result: Result<CommandResult, any Error>, started: UInt64) {
        switch result {
        case .success(let result):
            metrics.appendLatency.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
            metrics.command(request.command, outcome: result.events.isEmpty ? "noop" : "appended")
        case .failure(let error):
            metrics.command(request.command, outcome: error is Rejection ? "rejected" : "error")
        }
    }

    /// One token bucket per user for REST calls (sockets have their own per connection).
    func allowREST(_ user: UserID) -> Bool {
        restLimiters.allow(user, rate: configuration.messagesPerSecond, burst: configuration.messageBurst)
    }

    /// The zone local times of `actor`'s device are read and written in: the device's
    /// `?tz=`, the user's setting, else the server's.
    func zone(of actor: Actor, _ txn: ReadTransaction) throws -> String {
        try store.views.userState(actor.userID, txn).zone(of: actor.deviceID) ?? configuration.timeZone
    }

    func connectionsChanged() { metrics.connections.record(hub.count) }

    /// Reads the disk and map figures and records them as gauges.
    func storageStatus() -> StorageStatus {
        let status = StorageStatus.read(store.environment)
        metrics.storage(status)
        return status
    }
}
