internal import TimerDomain
internal import EventLog
internal import BubbleCore
internal import Projections

/// Frames the server sends, in each dialect. Broadcasts carry `seq`, `messageId` (the seq as
/// a string: stable, so a client can acknowledge and deduplicate) and `serverTime` (ms).
enum OutboundFrame {
    /// One command's effect on one timer as `user` sees it: ONE frame however many events
    /// the command appended, carrying the state after the command and the seq of its last
    /// event. `nil` when it has nothing to say in this dialect.
    static func notice(_ notice: Notice, to user: UserID, seq: UInt64, timestamp: Int64, style: FrameStyle) -> [String: Any]? {
        var frame: [String: Any]
        switch (style.dialect, notice) {
        case (.seed, .completed(let row, let firing)):
            frame = ["type": "timerCompleted", "timerId": row.timer.id, "timer": TimerJSON.object(row, style: style)].merging(fields(firing)) { a, _ in a }
        case (.seed, .reminder(let row, let reminder, let firing)):
            frame = ["type": "reminder", "reminderId": reminder, "timerId": row.timer.id, "timer": TimerJSON.object(row, style: style)].merging(fields(firing)) { a, _ in a }
        case (.android, .completed), (.android, .reminder):
            // The app rings on its own and has no frame for either; people without a socket
            // hear of them through notifications and push.
            return nil

        case (.seed, .updated(let row)):
            frame = ["type": "timer", "action": "update", "timer": TimerJSON.object(row, style: style)]
        case (.seed, .shared(let row, let with)):
            frame = ["type": "share", "action": "add", "timerId": row.timer.id, "sharedWithUser": with, "timer": TimerJSON.object(row, style: style)]
        case (.seed, .unshared(let row, let removed)):
            frame = ["type": "share", "action": "remove", "timerId": row.timer.id, "sharedWithUser": removed, "timer": TimerJSON.object(row, style: style)]
        case (.seed, .removed(let id)):
            frame = ["type": "share", "action": "remove", "timerId": id, "sharedWithUser": user]
        case (.seed, .stopped(let id, let by)):
            frame = ["type": "timer", "action": "stop", "timerId": id, "stoppedBy": by]

        case (.android, .updated(let row)), (.android, .shared(let row, _)), (.android, .unshared(let row, _)):
            frame = ["type": "updateTimer", "timer": TimerJSON.object(row, style: style)]
        case (.android, .removed(let id)):
            // The removed user's app deletes it; it has no other way to hear of an unshare.
            frame = ["type": "stopTimer", "timerId": id]
        case (.android, .stopped(let id, let by)):
            // The deployed backend named who stopped it; the app ignores these, others show them.
            frame = ["type": "stopTimer", "timerId": id, "stoppedByUserId": by, "stoppedByUserName": by]
        }
        frame["seq"] = seq
        frame["messageId"] = String(seq)
        frame["serverTime"] = timestamp
        return frame
    }

    private static func fields(_ firing: Firing) -> [String: Any] {
        ["dueAt": firing.dueAt, "firedAt": firing.firedAt, "late": firing.kind == .late, "lateMs": firing.firedAt - firing.dueAt]
    }

    /// The answer to a `time` frame: the client's `t0`, when the frame arrived (`t1`) and
    /// when the answer left (`t2`), server ms with microseconds (docs/protocol.md, "Clock sync").
    static func time(t0: Any?, receivedAt t1: Double, requestID: String?) -> [String: Any] {
        var frame: [String: Any] = ["type": "time", "t1": t1, "t2": currentMillisecondsPrecise()]
        if let t0 { frame["t0"] = t0 }
        if let requestID { frame["requestId"] = requestID }
        return frame
    }

    /// What an Android device that was offline is told of a timer it could see when it left
    /// and can no longer see (stopped or unshared meanwhile): the app only upserts the
    /// `activeTimerList`, so without this the timer would stay on the phone for good.
    static func vanished(_ id: TimerID, seq: UInt64) -> [String: Any] {
        ["type": "stopTimer", "timerId": id, "messageId": "reconnect-\(seq)-\(id)", "seq": seq]
    }

    /// A new inbox entry (seed dialect only).
    static func notification(_ object: [String: Any], seq: UInt64) -> [String: Any] {
        ["type": "notification", "notification": object, "seq": seq]
    }

    /// The state a client gets on connect: `snapshot` (seed, with the unread count of the
    /// user's inbox) or `activeTimerList` (Android).
    static func initialState(_ timers: [TimerViewRow], seq: UInt64, style: FrameStyle, resumeFailed: Bool, unread: Int = 0) -> [String: Any] {
        let list = timers.map { TimerJSON.object($0, style: style) }
        switch style.dialect {
        case .seed:
            var frame: [String: Any] = ["type": "snapshot", "seq": seq, "timers": list, "serverTime": currentMilliseconds(), "unreadNotifications": unread]
            if resumeFailed { frame["resumed"] = false }
            return frame
        case .android:
            return ["type": "activeTimerList", "timerList": list, "messageId": "snapshot-\(seq)"]
        }
    }

    static func result(requestID: String?, _ result: CommandResult, head: UInt64) -> [String: Any] {
        var frame: [String: Any] = ["type": "result", "seq": result.seq ?? head, "changed": !result.events.isEmpty]
        if let requestID { frame["requestId"] = requestID }
        return frame
    }

    static func pong(timestamp: Any?, requestID: String?) -> [String: Any] {
        var frame: [String: Any] = ["type": "pong", "serverTime": currentMilliseconds()]
        if let timestamp { frame["timestamp"] = timestamp }
        if let requestID { frame["requestId"] = requestID }
        return frame
    }
}
