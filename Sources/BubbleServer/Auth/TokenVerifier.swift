internal import EventLog
internal import Foundation
internal import JWTKit
public import TimerDomain

/// How tokens are checked. HS256 with a shared secret (the dev default, or a configured
/// secret) and/or RS256/ES256 keys from a JWKS file (Cognito style).
public struct AuthConfiguration: Sendable {
    public var hmacSecret: String?
    public var jwksJSON: String?
    /// The claim that names the user: `sub` by default, `cognito:username` for Cognito ID tokens.
    public var userClaim = "sub"
    public var issuer: String?
    /// Accepted when it matches `aud` or, for Cognito access tokens, `client_id`.
    public var audience: String?
    /// `id` or `access` when set (Cognito's `token_use`).
    public var tokenUse: String?
    /// Tolerated clock skew for `exp`/`nbf`, seconds.
    public var leeway: Double = 30

    public init() {}
}

/// Verifies a token's signature and claims and names its user. Every failure is a 401 with
/// a reason that helps a client developer and leaks nothing about keys.
public struct TokenVerifier: Sendable {
    let keys: JWTKeyCollection
    let configuration: AuthConfiguration
    /// The configured id length limit (`--max-id-length`), the same for users and devices.
    let maxUserIDLength: Int

    public init(_ configuration: AuthConfiguration, maxUserIDLength: Int = Limits().maxIDLength) async throws {
        let keys = JWTKeyCollection()
        if let secret = configuration.hmacSecret {
            // HS256 with a short secret is guessable (and jwt-kit traps on it in debug builds).
            guard secret.utf8.count >= 32 else { throw ConfigurationError("the HS256 secret must be at least 32 bytes; it is \(secret.utf8.count)") }
            await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        }
        if let jwks = configuration.jwksJSON { try await keys.add(jwksJSON: jwks) }
        self.keys = keys
        self.configuration = configuration
        self.maxUserIDLength = maxUserIDLength
    }

    public func user(fromToken token: String) async throws(ServerError) -> UserID {
        try await verify(token).user
    }

    public func verify(_ token: String) async throws(ServerError) -> VerifiedToken {
        try await verify(token, now: Date().timeIntervalSince1970)
    }

    public func user(fromToken token: String, now: Double) async throws(ServerError) -> UserID {
        try await verify(token, now: now).user
    }

    /// The token's user and the moment (Unix seconds, leeway included) from which it is
    /// refused: an open socket is closed then.
    public func verify(_ token: String, now: Double) async throws(ServerError) -> VerifiedToken {
        let claims: Claims
        do { claims = try await keys.verify(token, as: Claims.self) } catch {
            throw .unauthorized("the token's signature or format is not valid")
        }
        guard let exp = claims.number("exp") else { throw .unauthorized("the token has no expiry (exp)") }
        guard exp + configuration.leeway > now else { throw .unauthorized("the token has expired") }
        switch claims.values["nbf"] {
        case nil: break
        case .number(let nbf): if nbf - configuration.leeway > now { throw .unauthorized("the token is not valid yet") }
        // A `nbf` that is not a number cannot be honoured; ignoring it would accept a token
        // its issuer meant to hold back.
        default: throw .unauthorized("the token's nbf is not a number")
        }
        if let issuer = configuration.issuer, claims.string("iss") != issuer { throw .unauthorized("the token's issuer is not accepted") }
        if let audience = configuration.audience,
           !claims.audiences("aud").contains(audience), claims.string("client_id") != audience {
            throw .unauthorized("the token is not meant for this server (aud/client_id)")
        }
        if let use = configuration.tokenUse, claims.string("token_use") != use {
            throw .unauthorized("the token_use must be '\(use)'")
        }
        guard let user = claims.string(configuration.userClaim), !user.isEmpty else {
            throw .unauthorized("the token has no '\(configuration.userClaim)' claim naming the user")
        }
        guard user.utf8.count <= maxUserIDLength, !user.utf8.contains(0) else { throw .unauthorized("the user id in the token is not acceptable") }
        return VerifiedToken(user: user, expiresAt: exp + configuration.leeway, email: claims.string("email"), name: claims.string("name"))
    }

    /// Signs an HS256 token for `user` (the `token` command and tests).
    public func mint(user: UserID, lifetime: Double = 86_400 * 30, claims extra: [String: String] = [:]) async throws -> String {
        var values: [String: Claims.Value] = [
            configuration.userClaim: .string(user), "exp": .number((Date().timeIntervalSince1970 + lifetime).rounded()),
            "iat": .number(Date().timeIntervalSince1970.rounded()),
        ]
        if let issuer = configuration.issuer { values["iss"] = .string(issuer) }
        if let audience = configuration.audience { values["aud"] = .string(audience) }
        if let use = configuration.tokenUse { values["token_use"] = .string(use) }
        for (k, v) in extra { values[k] = .string(v) }
        return try await keys.sign(Claims(values))
    }
}

/// What a valid token says: who, until when, and the profile claims it carries (Cognito ID
/// tokens carry `email` and `name`; access tokens neither).
public struct VerifiedToken: Sendable {
    public var user: UserID
    /// Unix seconds from which the token is refused (its `exp` plus the leeway).
    public var expiresAt: Double
    public var email: String?
    public var name: String?
    /// The sign-in session of a token the server signed itself (`sid`); it stops working
    /// when that session ends.
    public var session: String?
}

/// A setting that cannot work, named so the operator can fix it.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
