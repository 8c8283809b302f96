public import TimerDomain
public import EventLog
internal import LMDB

/// One entry of a user's inbox as served: the notification, when, and whether it was read.
public struct NotificationRow: Equatable, Sendable {
    public var notification: InboxNotification
    public var createdAt: Int64
    public var read: Bool

    public init(notification: InboxNotification, createdAt: Int64, read: Bool = false) {
        self.notification = notification
        self.createdAt = createdAt
        self.read = read
    }
}

/// A message as one of its two users holds it (the recipient's copy, and the sender's).
public struct MessageRow: Equatable, Sendable {
    public var message: Message
    public var to: UserID
    public var createdAt: Int64
    public var read: Bool

    public init(message: Message, to: UserID, createdAt: Int64, read: Bool) {
        self.message = message
        self.to = to
        self.createdAt = createdAt
        self.read = read
    }
}

/// A push waiting in the outbox: notification `seq` to one device of `user`.
public struct OutboxKey: Hashable, Comparable, Sendable {
    public var notification: UInt64
    public var user: UserID
    public var device: DeviceID

    public init(notification: UInt64, user: UserID, device: DeviceID) {
        self.notification = notification
        self.user = user
        self.device = device
    }

    /// `seq (u64 BE) ‖ user NUL device`: the outbox in the order notifications were made.
    public var key: [UInt8] { BigEndianKey.encode(notification) + Array(user.utf8) + [0] + Array(device.utf8) }

    public init?(key raw: UnsafeRawBufferPointer) {
        guard raw.count > 9, let seq = BigEndianKey.decode(UnsafeRawBufferPointer(rebasing: raw[..<8])),
              let (user, device) = CompositeKey.split(UnsafeRawBufferPointer(rebasing: raw[8...])) else { return nil }
        self.init(notification: seq, user: user, device: device)
    }

    /// `notBefore (biased u64 BE) ‖ key`: the outbox in the order pushes may be tried.
    public func dueKey(_ notBefore: Int64) -> [UInt8] { BigEndianKey.encode(UInt64(bitPattern: notBefore) ^ (1 << 63)) + key }

    public init?(dueKey raw: UnsafeRawBufferPointer) {
        guard raw.count > 16 else { return nil }
        self.init(key: UnsafeRawBufferPointer(rebasing: raw[8...]))
    }

    public static func dueInstant(_ raw: UnsafeRawBufferPointer) -> Int64? {
        guard raw.count > 16, let biased = BigEndianKey.decode(UnsafeRawBufferPointer(rebasing: raw[0..<8])) else { return nil }
        return Int64(bitPattern: biased ^ (1 << 63))
    }

    public static func < (a: OutboxKey, b: OutboxKey) -> Bool {
        (a.notification, a.user, a.device) < (b.notification, b.user, b.device)
    }
}

/// How far a push has got: attempts made, and the instant before which it is not tried again.
public struct OutboxEntry: Equatable, Sendable {
    public var attempt: Int
    public var notBefore: Int64

    public init(attempt: Int, notBefore: Int64) {
        self.attempt = attempt
        self.notBefore = notBefore
    }
}

/// One change to the inbox or the push outbox.
public enum InboxChange: Equatable, Sendable {
    case add(user: UserID, id: UInt64, NotificationRow)
    case markRead(user: UserID, ids: [UInt64])
    /// The user was erased: their inbox and messages go with them.
    case dropAll(user: UserID)
    /// A message row of `owner`'s (sender or recipient), by the message's id.
    case message(owner: UserID, id: UInt64, MessageRow)
    case push(OutboxKey, OutboxEntry)
    case pushDone(OutboxKey)
}

/// The inbox and the push outbox as folds of the user streams. Which devices a notification
/// is pushed to is decided here, from the state the log gives at that point (the user's
/// devices and which of them are connected), so a replay makes the same outbox.
public enum InboxView {
    @inlinable
    public static func concerns(_ event: Event) -> Bool {
        switch event {
        case .notificationCreated, .notificationsRead, .userErased, .pushDelivered, .pushAbandoned, .pushFailed, .messageSent: true
        default: false
        }
    }

    public static func changes(for e: EventEnvelope, user: UserState, isConnected: (DeviceID) throws -> Bool) rethrows -> [InboxChange] {
        func notified(_ recipient: UserID, _ notification: InboxNotification) throws -> [InboxChange] {
            var out: [InboxChange] = [.add(user: recipient, id: e.seq, NotificationRow(notification: notification, createdAt: e.timestamp))]
            for device in user.pushTargets.keys.sorted() {
                let target = user.pushTargets[device]!
                if try PushPolicy.pushes(notification, to: target, connected: isConnected(device)) {
                    out.append(.push(OutboxKey(notification: e.seq, user: recipient, device: device), OutboxEntry(attempt: 0, notBefore: e.timestamp)))
                }
            }
            return out
        }
        switch e.event {
        case .notificationCreated(let recipient, let notification):
            return try notified(recipient, notification)
        case .messageSent(let recipient, let message):
            // The recipient's copy, the sender's (read: they wrote it), and the inbox entry.
            return try [
                .message(owner: recipient, id: e.seq, MessageRow(message: message, to: recipient, createdAt: e.timestamp, read: false)),
                .message(owner: message.from, id: e.seq, MessageRow(message: message, to: recipient, createdAt: e.timestamp, read: true)),
            ] + notified(recipient, message.notification)
        case .notificationsRead(let recipient, let ids):
            return [.markRead(user: recipient, ids: ids)]
        case .userErased(let recipient):
            return [.dropAll(user: recipient)]
        case .pushDelivered(let recipient, let seq, let device), .pushAbandoned(let recipient, let seq, let device, _):
            return [.pushDone(OutboxKey(notification: seq, user: recipient, device: device))]
        case .pushFailed(let recipient, let seq, let device, let attempt, let retryAt, _):
            return [.push(OutboxKey(notification: seq, user: recipient, device: device), OutboxEntry(attempt: attempt, notBefore: retryAt))]
        default:
            return []
        }
    }
}
