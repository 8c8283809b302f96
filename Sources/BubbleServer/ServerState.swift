internal import CoreMetrics
internal import Foundation
internal import TimerDomain
internal import Hummingbird
internal import Foundation
internal import TimerDomain
internal import Projections
internal import EventLog
internal import BubbleCore

/// What every route and socket shares.
final class ServerState: Sendable {
    let configuration: ServerConfiguration
    let store: EventStore
    let hub: ConnectionHub
    let dispatcher: FanOutDispatcher
    let verifier: TokenVerifier
    let metrics = ServerMetrics()

    init(configuration: ServerConfiguration, store: EventStore, verifier: TokenVerifier) {
        self.configuration = configuration
        self.store = store
        self.verifier = verifier
        hub = ConnectionHub(maxConnectionsPerUser: configuration.maxConnectionsPerUser)
        dispatcher = FanOutDispatcher(hub: hub, metrics: metrics)
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

    func connectionsChanged() { metrics.connections.record(hub.count) }
}
