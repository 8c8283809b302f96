internal import Foundation
internal import TimerDomain
internal import EventLog
internal import Projections
internal import LMDB
internal import BubbleCore
internal import ToolSupport

/// Everything of one user's, as export records, read a page at a time: each page is one
/// short read transaction (a long one would keep LMDB from reusing pages while a slow client
/// downloads), so memory stays flat however long the history.
struct ExportPages {
    let server: ServerState
    let user: UserID
    static let pageSize = 500

    /// Where the next page starts.
    enum Cursor {
        case start
        case notifications(before: UInt64?)
        /// The history of `streams[index]` from its `from` seq on: its page ends (newest first,
        /// from ``EventLog/streamPageEnds(_:pageSize:from:_:)``; `nil` until read) and the page to read.
        case history(streams: [(StreamID, from: UInt64)], index: Int, pageEnds: [UInt64]?, page: Int)
        case done
    }

    /// The next page and the cursor after it.
    func page(_ cursor: Cursor) throws -> ([ExportRecord], Cursor) {
        let store = server.store
        return try store.read { txn in
            switch cursor {
            case .start:
                return (try overview(txn), .notifications(before: nil))
            case .notifications(let before):
                let rows = try store.views.notifications(of: user, before: before, unreadOnly: false, limit: Self.pageSize, txn)
                let records = rows.map { id, row in
                    ExportRecord(
                        kind: .notification, id: String(id), timerID: row.notification.timer, seq: id, time: ISO8601.format(milliseconds: row.createdAt),
                        type: row.notification.kind.name, name: row.notification.timerName, actor: row.notification.from,
                        detail: ["read": row.read]
                    )
                }
                guard rows.count == Self.pageSize, let last = rows.last?.id else {
                    // Then the user's own stream, then their timers' histories: an owned timer's
                    // whole, a shared one's from when it was shared with them (what came before
                    // is its owner's, as the timeline shows it).
                    return (records, .history(streams: [(.user(user), 0)] + (try histories(txn)), index: 0, pageEnds: nil, page: 0))
                }
                return (records, .notifications(before: last))
            case .history(let streams, let index, nil, _):
                guard index < streams.count else { return ([], .done) }
                // One walk down the stream's chain, keeping a seq per page: each page after
                // it is read from its end, so a long history costs one pass, not one per page.
                let ends = try store.log.streamPageEnds(streams[index].0, pageSize: Self.pageSize, from: streams[index].from, txn)
                return ([], .history(streams: streams, index: index, pageEnds: ends, page: ends.count - 1))
            case .history(let streams, let index, let ends?, let page):
                guard page >= 0 else { return ([], .history(streams: streams, index: index + 1, pageEnds: nil, page: 0)) }
                let key = try store.keys.key(of: user, txn)
                let sealed: JSONOutput.SealedField = { [user] owner, value in owner == user ? (key?.open(value) ?? "(erased)") : "(sealed)" }
                let (stream, first) = streams[index]
                let records = try store.log.streamSeqs(stream, endingAt: ends[page], count: Self.pageSize, from: first, txn).compactMap { seq -> ExportRecord? in
                    guard let e = try store.log.envelope(at: seq, txn) else { return nil }
                    return ExportRecord(
                        kind: .event, id: String(e.seq), timerID: e.event.timerID, seq: e.seq, time: ISO8601.format(milliseconds: e.timestamp),
                        type: e.event.name, actor: e.actor.userID, device: e.actor.deviceID,
                        detail: JSONOutput.data(e.event, sealed: sealed).merging(e.commandID.map { ["commandId": $0] } ?? [:]) { a, _ in a }
                    )
                }
                return (records, .history(streams: streams, index: index, pageEnds: ends, page: page - 1))
            case .done:
                return ([], .done)
            }
        }
    }

    private func histories(_ txn: ReadTransaction) throws -> [(StreamID, from: UInt64)] {
        let views = server.store.views
        return try views.visibleTimers(for: user, txn).map { row in
            (.timer(row.timer.id), row.owner == user ? 0 : try views.sharedAt(timer: row.timer.id, user: user, txn) ?? 0)
        }
    }

    /// The profile, timers, shares, reminders and devices: bounded by the server's limits, so one page.
    private func overview(_ txn: ReadTransaction) throws -> [ExportRecord] {
        let store = server.store
        let views = store.views
        var out: [ExportRecord] = []
        let state = try views.userState(user, txn)
        let entry = try DirectoryEntry.read(user, store: store, txn)
        out.append(ExportRecord(
            kind: .user, id: user, name: entry?.displayName,
            detail: ["email": entry?.email ?? NSNull(), "settings": entry?.settings ?? [:], "timeZone": state.timeZone ?? NSNull(),
                     "sessions": state.account.sessions.count, "disabled": state.account.disabled]
        ))
        let rows = try views.visibleTimers(for: user, txn)
        for row in rows {
            var detail = TimerJSON.object(row, endKey: .rest)
            detail["sharedWith"] = nil
            detail["userId"] = nil
            out.append(ExportRecord(
                kind: .timer, id: row.timer.id, timerID: row.timer.id, seq: row.lastSeq, time: ISO8601.format(milliseconds: row.updatedAt),
                type: row.owner == user ? "owned" : "shared_with_me", name: row.timer.name, actor: row.owner, detail: detail
            ))
            // Others appear by id and display name only.
            let others = row.owner == user ? row.sharedWith : [row.owner]
            for other in others {
                out.append(ExportRecord(
                    kind: .share, id: "\(row.timer.id)/\(other)", timerID: row.timer.id, type: row.owner == user ? "shared_by_me" : "shared_with_me",
                    name: DirectoryEntry.name(of: other, store: store, txn), actor: other
                ))
            }
            if let active = try views.timerState(row.timer.id, txn).active {
                for reminder in active.reminders where reminder.user == user {
                    out.append(ExportRecord(kind: .reminder, id: reminder.id, timerID: row.timer.id, name: row.timer.name, detail: ReminderJSON.object(reminder, timer: active)))
                }
            }
        }
        let connected = Set(state.connections.keys)
        for device in Set(state.pushTargets.keys).union(connected).sorted() {
            let target = state.pushTargets[device]
            out.append(ExportRecord(
                kind: .device, id: device, type: target?.provider.name, device: device,
                detail: ["connected": connected.contains(device), "push": target != nil, "timeZone": state.deviceZones[device] ?? NSNull()]
            ))
        }
        return out
    }
}
