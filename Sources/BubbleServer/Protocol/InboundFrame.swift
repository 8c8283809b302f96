internal import TimerDomain
internal import HTTPTypes

/// One parsed client frame.
enum InboundMessage {
    /// A command to run; the sender gets a result or an error frame (seed dialect).
    /// `endKey`: the name a seed client used for a timer's end, which its frames then use.
    case command(Command, requestID: String?, endKey: TimerJSON.EndKey? = nil)
    /// Several independent commands from one frame (an old Android client's
    /// `activeTimerList`), each read on its own: an item that cannot be read is its error.
    case commands([Result<Command, ServerError>])
    case ping(timestamp: Any?, requestID: String?)
    /// Clock sync (seed): answered at once with the server's receive and send times.
    case time(t0: Any?, requestID: String?)
    case ack
}

/// Parses frames of either dialect into messages; every failure is a `ServerError` naming
/// the problem, and nothing is appended for it.
enum InboundFrame {
    static func parse(_ bytes: some Collection<UInt8>) throws(ServerError) -> (Dialect, InboundMessage) {
        let frame = try JSON.object(bytes)
        if frame["action"] as? String == "sendmessage" {
            let data = try frame.object("data", in: "")
            return (.android, try android(data))
        }
        return (.seed, try seed(frame))
    }

    static func requestID(of bytes: some Collection<UInt8>) -> String? {
        (try? JSON.object(bytes))?["requestId"] as? String
    }

    private static func seed(_ f: [String: Any]) throws(ServerError) -> InboundMessage {
        let requestID = f["requestId"] as? String
        // Seed 000 named its socket routes (API Gateway selects on `action`, or as `type`).
        if let route = (f["type"] ?? f["action"]) as? String, let command = try seed000(route, f) {
            return .command(command, requestID: requestID, endKey: endKey(of: f))
        }
        guard let type = f["type"] else { throw .badRequest("missing_field", "type is required") }
        guard let type = type as? String else { throw .badRequest("wrong_type", "type must be a string") }
        switch type {
        case "timer":
            let action = try f.string("action", in: "")
            switch action {
            case "update":
                return .command(try update(f, in: ""), requestID: requestID, endKey: endKey(of: f))
            case "stop":
                return .command(.timer(.stop(try f.string("timerId", in: ""))), requestID: requestID)
            default:
                guard let countdown = try countdownAction(action, f, in: "") else {
                    throw .badRequest("unknown_action", "unknown timer action '\(action)' (expected update, stop, start, pause, resume, reset, add or set)")
                }
                return .command(.timer(.countdown(try f.string("timerId", in: ""), countdown)), requestID: requestID)
            }
        case "share":
            let action = try f.string("action", in: "")
            let timerID = try f.string("timerId", in: "")
            let user = try shareTarget(f)
            switch action {
            case "add": return .command(.timer(.share(timerID, with: user)), requestID: requestID)
            case "remove": return .command(.timer(.unshare(timerID, user: user)), requestID: requestID)
            default: throw .badRequest("unknown_action", "unknown share action '\(action)' (expected add or remove)")
            }
        case "ping":
            return .ping(timestamp: f["timestamp"], requestID: requestID)
        case "time":
            return .time(t0: f["t0"], requestID: requestID)
        case "ack":
            return .ack
        default:
            throw .badRequest("unknown_type", "unknown message type '\(type)' (expected timer, share, time, ping or ack)")
        }
    }

    /// `updateTimer {timer, shareWith?}`, `stopTimer {timerId}`, `shareTimer {timerId,
    /// targetUser | sharedWithUser}`; `nil` for any other name.
    private static func seed000(_ route: String, _ f: [String: Any]) throws(ServerError) -> Command? {
        switch route {
        case "updateTimer": try update(f, in: "")
        case "stopTimer":
            if let id = try f.optionalString("timerId", in: "") { .timer(.stop(id)) } else { .timer(.stop(try f.object("timer", in: "").string("id", in: "timer."))) }
        case "shareTimer":
            .timer(.share(try f.string("timerId", in: ""), with: try shareTarget(f)))
        default: nil
        }
    }

