internal import CoreMetrics
internal import EventLog
internal import Foundation
internal import TimerDomain
internal import BubbleCore
internal import Projections
internal import NIOCore
internal import Sockets

/// The fan-out projector's socket side: takes each committed batch (in seq order, off the
/// writer thread), asks `FanOut` who should hear of each event, renders one frame per
/// distinct rendering, and hands every live device but the origin ALL of its frames from the
/// batch in one call (one hop to its loop, one flush), sharing the rendered bytes.
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
    /// each command is rendered once its last event is seen, and the batch is handed to the
    /// sockets when all of it is rendered.
    func run() async {
        for await batch in batches {
            var outbox = Outbox()
            var command: [CommittedEvent] = []
            var committedAt: UInt64 = 0
            for event in batch {
                command.append(event)
                if event.envelope.lastInCommand {
                    if collect(command, into: &outbox) { committedAt = max(committedAt, event.committedAt) }
                    command.removeAll(keepingCapacity: true)
                }
            }
            if !command.isEmpty, collect(command, into: &outbox) { committedAt = max(committedAt, command.last?.committedAt ?? 0) }
            outbox.hand()
            if committedAt > 0 { metrics.commitToSend.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - committedAt)) }
        }
    }

    /// Every frame a batch makes, by connection, in seq order.
    struct Outbox {
        private var order: [Connection] = []
        private var frames: [ObjectIdentifier: [Broadcast]] = [:]

        mutating func add(_ connection: Connection, seq: UInt64, _ bytes: ByteBuffer) {
            let key = ObjectIdentifier(connection)
            if frames[key] == nil {
                order.append(connection)
                frames[key] = [Broadcast(position: seq, bytes: bytes)]
            } else {
                frames[key]!.append(Broadcast(position: seq, bytes: bytes))
            }
        }

        /// One hop per event loop: each loop delivers to all of its sockets in one task.
        func hand() {
            var byLoop: [ObjectIdentifier: (loop: any EventLoop, work: [(Connection, [Broadcast])])] = [:]
            for connection in order {
                let loop = connection.socket.eventLoop
                byLoop[ObjectIdentifier(loop), default: (loop, [])].work.append((connection, frames[ObjectIdentifier(connection)]!))
            }
            for (_, batch) in byLoop {
                let work = batch.work
                batch.loop.execute { for (connection, frames) in work { connection.deliver(frames) } }
            }
        }
    }

    /// One frame per recipient device per timer the command touched, rendered once per
    /// (frame style, notice); returns whether anyone gets one.
    private func collect(_ command: [CommittedEvent], into outbox: inout Outbox) -> Bool {
        var delivered = collectInbox(command, into: &outbox)
        for group in FanOut.timerGroups(command.map(\.envelope)) {
            let after = command.last { $0.envelope.event.timerID == group.id }?.timerAfter
            guard let notices = FanOut.notices(of: group.events, timerAfter: after, commandEnd: command.last?.seq) else { continue }
            let origin = notices.actor
            var rendered: [(style: FrameStyle, notice: Notice, user: UserID?, bytes: ByteBuffer?)] = []
            for (user, notice) in notices.recipients {
                for connection in hub.connections(of: user) where !(user == origin.userID && connection.actor.deviceID == origin.deviceID) {
                    let style = connection.style.rendering
                    // A removal names its recipient in the seed dialect; other frames are shared.
                    let perUser: UserID? = if case .removed = notice { user } else { nil }
                    let bytes: ByteBuffer?
                    if let hit = rendered.first(where: { $0.style == style && $0.notice == notice && $0.user == perUser }) {
                        bytes = hit.bytes
                    } else {
                        bytes = OutboundFrame.notice(notice, to: user, seq: notices.seq, timestamp: notices.timestamp, style: style).bytes
                        rendered.append((style, notice, perUser, bytes))
                    }
                    guard let bytes else { continue }
                    outbox.add(connection, seq: notices.seq, bytes)
                    delivered = true
                }
            }
        }
        return delivered
    }

    /// Inbox frames, to the recipient's seed sockets only: the Android app's socket carries
    /// timer frames alone (its devices are pushed instead).
    private func collectInbox(_ command: [CommittedEvent], into outbox: inout Outbox) -> Bool {
        var delivered = false
        for e in command {
            let user: UserID, frame: () -> OutboundFrame
            switch e.envelope.event {
            case .notificationCreated(let recipient, let n):
                user = recipient
                frame = { [names] in
                    let row = NotificationRow(notification: n, createdAt: e.envelope.timestamp)
                    return .notification(NotificationJSON.object(id: e.seq, row, fromName: n.from.map(names)), seq: e.seq)
                }
            case .messageSent(let recipient, let m):
                user = recipient
                frame = { [messages] in
                    .message(messages(e.seq, MessageRow(message: m, to: recipient, createdAt: e.envelope.timestamp, read: false)), seq: e.seq)
                }
            case .notificationsRead(let recipient, let ids):
                user = recipient
                frame = { .notificationsRead(ids, seq: e.seq) }
            default:
                continue
            }
            var bytes: ByteBuffer?
            for connection in hub.connections(of: user) where connection.style.dialect == .seed {
                if bytes == nil { bytes = frame().bytes }
                guard let bytes else { break }
                outbox.add(connection, seq: e.seq, bytes)
                delivered = true
            }
        }
        return delivered
    }
}
