internal import Foundation
internal import Hummingbird
internal import TimerDomain
internal import BubbleCore
internal import Projections

/// The caller's notifications inbox.
struct NotificationRoutes {
    let server: ServerState
    static let defaultLimit = 50
    static let maxLimit = 200
    /// Ids are seqs; JSON clients hold them as doubles, exact up to 2^53 − 1.
    static let maxID = 9_007_199_254_740_991

    func register(on router: RouterGroup<BubbleRequestContext>) {
        router.get("/me/notifications") { request, context in
            let user = try context.actor.userID
            let query = request.uri.queryParameters
            let unreadOnly: Bool
            switch query["unread"].map(String.init) {
            case nil, "false": unreadOnly = false
            case "true": unreadOnly = true
            case let other?: throw ServerError(.badRequest, code: "invalid_field", "unread must be true or false, not '\(other.prefix(32))'", field: "unread")
            }
            let limit = try Self.number(query["limit"].map(String.init), field: "limit", range: 1...Self.maxLimit) ?? Self.defaultLimit
            let before = try Self.number(query["before"].map(String.init), field: "before", range: 1...Self.maxID).map(UInt64.init)
            let (rows, unread) = try server.store.read { txn in
                (try server.store.views.notifications(of: user, before: before, unreadOnly: unreadOnly, limit: limit, txn),
                 try server.store.views.unreadNotifications(of: user, txn).count)
            }
            let names = try server.store.read { txn in
                Dictionary(Set(rows.compactMap(\.row.notification.from)).map { ($0, DirectoryEntry.name(of: $0, store: server.store, txn)) }) { a, _ in a }
            }
            return jsonResponse([
                "notifications": rows.map { NotificationJSON.object(id: $0.id, $0.row, fromName: $0.row.notification.from.flatMap { names[$0] }) },
                "unread": unread,
            ])
        }
        router.post("/me/notifications/:id/read") { request, context in
            let actor = try context.actor
            let seq = try Self.id(context, of: "notification")
            guard try server.store.read({ try server.store.views.notification(of: actor.userID, id: seq, $0) }) != nil else {
                throw ServerError.from(Rejection.notificationNotFound(seq))
            }
            _ = try await server.execute(CommandRequest(.device(.readNotifications(ids: [seq])), actor: actor, commandID: request.headers[TimerRoutes.requestID]))
            let row = try server.store.read { try server.store.views.notification(of: actor.userID, id: seq, $0) }
            guard let row else { throw ServerError.from(Rejection.notificationNotFound(seq)) }
            return jsonResponse(NotificationJSON.object(id: seq, row, fromName: nil))
        }
        router.post("/me/notifications/read-all") { request, context in
            let actor = try context.actor
            let result = try await server.execute(CommandRequest(.device(.readNotifications(ids: nil)), actor: actor, commandID: request.headers[TimerRoutes.requestID]))
            var read = 0
            if case .notificationsRead(_, let ids)? = result.events.first?.event { read = ids.count }
            return jsonResponse(["read": read, "unread": 0])
        }
    }

    /// The `{id}` of a notification or message: a seq.
    static func id(_ context: BubbleRequestContext, of what: String) throws -> UInt64 {
        guard let raw = context.parameters.get("id"), let id = Int(raw), (1...maxID).contains(id) else {
            throw ServerError(.badRequest, code: "invalid_field", "a \(what) id is an integer from 1 to \(maxID)", field: "id")
        }
        return UInt64(id)
    }

    static func number(_ text: String?, field: String, range: ClosedRange<Int>) throws -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ServerError(.badRequest, code: "invalid_field", "\(field) must be an integer from \(range.lowerBound) to \(range.upperBound)", field: field)
        }
        return value
    }
}

/// A notification as REST and the seed socket show it.
enum NotificationJSON {
    static func object(id: UInt64, _ row: NotificationRow, fromName: String?) -> [String: Any] {
        let n = row.notification
        var out: [String: Any] = [
            "id": id, "kind": n.kind.name, "timerId": n.timer, "timerName": n.timerName,
            "createdAt": ISO8601.format(milliseconds: row.createdAt), "read": row.read,
        ]
        out["from"] = n.from.map { $0 as Any } ?? NSNull()
        if let silenced = n.silenced { out["silenced"] = silenced.name }
        if let fromName { out["fromName"] = fromName }
        return out
    }
}
