internal import Logging
internal import Projections
internal import Foundation
internal import Hummingbird
internal import HTTPTypes
internal import TimerDomain
internal import BubbleCore

/// Email sign-in (no token needed): `POST /auth/login|verify|refresh|logout` and the public
/// key at `/.well-known/jwks.json`. Each step is one command on the user's stream; codes and
/// refresh tokens exist in the log only as hashes.
struct AuthRoutes {
    let server: ServerState
    static let cookie = "bubble_refresh"

    func register(on router: Router<BubbleRequestContext>) {
        router.get("/.well-known/jwks.json") { _, _ in jsonResponse(server.serverKeys.jwksJSON) }

        router.post("/auth/login") { request, context in
            let body = try await request.jsonObject(limit: server.configuration.maxFrameBytes)
            let email = try Self.email(try body.string("email", in: ""), limits: server.configuration.limits)
            let address = context.clientAddress(request, trustedProxies: Set(server.configuration.trustedProxies))
            guard server.signInLimits.allowLogin(email: email, address: address) else {
                throw ServerError(.tooManyRequests, code: "rate_limited", "too many sign-in codes asked for; wait a few minutes")
            }
            let settings = server.configuration.signIn
            let user = server.serverKeys.userID(forEmail: email)
            let known = try server.store.read { try server.store.views.userState(user, $0).profile != nil }
            // The answer is the same, and as quick, whether a code goes out or not: neither its
            // body nor its timing tells who has an account here, or who may make one. So the
            // code is issued (a synced commit) and mailed after the answer.
            if known || settings.signup.admits(email, allow: settings.allow) {
                let code = Self.drawCode()
                let expiresAt = currentMilliseconds() + Int64(settings.codeLifetime * 1000)
                let request = CommandRequest(.account(.issueCode(code: code, salt: SecretFile.randomBytes(16), expiresAt: expiresAt)), actor: Actor(userID: user, deviceID: "auth"))
                Task { [server, logger = context.logger] in
                    do {
                        _ = try await server.execute(request)
                        server.codeMail.send(code: code, to: email, minutes: Int(settings.codeLifetime / 60))
                    } catch Rejection.signIn(.accountDisabled) {
                        // Disabled: no code.
                    } catch {
                        logger.error("could not issue a sign-in code", metadata: ["error": "\(error)"])
                    }
                }
            }
            return jsonResponse(["status": "code_sent", "expiresIn": Int(settings.codeLifetime)], status: .accepted)
        }

        router.post("/auth/verify") { request, context in
            let body = try await request.jsonObject(limit: server.configuration.maxFrameBytes)
            let email = try Self.email(try body.string("email", in: ""), limits: server.configuration.limits)
            let code = try body.string("code", in: "")
            let cookie = try Self.wantsCookie(body)
            let device = try Self.device(request, body, server: server)
            let address = context.clientAddress(request, trustedProxies: Set(server.configuration.trustedProxies))
            guard server.signInLimits.allowAttempt(address: address) else { throw ServerError.rateLimited }
            let user = server.serverKeys.userID(forEmail: email)
            let session = Base32.encode(SecretFile.randomBytes(16))
            let draw = Self.drawToken(server)
            let result = try await server.execute(CommandRequest(
                .account(.verify(code: code, email: email, session: session, token: draw)), actor: Actor(userID: user, deviceID: device)
            ))
            guard result.events.contains(where: { if case .sessionStarted = $0.event { true } else { false } }) else {
                throw ServerError.from(Rejection.signIn(.invalidCode))
            }
            return try await tokens(user: user, session: session, generation: 0, draw: draw, cookie: cookie, status: .ok)
        }

        router.post("/auth/refresh") { request, context in
            let body = try await request.optionalJSONObject(limit: server.configuration.maxFrameBytes) ?? [:]
            let (user, presented, fromCookie) = try Self.presented(request, body)
            let address = context.clientAddress(request, trustedProxies: Set(server.configuration.trustedProxies))
            guard server.signInLimits.allowAttempt(address: address) else { throw ServerError.rateLimited }
            let draw = Self.drawToken(server)
            let result = try await server.execute(CommandRequest(.account(.refresh(presented, next: draw)), actor: Actor(userID: user, deviceID: "auth")))
            guard case .sessionRefreshed(_, let grant)? = result.events.first?.event else {
                // The session ended: the token came back after it was rotated away.
                throw ServerError(.unauthorized, code: "refresh_token_reused", "this refresh token was already used, so its session is ended everywhere; sign in again")
            }
            return try await tokens(user: user, session: grant.id, generation: grant.generation, draw: draw, cookie: fromCookie, status: .ok)
        }

        router.post("/auth/logout") { request, context in
            let body = try await request.optionalJSONObject(limit: server.configuration.maxFrameBytes) ?? [:]
            if let (user, presented, _) = try? Self.presented(request, body) {
                _ = try await server.execute(CommandRequest(.account(.logout(presented)), actor: Actor(userID: user, deviceID: "auth")))
            } else {
                let identity = try await authenticate(request.head, peer: context.peer, server: server)
                guard let session = identity.session else {
                    throw ServerError.badRequest("missing_field", "send the refresh token (refreshToken, or the bubble_refresh cookie), or an access token this server signed")
                }
                _ = try await server.execute(CommandRequest(.account(.endSessions([session], reason: "signed out")), actor: identity.actor))
            }
            var response = Response(status: .noContent)
            response.headers[.setCookie] = Self.cookieHeader(value: "", maxAge: 0)
            return response
        }
    }

