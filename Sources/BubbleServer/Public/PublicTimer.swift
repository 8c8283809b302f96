internal import Foundation
internal import TimerDomain
internal import Projections
internal import LMDB
internal import BubbleCore

/// A timer as anyone with its public link sees it: name and where its countdown stands,
/// nothing about who owns or shares it (no user ids, no tags, not even its id).
enum PublicTimer {
    static func object(_ row: TimerViewRow) -> [String: Any] {
        let timer = row.timer
        var out: [String: Any] = [
            "name": timer.name, "totalDuration": timer.totalDuration,
            "state": row.completedAt != nil ? "completed" : timer.end != nil ? "running" : "paused",
            "seq": row.lastSeq,
        ]
        if let total = timer.totalMilliseconds { out["totalMs"] = total }
        if timer.end != nil, let at = timer.endsAt { out["endsAt"] = at }
        if let remaining = timer.remainingDuration {
            out["remainingDuration"] = remaining
            if let ms = timer.remainingMilliseconds { out["remainingMs"] = ms }
        }
        if let at = row.completedAt { out["completedAt"] = at }
        return out
    }

    /// `{"type":"timer","timer":…,"serverTime":…}`: the frame a viewer's socket gets.
    static func frame(_ row: TimerViewRow) -> [String: Any] {
        ["type": "timer", "timer": object(row), "serverTime": currentMilliseconds()]
    }

    /// The live timer a token opens, `nil` when the link was revoked, never existed, or its
    /// timer stopped.
    static func lookup(_ token: String, store: EventStore, _ txn: ReadTransaction) throws -> (TimerID, TimerViewRow)? {
        guard token.utf8.count <= 128, let id = try store.views.publicLinkTimer(token, txn),
              let active = try store.views.timerState(id, txn).active, active.links.contains(token),
              let row = try store.views.timer(id, txn) else { return nil }
        return (id, row)
    }
}