    /// A countdown command by its name (`start`, `pause`, `resume`, `reset`, `add` with
    /// `duration`, `set` with `remaining`), from a frame or a REST body; `nil` for another name.
    static func countdownAction(_ name: String, _ f: [String: Any], in context: String) throws(ServerError) -> CountdownAction? {
        switch name {
        case "start": .start
        case "pause": .pause
        case "resume": .resume
        case "reset": .reset
        case "add": .add(try duration(f, "duration", in: context))
        case "set": .set(try duration(f, "remaining", in: context, signed: false))
        default: nil
        }
    }

    /// A required ISO-8601 duration field, in milliseconds. `signed: false` refuses any minus
    /// sign (docs/openapi.yaml's NonNegativeDuration), `-PT0S` included.
    static func duration(_ f: [String: Any], _ key: String, in context: String, signed: Bool = true) throws(ServerError) -> Int64 {
        let text = try f.string(key, in: context)
        let limit = Limits().maxDurationLength
        guard text.utf8.count <= limit else {
            throw ServerError(.badRequest, code: "invalid_field", "\(context)\(key) is \(text.utf8.count) bytes long; the limit is \(limit)", field: key)
        }
        guard signed || !text.contains("-") else {
            throw ServerError(.badRequest, code: "invalid_field", "\(context)\(key) must not be negative", field: key)
        }
        guard let ms = ISO8601.durationMilliseconds(text) else {
            throw ServerError(.badRequest, code: "invalid_field", "\(context)\(key) '\(text)' is not an ISO-8601 duration such as PT1M or PT-30S", field: key)
        }
        return ms
    }

    /// Which name the frame's timer gives its end, when it gives one.
    private static func endKey(of f: [String: Any]) -> TimerJSON.EndKey? {
        guard let timer = f["timer"] as? [String: Any] else { return nil }
        if timer["timerEnd"] != nil { return .socket }
        return timer["endTime"] != nil ? .rest : nil
    }

    /// `targetUser` (seed 000) or `sharedWithUser` (seed 001).
    private static func shareTarget(_ f: [String: Any]) throws(ServerError) -> UserID {
        if let user = try f.optionalString("targetUser", in: "") { return user }
        return try f.string("sharedWithUser", in: "")
    }

    /// An update with its share list; the payload's `userId` is only a claim (see `TimerCommand.update`).
    private static func update(_ f: [String: Any], in context: String) throws(ServerError) -> Command {
        let object = try f.object("timer", in: context)
        let timer = try TimerJSON.snapshot(object, context: context + "timer.")
        return .timer(.update(timer, shareWith: try f.strings("shareWith", in: context), claimedOwner: object["userId"] as? String))
    }

    private static func android(_ d: [String: Any]) throws(ServerError) -> InboundMessage {
        let type = try d.string("type", in: "data.")
        switch type {
        case "ping":
            return .ping(timestamp: d["timestamp"], requestID: nil)
        case "updateTimer":
            return .command(try update(d, in: "data."), requestID: nil)
        case "stopTimer":
            let id = try d.optionalString("timerId", in: "data.") ?? ((d["timer"] as? [String: Any])?["id"] as? String)
            guard let id else { throw .badRequest("missing_field", "data.timerId is required") }
            return .command(.timer(.stop(id)), requestID: nil)
        case "acknowledge":
            return .ack
        case "activeTimerList":
            guard let list = d["timerList"] as? [Any] else { throw .badRequest("missing_field", "data.timerList must be an array") }
            // Each item stands alone: one that cannot be read is refused by itself.
            let commands = list.enumerated().map { i, item -> Result<Command, ServerError> in
                guard let object = item as? [String: Any] else { return .failure(.badRequest("wrong_type", "data.timerList[\(i)] must be an object")) }
                return Result { () throws(ServerError) in
                    .timer(.update(try TimerJSON.snapshot(object, context: "data.timerList[\(i)]."), claimedOwner: object["userId"] as? String))
                }
            }
            return .commands(commands)
        default:
            throw .badRequest("unknown_type", "unknown data.type '\(type)' (expected ping, updateTimer, stopTimer, acknowledge or activeTimerList)")
        }
    }
}
