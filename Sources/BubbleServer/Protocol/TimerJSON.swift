internal import TimerDomain
internal import Projections
internal import HTTPTypes

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
    /// owner when non-empty, absent keys omitted (never `null`).
    static func object(_ timer: TimerSnapshot, owner: UserID, sharedWith: [UserID], endKey: EndKey = .socket, localEnds: Bool = false) -> [String: Any] {
        var out: [String: Any] = [
            "id": timer.id, "userId": owner, "name": timer.name, "totalDuration": timer.totalDuration,
            "sharedWith": sharedWith.isEmpty ? [] : [owner] + sharedWith.filter { $0 != owner },
            "tags": timer.tags,
        ]
        if let r = timer.remainingDuration { out["remainingDuration"] = r }
        if let e = timer.end { out[endKey.rawValue] = localEnds ? LocalTime.render(e) : e }
        return out
    }

    static func object(_ row: TimerViewRow, endKey: EndKey = .socket, localEnds: Bool = false) -> [String: Any] {
        object(row.timer, owner: row.owner, sharedWith: row.sharedWith, endKey: endKey, localEnds: localEnds)
    }

    static func object(_ row: TimerViewRow, style: FrameStyle) -> [String: Any] {
        object(row, endKey: style.endKey, localEnds: style.dialect == .android)
    }
}
