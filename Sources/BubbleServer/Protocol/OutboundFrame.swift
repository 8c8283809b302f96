internal import TimerDomain
internal import EventLog
internal import BubbleCore
internal import Projections

/// Frames the server sends, in each dialect. Broadcasts carry `seq`, `messageId` (the seq as
/// a string: stable, so a client can acknowledge and deduplicate) and `serverTime` (ms).
enum OutboundFrame {
    /// What a committed event looks like to one recipient, or `nil` when it has nothing to
    /// say to them. `timer` is the timer's view after the event (nil once stopped).
    static func broadcast(_ e: CommittedEvent, to user: UserID, dialect: Dialect, timer: TimerViewRow?) -> [String: Any]? {
        var frame: [String: Any]
        switch (dialect, e.event) {
        case (.seed, .timerCreated), (.seed, .timerUpdated):
            guard let timer else { return nil }
            frame = ["type": "timer", "action": "update", "timer": TimerJSON.object(timer)]
        case (.seed, .timerStopped(let id, _, _)):
            frame = ["type": "timer", "action": "stop", "timerId": id, "stoppedBy": e.envelope.actor.userID]
        case (.seed, .timerShared(let id, let with)):
            frame = ["type": "share", "action": "add", "timerId": id, "sharedWithUser": with]
            if let timer { frame["timer"] = TimerJSON.object(timer) }
        case (.seed, .timerUnshared(let id, let removed)):
            frame = ["type": "share", "action": "remove", "timerId": id, "sharedWithUser": removed]
            if let timer, removed != user { frame["timer"] = TimerJSON.object(timer) }

        case (.android, .timerCreated), (.android, .timerUpdated), (.android, .timerShared):
            guard let timer else { return nil }
            frame = ["type": "updateTimer", "timer": TimerJSON.object(timer)]
        case (.android, .timerStopped(let id, _, _)):
            frame = ["type": "stopTimer", "timerId": id]
        case (.android, .timerUnshared(let id, let removed)):
            // The removed user's app deletes it; everyone else sees the shorter share list.
            if removed == user {
                frame = ["type": "stopTimer", "timerId": id]
            } else {
                guard let timer else { return nil }
                frame = ["type": "updateTimer", "timer": TimerJSON.object(timer)]
            }
        default:
            return nil
        }
        frame["seq"] = e.seq
        frame["messageId"] = String(e.seq)
        frame["serverTime"] = e.envelope.timestamp
        return frame
    }

    /// The state a client gets on connect: `snapshot` (seed) or `activeTimerList` (Android).
    static func initialState(_ timers: [TimerViewRow], seq: UInt64, dialect: Dialect, resumeFailed: Bool) -> [String: Any] {
        let list = timers.map { TimerJSON.object($0) }
        switch dialect {
        case .seed:
            var frame: [String: Any] = ["type": "snapshot", "seq": seq, "timers": list, "serverTime": currentMilliseconds()]
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
