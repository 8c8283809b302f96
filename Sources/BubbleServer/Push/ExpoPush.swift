internal import Sockets
internal import Foundation
internal import TimerDomain

/// Expo's push API (`POST /--/api/v2/push/send`): one message per request, so a ticket's
/// error is this push's. `DeviceNotRegistered` drops the token.
struct ExpoPush: PushProviderClient {
    let client: HTTPPoster
    let baseURL: String
    let accessToken: String?

    func send(_ message: PushMessage, token: String, device: DeviceID, user: UserID) async -> PushResult {
        let payload: [String: Any] = [
            "to": token, "title": message.title, "body": message.body, "data": message.data, "priority": "high",
        ]
        let auth = accessToken.map { [("Authorization", "Bearer \($0)")] } ?? []
        do {
            let response = try await client.post(baseURL + "/--/api/v2/push/send", headers: auth, body: Array(JSON.data(payload)))
            let status = response.status
            guard status == 200 else {
                return HTTPStatusRules.result(status: status == 404 ? 502 : status, retryAfter: response.header("Retry-After"), detail: "expo")
            }
            let parsed = try? JSON.object(response.body)
            let ticket = (parsed?["data"] as? [String: Any]) ?? ((parsed?["data"] as? [Any])?.first as? [String: Any])
            guard let ticket, let state = ticket["status"] as? String else { return .retry("expo: unreadable answer", after: nil) }
            if state == "ok" { return .delivered }
            let error = (ticket["details"] as? [String: Any])?["error"] as? String ?? "error"
            switch error {
            case "DeviceNotRegistered": return .unregistered("expo: \(error)")
            case "MessageRateExceeded": return .retry("expo: \(error)", after: nil)
            default: return .rejected("expo: \(error)")
            }
        } catch {
            return .retry("expo: \(error)", after: nil)
        }
    }
}
