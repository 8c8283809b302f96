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

    init(configuration: ServerConfiguration, store: EventStore, verifier: TokenVerifier) {
        self.configuration = configuration
        self.store = store
        self.verifier = verifier
        hub = ConnectionHub(maxConnectionsPerUser: configuration.maxConnectionsPerUser)
        dispatcher = FanOutDispatcher(hub: hub)
    }
}
