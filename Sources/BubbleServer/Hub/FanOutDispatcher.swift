internal import CoreMetrics
internal import EventLog
internal import Foundation
internal import TimerDomain
internal import BubbleCore
internal import Projections

/// The fan-out projector's socket side: takes each committed batch (in seq order, off the
/// writer thread), asks `FanOut` who should hear of each event, renders one frame per
/// (dialect, recipient variant) and queues it on every live device but the origin.
final class FanOutDispatcher: Sendable {
    private let hub: ConnectionHub
    private let metrics: ServerMetrics
    private let continuation: AsyncStream<[CommittedEvent]>.Continuation
    private let batches: AsyncStream<[CommittedEvent]>

    init(hub: ConnectionHub, metrics: ServerMetrics) {
        self.hub = hub
        self.metrics = metrics
        (batches, continuation) = AsyncStream.makeStream(of: [CommittedEvent].self, bufferingPolicy: .unbounded)
    }

    /// Called by the store on its writer thread: hand over and return at once.
    func enqueue(_ events: [CommittedEvent]) { continuation.yield(events) }

    func finish() { continuation.finish() }

    /// Runs until `finish()`.
    func run() async {
        for await batch in batches {
            for event in batch { deliver(event) }
        }
    }

    func deliver(_ e: CommittedEvent) {
        let deliveries = FanOut.deliveries(audience: e.audience, origin: e.envelope.actor) { hub.devices(of: $0) }
        var rendered: [String: String?] = [:]
        for d in deliveries {
            guard let connection = hub.connection(user: d.user, device: d.device) else { continue }
            let dialect = connection.dialect
            // Frames differ by dialect and, for an unshare, by whether this is the removed user.
            let variant = "\(dialect.rawValue)|\(isRemovedUser(d.user, e) ? "removed" : "member")"
            if rendered[variant] == nil {
                rendered[variant] = OutboundFrame.broadcast(e, to: d.user, dialect: dialect, timer: e.timerAfter).map(JSON.text)
            }
            if let text = rendered[variant] ?? nil { connection.deliver(text: text, seq: e.seq) }
        }
        if !deliveries.isEmpty, e.committedAt > 0 {
            metrics.commitToSend.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - e.committedAt))
        }
    }

    private func isRemovedUser(_ user: UserID, _ e: CommittedEvent) -> Bool {
        if case .timerUnshared(_, let removed) = e.event { return removed == user }
        return false
    }
}
