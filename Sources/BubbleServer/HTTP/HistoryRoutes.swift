internal import Foundation
internal import Hummingbird
internal import TimerDomain
internal import BubbleCore
internal import EventLog
internal import Projections
internal import LMDB
internal import ToolSupport

/// A timer's history for the people on it (the web app's timeline): the entries
/// `bubble-inspect history` shows, newest first, a page at a time.
extension TimerRoutes {
    static let historyLimit = 50
    static let maxHistoryLimit = 200

    func registerHistory(on router: RouterGroup<BubbleRequestContext>) {
        router.get("/timers/:id/history") { request, context in
            let id = try context.pathID("id", field: "timerId", limits: server.configuration.limits)
            let caller = try context.actor.userID
            let query = request.uri.queryParameters
            let limit = try NotificationRoutes.number(query["limit"].map(String.init), field: "limit", range: 1...Self.maxHistoryLimit) ?? Self.historyLimit
            let before = try NotificationRoutes.number(query["before"].map(String.init), field: "before", range: 1...NotificationRoutes.maxID).map(UInt64.init)
            let store = server.store
            let found = try store.read { txn -> (TimerHistory.Page, [String: Any])? in
                guard let page = try TimerHistory.page(of: id, for: caller, before: before, limit: limit, log: store.log, txn) else { return nil }
                return (page, try HistoryJSON.people(in: page.entries, store: store, base: server.configuration.publicBaseURL, txn))
            }
            guard let (page, people) = found else { throw ServerError.from(Rejection.notFound(id)) }
            return jsonResponse([
                "timerId": id, "entries": page.entries.map(HistoryJSON.entry), "people": people,
                "visibleFrom": page.visibleFrom, "older": page.older.map { $0 as Any } ?? NSNull(),
            ])
        }
    }
}

/// The timeline's JSON: an entry is what the inspector's `--json` shows of it, without the
/// event's raw data; people are named once per page.
enum HistoryJSON {
    static func entry(_ entry: HistoryEntry) -> [String: Any] {
        let e = entry.envelope
        return [
            "seq": e.seq, "time": ISO8601.format(milliseconds: e.timestamp), "timestamp": e.timestamp, "type": e.event.name,
            "user": e.actor.userID, "device": e.actor.deviceID, "lastInCommand": e.lastInCommand,
            "summary": JSONOutput.narrative(e.event).map { $0 as Any } ?? NSNull(),
            "changes": entry.changes.map { c in
                ["field": c.field, "old": c.old.map { $0 as Any } ?? NSNull(), "new": c.new.map { $0 as Any } ?? NSNull()] as [String: Any]
            },
        ]
    }

    /// Everyone a page names (who acted, who owned or shared it), as the directory shows
    /// them; someone erased since is `{"displayName": null, "erased": true}`: their name was
    /// sealed under a key that no longer exists.
    static func people(in entries: [HistoryEntry], store: EventStore, base: String, _ txn: ReadTransaction) throws -> [String: Any] {
        var ids = Set<UserID>()
        for entry in entries {
            ids.insert(entry.envelope.actor.userID)
            for change in entry.changes where change.field == "owner" || change.field == "sharedWith" {
                for value in [change.old, change.new].compactMap({ $0 }) { ids.formUnion(value.split(separator: ",").map(String.init)) }
            }
        }
        var out: [String: Any] = [:]
        for id in ids {
            if let entry = try DirectoryEntry.read(id, store: store, txn) {
                out[id] = entry.publicJSON(base)
            } else if try erased(id, store: store, txn) {
                out[id] = ["id": id, "displayName": NSNull(), "avatarUrl": NSNull(), "erased": true] as [String: Any]
            }
        }
        return out
    }

    /// Whether the user's latest registration-or-erasure is an erasure: walked back from the
    /// head of their stream, which after an erasure holds little.
    static func erased(_ user: UserID, store: EventStore, _ txn: ReadTransaction) throws -> Bool {
        var seq = try store.log.streamHead(.user(user), txn)?.lastSeq ?? 0
        var steps = 0
        while seq != 0, steps < 10_000, let e = try store.log.envelope(at: seq, txn) {
            switch e.event {
            case .userErased: return true
            case .userRegistered: return false
            default: seq = e.previousInStream; steps += 1
            }
        }
        return false
    }
}
