internal import Crypto
internal import Foundation
internal import JWTKit
public import TimerDomain

/// Access tokens the server signs itself (email sign-in): ES256 under ``ServerKeys``, with
/// its own `iss` and `kid`. They are recognised by that `kid` and checked under their own
/// rules, so the settings for an external provider (`aud`, `token_use`, the user claim) never
/// apply to them, and theirs never to the provider's.
public struct ServerTokens: Sendable {
    let keys: JWTKeyCollection
    let serverKeys: ServerKeys
    let issuer: String
    /// Seconds an access token lives; a client refreshes it with its refresh token.
    let lifetime: Double
    let leeway: Double = 30

    public init(keys serverKeys: ServerKeys, issuer: String, lifetime: Double) async throws {
        let keys = JWTKeyCollection()
        let pem = serverKeys.signing.pemRepresentation
        await keys.add(ecdsa: try ES256PrivateKey(pem: pem), kid: JWKIdentifier(string: serverKeys.keyID))
        self.keys = keys
        self.serverKeys = serverKeys
        self.issuer = issuer
        self.lifetime = lifetime
    }

    /// Whether `token` names this server's key in its header (then only these rules apply).
    func owns(_ token: String) -> Bool {
        guard let header = token.split(separator: ".", maxSplits: 1).first, let bytes = Base64URL.decode(header),
              let object = try? JSONScanner.value(bytes) as? [String: Any] else { return false }
        return object["kid"] as? String == serverKeys.keyID
    }

    /// An access token for `user` in session `session`, and its lifetime in seconds.
    func sign(user: UserID, session: String, now: Double) async throws -> String {
        let claims = Claims([
            "iss": .string(issuer), "sub": .string(user), "sid": .string(session),
            "iat": .number(now.rounded(.down)), "exp": .number((now + lifetime).rounded(.down)), "token_use": .string("access"),
        ])
        return try await keys.sign(claims, kid: JWKIdentifier(string: serverKeys.keyID))
    }

    func verify(_ token: String, now: Double) async throws(ServerError) -> VerifiedToken {
        let claims: Claims
        do { claims = try await keys.verify(token, as: Claims.self) } catch {
            throw .unauthorized("the token's signature or format is not valid")
        }
        guard claims.string("iss") == issuer else { throw .unauthorized("the token's issuer is not accepted") }
        guard let exp = claims.number("exp") else { throw .unauthorized("the token has no expiry (exp)") }
        guard exp + leeway > now else { throw .unauthorized("the token has expired") }
        guard let user = claims.string("sub"), !user.isEmpty, let session = claims.string("sid") else {
            throw .unauthorized("the token names no user or session")
        }
        return VerifiedToken(user: user, expiresAt: exp + leeway, email: nil, name: nil, session: session)
    }
}