    /// The answer to a sign-in or refresh: a fresh access token, and the refresh token in
    /// the body, or for a browser only in an HttpOnly cookie its scripts cannot read.
    private func tokens(user: UserID, session: String, generation: UInt64, draw: TokenDraw, cookie: Bool, status: HTTPResponse.Status) async throws -> Response {
        let access = try await server.serverTokens.sign(user: user, session: session, now: Date().timeIntervalSince1970)
        let refresh = "\(user).\(session).\(generation).\(Base64URL.encode(draw.secret))"
        var object: [String: Any] = [
            "accessToken": access, "tokenType": "Bearer", "expiresIn": Int(server.serverTokens.lifetime), "userId": user, "sessionId": session,
        ]
        if !cookie { object["refreshToken"] = refresh }
        var response = jsonResponse(object, status: status)
        if cookie { response.headers[.setCookie] = Self.cookieHeader(value: refresh, maxAge: Int(server.configuration.signIn.sessionLifetime)) }
        response.headers[.cacheControl] = "no-store"
        return response
    }

    static func cookieHeader(value: String, maxAge: Int) -> String {
        "\(cookie)=\(value); Path=/auth; Max-Age=\(maxAge); HttpOnly; Secure; SameSite=Strict"
    }

    /// A plausible address: what can be mailed, and nothing that could add a mail header.
    static func email(_ raw: String, limits: Limits) throws(ServerError) -> String {
        let email = ServerKeys.normalize(raw)
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count <= limits.maxEmailLength, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              email.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && !"<>(),;:\\\"[]".unicodeScalars.contains($0) })
        else {
            throw ServerError(.badRequest, code: "invalid_field", "email is not an address this server can mail (name@example.org)", field: "email")
        }
        return email
    }

    /// Six digits, uniformly drawn.
    static func drawCode() -> String {
        var rng = SystemRandomNumberGenerator()
        let n = Int.random(in: 0..<1_000_000, using: &rng)
        return String(repeating: "0", count: 6 - String(n).count) + String(n)
    }

    static func drawToken(_ server: ServerState) -> TokenDraw {
        TokenDraw(secret: SecretFile.randomBytes(32), expiresAt: currentMilliseconds() + Int64(server.configuration.signIn.sessionLifetime * 1000))
    }

    static func wantsCookie(_ body: [String: Any]) throws(ServerError) -> Bool {
        switch try body.optionalString("session", in: "") {
        case nil, "token": return false
        case "cookie": return true
        case let other?: throw ServerError(.badRequest, code: "invalid_field", "session is 'token' or 'cookie', not '\(other.prefix(32))'", field: "session")
        }
    }

    static func device(_ request: Request, _ body: [String: Any], server: ServerState) throws -> DeviceID {
        let device = try body.optionalString("deviceId", in: "") ?? Credentials.deviceID(request.headers, request.uri) ?? "web"
        do { try Decider.checkDeviceID(device, limits: server.configuration.limits) } catch { throw ServerError.from(error) }
        return device
    }

    /// The refresh token from the body, else from the cookie (and whether it came from there).
    static func presented(_ request: Request, _ body: [String: Any]) throws(ServerError) -> (UserID, PresentedToken, fromCookie: Bool) {
        let invalid = ServerError.from(Rejection.signIn(.invalidRefreshToken))
        if let token = try body.optionalString("refreshToken", in: "") {
            guard let (user, parsed) = parse(token) else { throw invalid }
            return (user, parsed, false)
        }
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let kv = pair.trimmingCharacters(in: .whitespaces)
                guard kv.hasPrefix(cookie + "=") else { continue }
                guard let (user, parsed) = parse(kv.dropFirst(cookie.count + 1)) else { throw invalid }
                return (user, parsed, true)
            }
        }
        throw ServerError.badRequest("missing_field", "refreshToken is required (or the bubble_refresh cookie)")
    }

    /// `<user>.<session>.<generation>.<secret>`: the user first, so the token's stream is
    /// known without an index of sessions.
    static func parse(_ token: some StringProtocol) -> (UserID, PresentedToken)? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, !parts[0].isEmpty, parts[0].count <= 128, parts[1].count == 26, let generation = UInt64(parts[2]),
              let secret = Base64URL.decode(parts[3]), secret.count == 32 else { return nil }
        return (String(parts[0]), PresentedToken(session: String(parts[1]), generation: generation, secret: secret))
    }
}
