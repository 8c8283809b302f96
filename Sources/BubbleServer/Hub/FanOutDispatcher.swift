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

    /// Runs until `finish()`. A command's events are consecutive and committed in one batch;
    /// each command is delivered once its last event is seen.
    func run() async {
        for await batch in batches {
            var command: [CommittedEvent] = []
            for event in batch {
                command.append(event)
                if event.envelope.lastInCommand {
                    deliver(command)
                    command.removeAll(keepingCapacity: true)
                }
            }
            if !command.isEmpty { deliver(command) }
        }
    }

    /// One frame per recipient device per timer the command touched, rendered once per
    /// (frame style, notice).
    func deliver(_ command: [CommittedEvent]) {
        var delivered = false
        for group in FanOut.timerGroups(command.map(\.envelope)) {
            let after = command.last { $0.envelope.event.timerID == group.id }?.timerAfter
            guard let notices = FanOut.notices(of: group.events, timerAfter: after) else { continue }
            let origin = notices.actor
            var rendered: [(style: FrameStyle, notice: Notice, user: UserID?, text: String?)] = []
            for (user, notice) in notices.recipients {
                for device in hub.devices(of: user) where !(user == origin.userID && device == origin.deviceID) {
                    guard let connection = hub.connection(user: user, device: device) else { continue }
                    let style = connection.style.rendering
                    // A removal names its recipient in the seed dialect; other frames are shared.
                    let perUser: UserID? = if case .removed = notice { user } else { nil }
                    let text: String?
                    if let hit = rendered.first(where: { $0.style == style && $0.notice == notice && $0.user == perUser }) {
                        text = hit.text
                    } else {
                        text = OutboundFrame.notice(notice, to: user, seq: notices.seq, timestamp: notices.timestamp, style: style).map(JSON.text)
                        rendered.append((style, notice, perUser, text))
                    }
                    guard let text else { continue }
                    connection.deliver(text: text, seq: notices.seq)
                    delivered = true
                }
            }
        }
        if delivered, let committedAt = command.last?.committedAt, committedAt > 0 {
            metrics.commitToSend.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - committedAt))
        }
    }
}
