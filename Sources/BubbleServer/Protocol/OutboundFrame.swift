internal import TimerDomain
internal import EventLog
internal import BubbleCore
internal import Projections
public import NIOCore

/// Every frame the server sends, in either dialect. Broadcasts carry `seq`, `messageId` (the
/// seq as a string: stable, so a client can acknowledge and deduplicate) and `serverTime`
/// (ms). A frame is rendered once (``bytes``) and the same buffer goes to every socket that
/// gets the same bytes.
enum OutboundFrame {
    /// One command's effect on one timer as `user` sees it: ONE frame however many events
    /// the command appended, carrying the state after the command and the seq of its last
    /// event.
    case notice(Notice, to: UserID, seq: UInt64, timestamp: Int64, style: FrameStyle)
    /// The answer to a `time` frame: the client's `t0`, when the frame arrived (`t1`) and
    /// when the answer left (`t2`), server ms with microseconds (docs/protocol.md, "Clock sync").
    case time(t0: Any?, receivedAt: Double, requestID: String?)
    /// What an Android device that was offline is told of a timer it could see when it left
    /// and can no longer see (stopped or unshared meanwhile): the app only upserts the
    /// `activeTimerList`, so without this the timer would stay on the phone for good.
    case vanished(TimerID, seq: UInt64)
    /// A new inbox entry (seed dialect only).
    case notification([String: Any], seq: UInt64)
    case message([String: Any], seq: UInt64)
    case notificationsRead([UInt64], seq: UInt64)
    /// The state a client gets on connect: `snapshot` (seed, with the unread count of the
    /// user's inbox) or `activeTimerList` (Android).
    case initialState([TimerViewRow], seq: UInt64, style: FrameStyle, resumeFailed: Bool, unread: Int)
    /// A resume is complete: `count` missed frames were sent, the client is at `seq`.
    case resumed(since: UInt64, seq: UInt64, count: Int, unread: Int)
    case result(requestID: String?, seq: UInt64, changed: Bool)
    case pong(timestamp: Any?, requestID: String?)
    case error(ServerError, requestID: String?)

    /// The frame's bytes; `nil` when it has nothing to say in its dialect.
    var bytes: ByteBuffer? {
        guard let object else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(256)
        JSONWriter.write(object, into: &out)
        return ByteBuffer(bytes: out)
    }

    var object: [String: Any]? {
        switch self {
        case .notice(let notice, let user, let seq, let timestamp, let style):
            guard var frame = Self.notice(notice, to: user, style: style) else { return nil }
            frame["seq"] = seq
            frame["messageId"] = String(seq)
            frame["serverTime"] = timestamp
            return frame
        case .time(let t0, let t1, let requestID):
            var frame: [String: Any] = ["type": "time", "t1": t1, "t2": currentMillisecondsPrecise()]
            if let t0 { frame["t0"] = t0 }
            if let requestID { frame["requestId"] = requestID }
            return frame
        case .vanished(let id, let seq):
            return ["type": "stopTimer", "timerId": id, "messageId": "reconnect-\(seq)-\(id)", "seq": seq]
        case .notification(let object, let seq):
            return ["type": "notification", "notification": object, "seq": seq]
        case .message(let object, let seq):
            return ["type": "message", "message": object, "seq": seq]
        case .notificationsRead(let ids, let seq):
            return ["type": "notificationsRead", "ids": ids, "seq": seq]
        case .initialState(let timers, let seq, let style, let resumeFailed, let unread):
            let list = timers.map { TimerJSON.object($0, style: style) }
            switch style.dialect {
            case .seed:
                var frame: [String: Any] = ["type": "snapshot", "seq": seq, "timers": list, "serverTime": currentMilliseconds(), "unreadNotifications": unread]
                if resumeFailed { frame["resumed"] = false }
                return frame
            case .android:
                return ["type": "activeTimerList", "timerList": list, "messageId": "snapshot-\(seq)"]
            }
        case .resumed(let since, let seq, let count, let unread):
            return ["type": "resumed", "since": since, "seq": seq, "count": count, "unreadNotifications": unread]
        case .result(let requestID, let seq, let changed):
            var frame: [String: Any] = ["type": "result", "seq": seq, "changed": changed]
            if let requestID { frame["requestId"] = requestID }
            return frame
        case .pong(let timestamp, let requestID):
            var frame: [String: Any] = ["type": "pong", "serverTime": currentMilliseconds()]
            if let timestamp { frame["timestamp"] = timestamp }
            if let requestID { frame["requestId"] = requestID }
            return frame
        case .error(let error, let requestID):
            var frame: [String: Any] = ["type": "error", "code": error.code, "message": error.message, "error": error.message]
            if let field = error.field { frame["field"] = field }
            if let requestID { frame["requestId"] = requestID }
            return frame
        }
    }

    private static func notice(_ notice: Notice, to user: UserID, style: FrameStyle) -> [String: Any]? {
        switch (style.dialect, notice) {
        case (.seed, .completed(let row, let firing)):
            ["type": "timerCompleted", "timerId": row.timer.id, "timer": TimerJSON.object(row, style: style)].merging(fields(firing)) { a, _ in a }
        case (.seed, .reminder(let row, let reminder, let firing)):
            ["type": "reminder", "reminderId": reminder, "timerId": row.timer.id, "timer": TimerJSON.object(row, style: style)].merging(fields(firing)) { a, _ in a }
        case (.android, .completed), (.android, .reminder):
            // The app rings on its own and has no frame for either; people without a socket
            // hear of them through notifications and push.
            nil
        case (.seed, .updated(let row)):
            ["type": "timer", "action": "update", "timer": TimerJSON.object(row, style: style)]
        case (.seed, .shared(let row, let with)):
            ["type": "share", "action": "add", "timerId": row.timer.id, "sharedWithUser": with, "timer": TimerJSON.object(row, style: style)]
        case (.seed, .unshared(let row, let removed)):
            ["type": "share", "action": "remove", "timerId": row.timer.id, "sharedWithUser": removed, "timer": TimerJSON.object(row, style: style)]
        case (.seed, .removed(let id)):
            ["type": "share", "action": "remove", "timerId": id, "sharedWithUser": user]
        case (.seed, .stopped(let id, let by)):
            ["type": "timer", "action": "stop", "timerId": id, "stoppedBy": by]
        case (.android, .updated(let row)), (.android, .shared(let row, _)), (.android, .unshared(let row, _)):
            ["type": "updateTimer", "timer": TimerJSON.object(row, style: style)]
        case (.android, .removed(let id)):
            // The removed user's app deletes it; it has no other way to hear of an unshare.
            ["type": "stopTimer", "timerId": id]
        case (.android, .stopped(let id, let by)):
            // The deployed backend named who stopped it; the app ignores these, others show them.
            ["type": "stopTimer", "timerId": id, "stoppedByUserId": by, "stoppedByUserName": by]
        }
    }

    private static func fields(_ firing: Firing) -> [String: Any] {
        ["dueAt": firing.dueAt, "firedAt": firing.firedAt, "late": firing.kind == .late, "lateMs": firing.firedAt - firing.dueAt]
    }
}
