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
    /// Reads a sender's display name for inbox frames.
    private let names: @Sendable (UserID) -> String
    /// Renders a message as its recipient sees it (opened with its sender's key).
    private let messages: @Sendable (UInt64, MessageRow) -> [String: Any]
    private let continuation: AsyncStream<[CommittedEvent]>.Continuation
    private let batches: AsyncStream<[CommittedEvent]>

    init(hub: ConnectionHub, metrics: ServerMetrics, names: @escaping @Sendable (UserID) -> String,
         messages: @escaping @Sendable (UInt64, MessageRow) -> [String: Any]) {
        self.hub = hub
        self.metrics = metrics
        self.names = names
        self.messages = messages
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
        var delivered = deliverInbox(command)
        for group in FanOut.timerGroups(command.map(\.envelope)) {
            let after = command.last { $0.envelope.event.timerID == group.id }?.timerAfter
            guard let notices = FanOut.notices(of: group.events, timerAfter: after, commandEnd: command.last?.seq) else { continue }
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

    /// Inbox frames, to the recipient's seed sockets only: the Android app's socket carries
    /// timer frames alone (its devices are pushed instead).
    private func deliverInbox(_ command: [CommittedEvent]) -> Bool {
        var delivered = false
        for e in command {
            let user: UserID, frame: () -> [String: Any]
            switch e.envelope.event {
            case .notificationCreated(let recipient, let n):
                user = recipient
                frame = { [names] in
                    let row = NotificationRow(notification: n, createdAt: e.envelope.timestamp)
                    return OutboundFrame.notification(NotificationJSON.object(id: e.seq, row, fromName: n.from.map(names)), seq: e.seq)
                }
            case .messageSent(let recipient, let m):
                user = recipient
                frame = { [messages] in
                    ["type": "message", "message": messages(e.seq, MessageRow(message: m, to: recipient, createdAt: e.envelope.timestamp, read: false)), "seq": e.seq]
                }
            case .notificationsRead(let recipient, let ids):
                user = recipient
                frame = { ["type": "notificationsRead", "ids": ids, "seq": e.seq] }
            default:
                continue
            }
            var text: String?
            for connection in hub.connections(of: user) where connection.style.dialect == .seed {
                if text == nil { text = JSON.text(frame()) }
                connection.deliver(text: text!, seq: e.seq)
                delivered = true
            }
        }
        return delivered
    }
}
