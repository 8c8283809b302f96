internal import Foundation
public import TimerDomain
public import EventLog
public import BubbleCore

/// `--json` output: plain dictionaries serialised with sorted keys, one document per command.
public enum JSONOutput {
    public static func print(_ value: Any) {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data("null".utf8)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    /// One line per document, for `tail -f --json`.
    public static func printLine(_ value: Any) {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("null".utf8)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    public static func envelope(_ e: EventEnvelope) -> [String: Any] {
        var out: [String: Any] = [
            "seq": e.seq, "time": ISO8601.format(milliseconds: e.timestamp), "timestamp": e.timestamp,
            "type": e.event.name, "stream": e.stream.description,
            "user": e.actor.userID, "device": e.actor.deviceID, "data": data(e.event),
            "audience": e.audience, "lastInCommand": e.lastInCommand,
        ]
        if let id = e.commandID { out["commandId"] = id }
        return out
    }

    public static func timer(_ t: TimerSnapshot) -> [String: Any] {
        var out: [String: Any] = ["id": t.id, "name": t.name, "totalDuration": t.totalDuration, "tags": t.tags]
        if let r = t.remainingDuration { out["remainingDuration"] = r }
        if let e = t.end { out["timerEnd"] = e }
        return out
    }

    public static func data(_ event: Event) -> [String: Any] {
        switch event {
        case .timerCreated(let t, let owner): ["timer": timer(t), "owner": owner]
        case .timerUpdated(let t): ["timer": timer(t)]
        case .timerStopped(let id, let owner, let shared): ["timerId": id, "owner": owner, "sharedWith": shared]
        case .timerShared(let id, let user): ["timerId": id, "user": user]
        case .timerUnshared(let id, let user): ["timerId": id, "user": user]
        case .deviceConnected(let u, let d, let c, let epoch): ["user": u, "device": d, "connectionId": c, "epoch": epoch]
        case .deviceDisconnected(let u, let d, let c, let reason): ["user": u, "device": d, "connectionId": c, "reason": reason]
        case .pushTokenRegistered(let u, let d, _): ["user": u, "device": d]
        case .pushTokenRemoved(let u, let d): ["user": u, "device": d]
        case .serverStarted(let version): ["version": version]
        case .logSalvaged(let seq, let reason): ["skippedSeq": seq, "reason": reason]
        }
    }

    /// A short human summary of an event for tables.
    public static func summary(_ event: Event) -> String {
        switch event {
        case .timerCreated(let t, let owner): "\"\(t.name)\" \(t.totalDuration) owner=\(owner)"
        case .timerUpdated(let t): "\"\(t.name)\" " + (t.end.map { "end=\($0)" } ?? "remaining=\(t.remainingDuration ?? "-")")
        case .timerStopped(let id, _, _): id
        case .timerShared(let id, let user): "\(id) +\(user)"
        case .timerUnshared(let id, let user): "\(id) -\(user)"
        case .deviceConnected(let u, let d, let c, _): "\(u)/\(d) conn=\(c)"
        case .deviceDisconnected(let u, let d, _, let reason): "\(u)/\(d) (\(reason))"
        case .pushTokenRegistered(let u, let d, _): "\(u)/\(d)"
        case .pushTokenRemoved(let u, let d): "\(u)/\(d)"
        case .serverStarted(let v): "version \(v)"
        case .logSalvaged(let seq, let reason): "record \(seq) lost: \(reason)"
        }
    }
}

/// `--until` / `at` arguments: a seq (digits) or an ISO-8601 time (no offset means UTC).
public enum BoundArgument {
    public static func parse(_ text: String) -> ReplayBound? {
        if let seq = UInt64(text) { return .seq(seq) }
        if let ms = ISO8601.instantMilliseconds(text) { return .time(ms) }
        if let ms = ISO8601.instantMilliseconds(text + "Z") { return .time(ms) }
        return nil
    }
}
