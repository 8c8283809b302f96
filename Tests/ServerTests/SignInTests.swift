import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import Testing
@testable import BubbleServer

/// Email sign-in against a live server: codes from the log (dev delivery), tokens the server
/// signs, rotation and reuse of refresh tokens, the operator's switches.
@Suite struct SignInTests {
    struct Answer {
        var status: HTTPResponse.Status
        var json: [String: Any]
        var headers: HTTPFields
        func string(_ key: String) -> String? { json[key] as? String }
    }

    static func call(_ h: Harness, _ method: HTTPRequest.Method, _ path: String, body: String? = nil, headers extra: HTTPFields = [:]) async throws -> Answer {
        try await h.client.execute(uri: path, method: method, headers: extra, body: body.map { ByteBuffer(string: $0) }) { response in
            Answer(status: response.status, json: (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:], headers: response.headers)
        }
    }

    static func bearer(_ token: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(token)"
        return headers
    }

    /// The code the server wrote to its log for `email`: the first after the `seen` ones
    /// (codes are logged after `/auth/login` answers).
    static func code(for email: String, in logs: LogCapture, after seen: Int = 0) async throws -> String {
        for _ in 0..<200 {
            let lines = logs.lines.filter { $0.contains("sign-in code for \(email):") }
            if lines.count > seen, let range = lines[seen].range(of: "sign-in code for \(email): ") {
                return String(lines[seen][range.upperBound...].prefix(6))
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("no code in the log for \(email)")
        return ""
    }

    /// Login, read the code, verify: the verify answer.
    static func signIn(_ h: Harness, _ logs: LogCapture, email: String, extra: String = "") async throws -> Answer {
        let seen = logs.lines.filter { $0.contains("sign-in code for \(email):") }.count
        let login = try await call(h, .post, "/auth/login", body: #"{"email":"\#(email)"}"#)
        #expect(login.status == .accepted)
        let code = try await code(for: email, in: logs, after: seen)
        return try await call(h, .post, "/auth/verify", body: #"{"email":"\#(email)","code":"\#(code)"\#(extra)}"#)
    }

    @Test func aNewUserSignsInWithTheCodeFromTheLogAndKeepsTheirIdOnTheNextSignIn() async throws {
        let logs = LogCapture()
        try await Harness.run(logs: logs) { h in
            let login = try await Self.call(h, .post, "/auth/login", body: #"{"email":"Alice@Example.org"}"#)
            #expect(login.status == .accepted)
            #expect(login.string("status") == "code_sent")
            #expect(login.json["expiresIn"] as? Int == 600)
            // Issued and delivered after the answer (the same answer, as fast, for anyone).
            let code = try await Self.code(for: "alice@example.org", in: logs)
            let line = try #require(logs.lines.first { $0.contains("sign-in code for alice@example.org") })
            #expect(line.hasPrefix("notice"))
            #expect(line.contains("delivery=dev"))

            let verified = try await Self.call(h, .post, "/auth/verify", body: #"{"email":"alice@example.org","code":"\#(code)"}"#)
            #expect(verified.status == .ok)
            #expect(verified.string("tokenType") == "Bearer")
            #expect(verified.json["expiresIn"] as? Int == 900)
            let user = try #require(verified.string("userId"))
            #expect(user.hasPrefix("u") && user.count == 27 && !user.contains("alice"))
            #expect(verified.headers[.cacheControl] == "no-store")
            let access = try #require(verified.string("accessToken"))
            let refresh = try #require(verified.string("refreshToken"))
            #expect(refresh.hasPrefix(user + "."))

            // The access token works on REST and names the user; the directory has the email.
            let me = try await Self.call(h, .get, "/me", headers: Self.bearer(access))
            #expect(me.status == .ok)
            #expect(me.string("id") == user)
            #expect(me.string("email") == "alice@example.org")

            // A socket opens with it too.
            let socket = TestSocket()
            try await socket.connect(url: "ws://127.0.0.1:\(h.port)/ws?token=\(access)&deviceId=laptop", headers: [:])
            _ = try await socket.next(ofType("snapshot"))
            await socket.close()

            // The same address signs in as the same user.
            let again = try await Self.signIn(h, logs, email: "alice@example.org")
            #expect(again.status == .ok)
            #expect(again.string("userId") == user)
            #expect(again.string("sessionId") != verified.string("sessionId"))
        }
    }

    @Test func wrongCodesAreCountedAndTheFifthUsesTheCodeUp() async throws {
        let logs = LogCapture()
        try await Harness.run(logs: logs) { h in
            _ = try await Self.call(h, .post, "/auth/login", body: #"{"email":"bob@example.org"}"#)
            let code = try await Self.code(for: "bob@example.org", in: logs)
            let wrong = code == "000000" ? "000001" : "000000"
            for attempt in 1...5 {
                let before = try h.head()
                let answer = try await Self.call(h, .post, "/auth/verify", body: #"{"email":"bob@example.org","code":"\#(wrong)"}"#)
                #expect(answer.status == .unauthorized)
                #expect(answer.string("code") == "invalid_code")
                #expect(answer.string("error") == "the code is wrong, expired or used up; ask for a new one")
                // Each wrong try is a counted event.
                #expect(try h.head() == before + 1, "attempt \(attempt)")
            }
            // Used up: the right code no longer works, and that refusal appends nothing.
            let before = try h.head()
            let late = try await Self.call(h, .post, "/auth/verify", body: #"{"email":"bob@example.org","code":"\#(code)"}"#)
            #expect(late.status == .unauthorized)
            #expect(late.string("code") == "invalid_code")
            #expect(try h.head() == before)
        }
    }

    @Test func unknownAddressesGetTheSameAnswerUnderClosedSignupAndNothingIsAppended() async throws {
        let logs = LogCapture()
        try await Harness.run(logs: logs, configure: { $0.signIn.signup = .closed }) { h in
            let before = try h.head()
            let login = try await Self.call(h, .post, "/auth/login", body: #"{"email":"stranger@example.org"}"#)
            #expect(login.status == .accepted)
            #expect(login.string("status") == "code_sent")
            // Codes are issued after the answer: give one the time it would take.
            try await Task.sleep(for: .milliseconds(300))
            #expect(try h.head() == before)
            #expect(!logs.lines.contains { $0.contains("sign-in code for stranger@example.org") })
            let verify = try await Self.call(h, .post, "/auth/verify", body: #"{"email":"stranger@example.org","code":"123456"}"#)
            #expect(verify.status == .unauthorized)
            #expect(verify.string("code") == "invalid_code")
            #expect(try h.head() == before)
        }
    }

    @Test func invitePolicyAdmitsTheAllowListOnly() async throws {
        let logs = LogCapture()
        try await Harness.run(logs: logs, configure: {
            $0.signIn.signup = .invite
            $0.signIn.allow = ["family.example", "friend@elsewhere.example"]
        }) { h in
            for email in ["kid@family.example", "friend@elsewhere.example", "other@elsewhere.example"] {
                #expect(try await Self.call(h, .post, "/auth/login", body: #"{"email":"\#(email)"}"#).status == .accepted)
            }
            try await Task.sleep(for: .milliseconds(50))
            #expect(logs.lines.contains { $0.contains("sign-in code for kid@family.example") })
            #expect(logs.lines.contains { $0.contains("sign-in code for friend@elsewhere.example") })
            #expect(!logs.lines.contains { $0.contains("sign-in code for other@elsewhere.example") })
        }
    }

    @Test func badAddressesAreRefusedAndTooManyCodesAreLimited() async throws {
        let logs = LogCapture()
        try await Harness.run(logs: logs) { h in
            let before = try h.head()
            for email in ["no-at-sign", "two@@example.org", "a@b", "line\\r\\nBcc: x@y.org@example.org", "<a@example.org>"] {
                let answer = try await Self.call(h, .post, "/auth/login", body: #"{"email":"\#(email)"}"#)
                #expect(answer.status == .badRequest, "\(email)")
                #expect(answer.string("code") == "invalid_field")
                #expect(answer.string("field") == "email")
            }
            let missing = try await Self.call(h, .post, "/auth/login", body: "{}")
            #expect(missing.status == .badRequest)
            #expect(missing.string("code") == "missing_field")
            #expect(try h.head() == before)

            for _ in 0..<5 { #expect(try await Self.call(h, .post, "/auth/login", body: #"{"email":"carol@example.org"}"#).status == .accepted) }
            let limited = try await Self.call(h, .post, "/auth/login", body: #"{"email":"carol@example.org"}"#)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.string("code") == "rate_limited")
        }
    }

    @Test func refreshRotatesAndAReusedTokenEndsTheSession() async throws {
        let logs = LogCapture()
        try await Harness.run(logs: logs) { h in
            let first = try await Self.signIn(h, logs, email: "dave@example.org")
            let r0 = try #require(first.string("refreshToken"))
            let a0 = try #require(first.string("accessToken"))

            let second = try await Self.call(h, .post, "/auth/refresh", body: #"{"refreshToken":"\#(r0)"}"#)
            #expect(second.status == .ok)
            let r1 = try #require(second.string("refreshToken"))
            #expect(r1 != r0)
            #expect(second.string("sessionId") == first.string("sessionId"))
            #expect(try await Self.call(h, .get, "/me", headers: Self.bearer(try #require(second.string("accessToken")))).status == .ok)

            // The rotated-away token comes back: the session ends for both holders.
            let reused = try await Self.call(h, .post, "/auth/refresh", body: #"{"refreshToken":"\#(r0)"}"#)
            #expect(reused.status == .unauthorized)
            #expect(reused.string("code") == "refresh_token_reused")
            let after = try await Self.call(h, .post, "/auth/refresh", body: #"{"refreshToken":"\#(r1)"}"#)
            #expect(after.status == .unauthorized)
            #expect(after.string("code") == "invalid_refresh_token")
            let old = try await Self.call(h, .get, "/me", headers: Self.bearer(a0))
            #expect(old.status == .unauthorized)
            #expect(old.string("code") == "session_ended")

            // Garbage appends nothing.
            let before = try h.head()
            let garbage = try await Self.call(h, .post, "/auth/refresh", body: #"{"refreshToken":"not.a.token"}"#)
            #expect(garbage.status == .unauthorized)
            #expect(garbage.string("code") == "invalid_refresh_token")
            #expect(try h.head() == before)
        }
    }

    @Test func browsersKeepTheRefreshTokenInAnHttpOnlyCookieAndLogoutClearsIt() async throws {
        let logs = LogCapture()
        try await Harness.run(logs: logs) { h in
            let verified = try await Self.signIn(h, logs, email: "erin@example.org", extra: #","session":"cookie""#)
            #expect(verified.status == .ok)
            #expect(verified.json["refreshToken"] == nil)
            let setCookie = try #require(verified.headers[.setCookie])
            for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/auth", "Max-Age=2592000"] {
                #expect(setCookie.contains(attribute), "\(attribute) in \(setCookie)")
            }
            let cookie = String(setCookie.split(separator: ";")[0])
            var headers = HTTPFields()
            headers[.cookie] = cookie
            let refreshed = try await Self.call(h, .post, "/auth/refresh", headers: headers)
            #expect(refreshed.status == .ok)
            #expect(refreshed.json["refreshToken"] == nil)
            let next = String(try #require(refreshed.headers[.setCookie]).split(separator: ";")[0])
            #expect(next != cookie)

            headers[.cookie] = next
            let out = try await Self.call(h, .post, "/auth/logout", headers: headers)
            #expect(out.status == .noContent)
            #expect(out.headers[.setCookie]?.hasPrefix("bubble_refresh=; Path=/auth; Max-Age=0") == true)
            let access = try #require(refreshed.string("accessToken"))
            let me = try await Self.call(h, .get, "/me", headers: Self.bearer(access))
            #expect(me.status == .unauthorized)
            #expect(me.string("code") == "session_ended")
        }
    }

    @Test func logoutWithTheAccessTokenClosesThatSessionsSockets() async throws {
        let logs = LogCapture()
        try await Harness.run(logs: logs) { h in
            let verified = try await Self.signIn(h, logs, email: "fay@example.org")
            let access = try #require(verified.string("accessToken"))
            let socket = TestSocket()
            try await socket.connect(url: "ws://127.0.0.1:\(h.port)/ws?token=\(access)&deviceId=phone", headers: [:])
            _ = try await socket.next(ofType("snapshot"))
            let out = try await Self.call(h, .post, "/auth/logout", headers: Self.bearer(access))
            #expect(out.status == .noContent)
            #expect(try await socket.closedCode() == 4001)
        }
    }

    @Test func theOperatorDisablesAUserOfAnyIssuerAndEnablesThemAgain() async throws {
        try await Harness.run { h in
            let admin = Self.bearer(h.server.state.serverKeys.adminToken)
            let socket = try await h.socket("bob", device: "phone")
            #expect(try await h.rest(.get, "/timers", as: "bob").status == .ok)

            let refused = try await Self.call(h, .post, "/admin/users/bob/disable", body: "{}")
            #expect(refused.status == .unauthorized)
            #expect(refused.string("code") == "unauthorized")

            let disabled = try await Self.call(h, .post, "/admin/users/bob/disable", body: #"{"reason":"lost phone"}"#, headers: admin)
            #expect(disabled.status == .ok)
            #expect(disabled.json["changed"] as? Bool == true)
            #expect((disabled.json["user"] as? [String: Any])?["disabled"] as? Bool == true)
            #expect(try await socket.closedCode() == 4003)
            let rest = try await h.rest(.get, "/timers", as: "bob")
            #expect(rest.status == .forbidden)
            #expect((rest.json as? [String: Any])?["code"] as? String == "account_disabled")

            let listed = try await Self.call(h, .get, "/admin/users", headers: admin)
            let users = try #require(listed.json["users"] as? [[String: Any]])
            #expect(users.first { $0["id"] as? String == "bob" }?["disabled"] as? Bool == true)

            let again = try await Self.call(h, .post, "/admin/users/bob/disable", body: "{}", headers: admin)
            #expect(again.json["changed"] as? Bool == false)
            let enabled = try await Self.call(h, .post, "/admin/users/bob/enable", headers: admin)
            #expect(enabled.json["changed"] as? Bool == true)
            #expect(try await h.rest(.get, "/timers", as: "bob").status == .ok)
        }
    }

    @Test func theServersTokensVerifyWithItsJWKSAndIgnoreTheExternalProvidersRules() async throws {
        let logs = LogCapture()
        try await Harness.run(logs: logs, configure: {
            // An external provider's rules that the server's own tokens would all fail.
            $0.auth.audience = "cognito-client-id"
            $0.auth.tokenUse = "id"
            $0.auth.userClaim = "cognito:username"
        }) { h in
            let verified = try await Self.signIn(h, logs, email: "gus@example.org")
            let access = try #require(verified.string("accessToken"))
            #expect(try await Self.call(h, .get, "/me", headers: Self.bearer(access)).status == .ok)

            let jwks = try await h.client.execute(uri: "/.well-known/jwks.json", method: .get) { String(buffer: $0.body) }
            let keys = JWTKeyCollection()
            try await keys.add(jwksJSON: jwks)
            struct Payload: JWTPayload {
                var sub: SubjectClaim
                var sid: String
                var exp: ExpirationClaim
                var iss: IssuerClaim
                func verify(using algorithm: some JWTAlgorithm) throws { try exp.verifyNotExpired() }
            }
            let payload = try await keys.verify(access, as: Payload.self)
            #expect(payload.sub.value == verified.string("userId"))
            #expect(payload.sid == verified.string("sessionId"))
            #expect(payload.iss.value == "urn:bubble-timer:\(h.server.state.serverKeys.keyID)")

            // A token signed by another key with the server's kid is refused.
            let forged = JWTKeyCollection()
            await forged.add(ecdsa: ES256PrivateKey(), kid: JWKIdentifier(string: h.server.state.serverKeys.keyID))
            let fake = try await forged.sign(Payload(sub: .init(value: "gus"), sid: "x", exp: .init(value: Date().addingTimeInterval(600)), iss: .init(value: "x")))
            let answer = try await Self.call(h, .get, "/me", headers: Self.bearer(fake))
            #expect(answer.status == .unauthorized)
            #expect(answer.string("code") == "unauthorized")
        }
    }
}
