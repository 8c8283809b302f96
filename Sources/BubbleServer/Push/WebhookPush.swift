internal import Sockets
internal import Crypto
internal import Foundation
internal import TimerDomain

/// Self-hosters' provider: each push is POSTed as JSON to the ONE URL the operator configured
/// (never a URL a client supplied), signed with HMAC-SHA256 over the body in
/// `X-Bubble-Signature: sha256=<hex>`. 2xx is delivered, 410 unregistered, 429/5xx retried.
struct WebhookPush: PushProviderClient {
    let client: HTTPPoster
    let url: String
    let secret: String?

    func send(_ message: PushMessage, token: String, device: DeviceID, user: UserID) async -> PushResult {
        let payload: [String: Any] = [
            "notificationId": message.notificationID, "user": user, "deviceId": device, "token": token,
            "kind": message.kind.name, "title": message.title, "body": message.body, "data": message.data,
        ]
        let body = JSON.data(payload)
        var headers = [("Idempotency-Key", "\(message.collapseKey)-\(device)")]
        if let secret {
            let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
            headers.append(("X-Bubble-Signature", "sha256=" + mac.map { String(format: "%02x", $0) }.joined()))
        }
        do {
            let response = try await client.post(url, headers: headers, body: Array(body), limit: 64 * 1024)
            return HTTPStatusRules.result(status: response.status, retryAfter: response.header("Retry-After"), detail: "webhook")
        } catch {
            return .retry("webhook: \(error)", after: nil)
        }
    }
}
