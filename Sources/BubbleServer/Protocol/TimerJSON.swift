internal import TimerDomain
internal import Projections
internal import HTTPTypes
internal import BubbleCore

/// Timer objects as clients send and expect them. The socket says `timerEnd`, REST says
/// `endTime`; both land in `TimerSnapshot.end` and go out under the name the reader expects.
enum TimerJSON {
    /// Reads a timer object. The client's `userId` is ignored: the owner is the caller.
    static func snapshot(_ object: [String: Any], context: String = "timer.") throws(ServerError) -> TimerSnapshot {
        let timerEnd = try object.optionalString("timerEnd", in: context)
        let endTime = try object.optionalString("endTime", in: context)
        if timerEnd != nil, endTime != nil {
            throw ServerError(.badRequest, code: "invalid_field", "\(context)timerEnd and \(context)endTime name the same end; send one", field: "timerEnd")
        }
        let end = timerEnd ?? endTime
        return TimerSnapshot(
            id: try object.string("id", in: context),
            name: try object.string("name", in: context),
            totalDuration: try object.string("totalDuration", in: context),
            remainingDuration: try object.optionalString("remainingDuration", in: context),
            end: end,
            tags: try object.strings("tags", in: context)
        )
    }

    enum EndKey: String, Sendable {
        case socket = "timerEnd"
        case rest = "endTime"
    }

    /// A timer as the Android app parses it: owner as `userId`, `sharedWith` including the
    /// owner when non-empty, absent keys omitted (never `null`). With `localZone` (Android
    /// readers) the end is the local time there and nothing else is added; otherwise the
    /// server's view follows: `state` (running, paused or completed), `endsAt` (ms, when
    /// known) and `completedAt`.
    static func object(_ row: TimerViewRow, endKey: EndKey = .socket, localZone: String? = nil) -> [String: Any] {
        let timer = row.timer
        var out: [String: Any] = [
            "id": timer.id, "userId": row.owner, "name": timer.name, "totalDuration": timer.totalDuration,
            "sharedWith": row.sharedWith.isEmpty ? [] : [row.owner] + row.sharedWith.filter { $0 != row.owner },
            "tags": timer.tags,
        ]
        if let r = timer.remainingDuration { out["remainingDuration"] = r }
        if let e = timer.end { out[endKey.rawValue] = localZone.map { LocalTime.render(e, endsAt: timer.endsAt, zone: $0) } ?? e }
        guard localZone == nil else { return out }
        out["state"] = row.completedAt != nil ? "completed" : timer.end != nil ? "running" : "paused"
        if let at = timer.endsAt { out["endsAt"] = at }
        if let at = row.completedAt { out["completedAt"] = at }
        return out
    }

    static func object(_ row: TimerViewRow, style: FrameStyle) -> [String: Any] {
        object(row, endKey: style.endKey, localZone: style.dialect == .android ? style.zone ?? ZoneRules.machineZone : nil)
    }
}
