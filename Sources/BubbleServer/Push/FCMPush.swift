internal import Sockets
internal import Foundation
internal import JWTKit
internal import TimerDomain

/// A Firebase service account (the JSON file the Firebase console hands out).
struct ServiceAccount: Sendable {
    var projectID: String
    var clientEmail: String
    var privateKeyPEM: String
    var tokenURI: String

    /// Reads the file's JSON; errors name the missing field, never a secret.
    init(json bytes: [UInt8]) throws {
        let object: [String: Any]
        do { object = try JSON.object(bytes) } catch { throw ConfigurationError("the FCM service account file is not a JSON object") }
        func field(_ name: String) throws -> String {
            guard let value = object[name] as? String, !value.isEmpty else { throw ConfigurationError("the FCM service account file has no '\(name)'") }
            return value
        }
        projectID = try field("project_id")
        clientEmail = try field("client_email")
        privateKeyPEM = try field("private_key")
        tokenURI = (object["token_uri"] as? String) ?? "https://oauth2.googleapis.com/token"
    }
}

/// FCM HTTP v1: an OAuth2 access token from a JWT the service account signs (RS256), cached
/// until a minute before it expires, then `messages:send`.
struct FCMPush: PushProviderClient {
    let client: HTTPPoster
    let baseURL: String
    let account: ServiceAccount
    let tokens: AccessTokens

    /// The signer for an account, checked at start-up so a bad key stops the server there.
    static func tokens(for account: ServiceAccount) async throws -> AccessTokens {
        let key: Insecure.RSA.PrivateKey
        do { key = try Insecure.RSA.PrivateKey(pem: account.privateKeyPEM) } catch {
            throw ConfigurationError("the FCM service account's private_key is not an RSA private key in PEM")
        }
        return AccessTokens(keys: await JWTKeyCollection().add(rsa: key, digestAlgorithm: .sha256))
    }

    func send(_ message: PushMessage, token: String, device: DeviceID, user: UserID) async -> PushResult {
        let access: String
        do { access = try await tokens.token(for: account, client: client) } catch {
            return .retry("fcm: no access token: \(error)", after: nil)
        }
        var android: [String: Any] = ["priority": "HIGH", "collapse_key": message.collapseKey]
        var fcm: [String: Any] = ["token": token, "data": message.data]
        if !message.isInvitation {
            fcm["notification"] = ["title": message.title, "body": message.body]
            android["notification"] = ["tag": message.collapseKey]
        }
        fcm["android"] = android
        do {
            let response = try await client.post(
                "\(baseURL)/v1/projects/\(account.projectID)/messages:send", headers: [("Authorization", "Bearer \(access)")], body: Array(JSON.data(["message": fcm]))
            )
            let status = response.status
            if status == 200 { return .delivered }
            let error = (try? JSON.object(response.body))?["error"] as? [String: Any]
            let details = (error?["details"] as? [[String: Any]]) ?? []
            let code = details.compactMap { $0["errorCode"] as? String }.first ?? (error?["status"] as? String) ?? "HTTP \(status)"
            switch (status, code) {
            case (_, "UNREGISTERED"), (404, _): return .unregistered("fcm: \(code)")
            case (401, _), (403, _):
                await tokens.forget()
                return .retry("fcm: \(code)", after: nil)
            default:
                return HTTPStatusRules.result(status: status, retryAfter: response.header("Retry-After"), detail: "fcm \(code)")
            }
        } catch {
            return .retry("fcm: \(error)", after: nil)
        }
    }
}

/// The cached OAuth2 access token.
actor AccessTokens {
    private let keys: JWTKeyCollection
    private var cached: (token: String, expiresAt: Double)?

    init(keys: JWTKeyCollection) { self.keys = keys }

    func forget() { cached = nil }

    func token(for account: ServiceAccount, client: HTTPPoster) async throws -> String {
        let now = Date().timeIntervalSince1970
        if let cached, cached.expiresAt - 60 > now { return cached.token }
        let assertion = try await keys.sign(Claims([
            "iss": .string(account.clientEmail), "scope": .string("https://www.googleapis.com/auth/firebase.messaging"),
            "aud": .string(account.tokenURI), "iat": .number(now.rounded()), "exp": .number((now + 3600).rounded()),
        ]))
        let form = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(assertion)"
        let response = try await client.post(account.tokenURI, contentType: "application/x-www-form-urlencoded", body: Array(form.utf8), limit: 64 * 1024)
        guard response.status == 200, let object = try? JSON.object(response.body),
              let token = object["access_token"] as? String else {
            throw ConfigurationError("the token endpoint answered \(response.status)")
        }
        let lifetime = (object["expires_in"] as? Double) ?? (object["expires_in"] as? Int).map(Double.init) ?? 3600
        cached = (token, now + lifetime)
        return token
    }
}
