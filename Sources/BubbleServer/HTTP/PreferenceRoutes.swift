internal import Foundation
internal import Hummingbird
internal import TimerDomain
internal import BubbleCore
internal import Projections

/// `GET/PUT /me/notification-preferences`: which kinds are pushed, and quiet hours in the
/// user's zone. A notification held back still lands in the inbox.
struct PreferenceRoutes {
    let server: ServerState
    static let fields: Set<String> = ["muted", "quietHours"]

    func register(on router: RouterGroup<BubbleRequestContext>) {
        router.get("/me/notification-preferences") { _, context in
            jsonResponse(try preferences(try context.actor))
        }
        router.put("/me/notification-preferences") { request, context in
            let body = try await request.jsonObject(limit: server.configuration.maxFrameBytes)
            if let unknown = body.keys.sorted().first(where: { !Self.fields.contains($0) }) {
                throw ServerError(.badRequest, code: "unknown_field", "'\(unknown)' is not a preference (fields: muted, quietHours)", field: unknown)
            }
            var wanted = NotificationPreferences()
            for name in try body.strings("muted", in: "") {
                guard let kind = InboxNotification.Kind.allCases.first(where: { $0.name == name }) else {
                    throw ServerError(.badRequest, code: "invalid_field", "muted: '\(name.prefix(64))' is not a kind (\(InboxNotification.Kind.allCases.map(\.name).joined(separator: ", ")))", field: "muted")
                }
                wanted.muted.insert(kind)
            }
            if let quiet = try body.optionalObject("quietHours", in: "") {
                wanted.quietHours = QuietHours(start: try Self.minute(quiet, "start"), end: try Self.minute(quiet, "end"))
            }
            let actor = try context.actor
            _ = try await server.execute(CommandRequest(.device(.setNotificationPreferences(wanted)), actor: actor, commandID: request.headers[TimerRoutes.requestID]))
            return jsonResponse(try preferences(actor))
        }
    }

    private func preferences(_ actor: Actor) throws -> [String: Any] {
        let state = try server.store.read { try server.store.views.userState(actor.userID, $0) }
        let p = state.preferences
        return [
            "muted": p.muted.map(\.name).sorted(),
            "quietHours": p.quietHours.map { ["start": Self.clock($0.start), "end": Self.clock($0.end)] as Any } ?? NSNull(),
            // Quiet hours are read in the user's zone, else the server's (never a device's).
            "timeZone": state.timeZone ?? server.configuration.timeZone,
        ]
    }

    /// `"HH:MM"` → minute of the day.
    static func minute(_ object: [String: Any], _ key: String) throws -> Int {
        let text = try object.string(key, in: "quietHours.")
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }), let h = Int(parts[0]), let m = Int(parts[1]),
              (0..<24).contains(h), (0..<60).contains(m) else {
            throw ServerError(.badRequest, code: "invalid_field", "quietHours.\(key) must be a time of day such as 22:00, not '\(text.prefix(16))'", field: "quietHours")
        }
        return h * 60 + m
    }

    static func clock(_ minute: Int) -> String {
        (minute / 60 < 10 ? "0" : "") + "\(minute / 60):" + (minute % 60 < 10 ? "0" : "") + "\(minute % 60)"
    }
}
