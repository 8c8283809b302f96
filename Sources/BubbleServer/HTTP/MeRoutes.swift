internal import Foundation
internal import Hummingbird
internal import TimerDomain
internal import BubbleCore
internal import Projections

/// The caller's own resource: `GET /me`, `PATCH /me` (merge: only the fields sent change),
/// `DELETE /me` (erasure), `GET /me/reminders`.
struct MeRoutes {
    let server: ServerState
    static let patchableFields: Set<String> = ["timeZone", "displayName", "settings"]

    func register(on router: RouterGroup<BubbleRequestContext>) {
        router.get("/me") { _, context in jsonResponse(try me(try context.actor)) }
        router.patch("/me") { request, context in
            let body = try await request.jsonObject(limit: server.configuration.maxFrameBytes)
            if let unknown = body.keys.sorted().first(where: { !Self.patchableFields.contains($0) }) {
                throw ServerError(.badRequest, code: "unknown_field", "'\(unknown)' cannot be changed here (fields: \(Self.patchableFields.sorted().joined(separator: ", ")))", field: unknown)
            }
            let actor = try context.actor
            let requestID = request.headers[TimerRoutes.requestID]
            // Checked even when the body changes nothing, so the header means the same everywhere.
            do { try Decider.checkRequestID(requestID, limits: server.configuration.limits) } catch { throw ServerError.from(error) }
            if let value = body["timeZone"] {
                let zone: String?
                switch value {
                case is NSNull: zone = nil
                case let name as String:
                    guard name.utf8.count <= server.configuration.limits.maxTimeZoneLength, ZoneRules.isZone(name) else {
                        throw ServerError(.badRequest, code: "invalid_field", "timeZone '\(name.prefix(64))' is not an IANA time zone such as Europe/Berlin", field: "timeZone")
                    }
                    zone = name
                default:
                    throw ServerError(.badRequest, code: "wrong_type", "timeZone must be a string or null", field: "timeZone")
                }
                _ = try await server.execute(CommandRequest(.device(.setTimeZone(zone)), actor: actor, commandID: requestID))
                // The user's open sockets render ends in the new zone from now on (a device's
                // own `?tz=` still comes first).
                let zones = try server.store.read { txn in
                    try server.hub.connections(of: actor.userID).map { ($0, try server.zone(of: $0.actor, txn)) }
                }
                for (connection, zone) in zones { connection.style.zone = zone }
            }
            var patch = ProfilePatch()
            if let value = body["displayName"] {
                switch value {
                case is NSNull: patch.displayName = .some(nil)
                case let name as String: patch.displayName = .some(name)
                default: throw ServerError(.badRequest, code: "wrong_type", "displayName must be a string or null", field: "displayName")
                }
            }
            if let value = body["settings"] {
                guard let map = value as? [String: Any] else {
                    throw ServerError(.badRequest, code: "wrong_type", "settings must be an object of strings (null removes one)", field: "settings")
                }
                for (key, item) in map {
                    switch item {
                    case is NSNull: patch.settings[key] = .some(nil)
                    case let text as String: patch.settings[key] = .some(text)
                    default: throw ServerError(.badRequest, code: "wrong_type", "settings.\(key) must be a string or null", field: "settings")
                    }
                }
            }
            if patch != ProfilePatch() {
                _ = try await server.execute(CommandRequest(.device(.updateProfile(patch)), actor: actor, commandID: requestID))
            }
            return jsonResponse(try me(actor))
        }
        // The user leaves: one command stops what they own, leaves what they share, drops
        // their devices and erases their profile (their key is deleted with it).
        router.delete("/me") { request, context in
            let actor = try context.actor
            let requestID = request.headers[TimerRoutes.requestID]
            let result = try await server.execute(CommandRequest(.device(.erase(ErasureScope())), actor: actor, commandID: requestID))
            server.directory.forget(actor.userID)
            for connection in server.hub.connections(of: actor.userID) { connection.close(code: 4003, reason: "account deleted") }
            return jsonResponse(["result": "deleted", "seq": result.seq ?? 0])
        }
        router.get("/me/reminders") { _, context in
            let user = try context.actor.userID
            let items = try server.store.read { txn in
                try (server.store.views.timersOwned(by: user, txn) + server.store.views.timersShared(with: user, txn)).flatMap { id in
                    let active = try server.store.views.timerState(id, txn).active
                    return (active?.reminders ?? []).filter { $0.user == user }.map { (reminder: $0, timer: active!) }
                }
            }
            // Due order; reminders waiting for a paused timer last.
            let sorted = items.sorted { a, b in
                let da = a.reminder.dueAt(runningEnd: a.timer.runningEnd) ?? .max, db = b.reminder.dueAt(runningEnd: b.timer.runningEnd) ?? .max
                return da != db ? da < db : a.reminder.id < b.reminder.id
            }
            return jsonResponse(sorted.map { ReminderJSON.object($0.reminder, timer: $0.timer) })
        }
    }

    private func me(_ actor: Actor) throws -> [String: Any] {
        let user = actor.userID
        let views = server.store.views
        let (state, zone, entry, owned, shared, unread) = try server.store.read { txn in
            (try views.userState(user, txn), try server.zone(of: actor, txn), try DirectoryEntry.read(user, store: server.store, txn),
             try views.timersOwned(by: user, txn).count, try views.timersShared(with: user, txn).count, try views.unreadNotifications(of: user, txn).count)
        }
        func optional(_ s: String?) -> Any { s.map { $0 as Any } ?? NSNull() }
        return [
            "id": user,
            "displayName": optional(entry?.displayName),
            "email": optional(entry?.email),
            "settings": entry?.settings ?? [:],
            "timeZone": optional(state.timeZone),
            "effectiveTimeZone": zone,
            "serverTimeZone": server.configuration.timeZone,
            "devices": DeviceJSON.list(state),
            "counts": ["ownedTimers": owned, "sharedTimers": shared, "unreadNotifications": unread],
        ]
    }
}
