internal import Foundation
internal import Hummingbird
internal import LMDB
internal import TimerDomain
internal import BubbleCore
internal import Projections
internal import EventLog

/// Messages between people who share a timer: `POST /messages`, the caller's conversations.
struct MessageRoutes {
    let server: ServerState

    func register(on router: RouterGroup<BubbleRequestContext>) {
        router.post("/messages") { request, context in
            let body = try await request.jsonObject(limit: server.configuration.maxFrameBytes)
            let to = try body.optionalString("to", in: "")
            let timer = try body.optionalString("timerId", in: "")
            guard (to == nil) != (timer == nil) else {
                throw ServerError(.badRequest, code: to == nil ? "missing_field" : "invalid_field", "name either to (a user) or timerId (everyone on a timer), not both", field: "to")
            }
            let content = try body.string("content", in: "")
            let actor = try context.actor
            let result = try await server.execute(CommandRequest(.message(MessageRequest(to: to.map { [$0] } ?? [], timer: timer, content: content)), actor: actor, commandID: request.headers[TimerRoutes.requestID]))
            let sent = try server.store.read { txn in
                try result.events.compactMap { e -> [String: Any]? in
                    guard case .messageSent(let recipient, let m) = e.event else { return nil }
                    return try MessageJSON.object(id: e.seq, MessageRow(message: m, to: recipient, createdAt: e.envelope.timestamp, read: true), store: server.store, txn)
                }
            }
            return jsonResponse(["messages": sent, "seq": result.seq ?? 0], status: .created)
        }
        router.get("/me/messages") { request, context in
            let user = try context.actor.userID
            let query = request.uri.queryParameters
            let limit = try NotificationRoutes.number(query["limit"].map(String.init), field: "limit", range: 1...NotificationRoutes.maxLimit) ?? NotificationRoutes.defaultLimit
            let before = try NotificationRoutes.number(query["before"].map(String.init), field: "before", range: 1...NotificationRoutes.maxID).map(UInt64.init)
            let peer = query["with"].map(String.init)
            if let peer {
                do { try Decider.checkStorable(peer, field: "with", limits: server.configuration.limits) } catch { throw ServerError.from(error) }
            }
            let list = try server.store.read { txn in
                try server.store.views.messages(of: user, with: peer, before: before, limit: limit, txn).map {
                    try MessageJSON.object(id: $0.id, $0.row, store: server.store, txn)
                }
            }
            return jsonResponse(["messages": list])
        }
        router.post("/me/messages/:id/read") { request, context in
            let actor = try context.actor
            let seq = try NotificationRoutes.id(context, of: "message")
            let id = seq
            guard try server.store.read({ try server.store.views.message(of: actor.userID, id: seq, $0) }) != nil else {
                throw ServerError(.notFound, code: "not_found", "message '\(id)' not found")
            }
            _ = try await server.execute(CommandRequest(.device(.readNotifications(ids: [seq])), actor: actor, commandID: request.headers[TimerRoutes.requestID]))
            return jsonResponse(try server.store.read { txn in
                guard let row = try server.store.views.message(of: actor.userID, id: seq, txn) else { throw ServerError(.notFound, code: "not_found", "message '\(id)' not found") }
                return try MessageJSON.object(id: seq, row, store: server.store, txn)
            })
        }
    }
}

/// A message as REST and the seed socket show it: its text opened with the sender's key, or
/// `null` with `erased: true` once the sender was erased.
enum MessageJSON {
    static func object(id: UInt64, _ row: MessageRow, store: EventStore, _ txn: ReadTransaction) throws -> [String: Any] {
        let m = row.message
        let text = try store.keys.key(of: m.from, txn)?.open(m.content)
        var out: [String: Any] = [
            "id": id, "from": m.from, "fromName": DirectoryEntry.name(of: m.from, store: store, txn), "to": row.to,
            "content": text.map { $0 as Any } ?? NSNull(), "createdAt": ISO8601.format(milliseconds: row.createdAt), "read": row.read,
        ]
        if text == nil { out["erased"] = true }
        if let timer = m.timer { out["timerId"] = timer }
        return out
    }
}
