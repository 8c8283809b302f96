import CryptoExtras
import Foundation
import JWTKit
import Testing
@testable import BubbleServer

/// Real signatures: an ES256 key pair made here, its public half served as a JWKS file the
/// way a Cognito user pool publishes it, and tokens with Cognito's claims.
@Suite struct TokenVerifierTests {
    let issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TEST"

    func signer() async throws -> (keys: JWTKeyCollection, jwks: String) {
        let key = ES256PrivateKey()
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key, kid: "k1")
        let p = try #require(key.publicKey.parameters)
        let jwks = #"{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","use":"sig","kid":"k1","x":"\#(p.x)","y":"\#(p.y)"}]}"#
        return (keys, jwks)
    }

    func cognitoVerifier(jwks: String, tokenUse: String = "id") async throws -> TokenVerifier {
        var auth = AuthConfiguration()
        auth.jwksJSON = jwks
        auth.userClaim = "cognito:username"
        auth.issuer = issuer
        auth.audience = "app-client"
        auth.tokenUse = tokenUse
        return try await TokenVerifier(auth)
    }

    func token(_ keys: JWTKeyCollection, _ claims: [String: Claims.Value]) async throws -> String {
        try await keys.sign(Claims(claims), kid: "k1")
    }

    var future: Claims.Value { .number(Date().timeIntervalSince1970 + 3600) }

    @Test func acceptsCognitoIDAndAccessTokensSignedWithTheJWKSKey() async throws {
        let (keys, jwks) = try await signer()
        let idVerifier = try await cognitoVerifier(jwks: jwks)
        let idToken = try await token(keys, [
            "sub": .string("5f1c-uuid"), "cognito:username": .string("alice"), "iss": .string(issuer),
            "aud": .string("app-client"), "token_use": .string("id"), "exp": future,
        ])
        #expect(try await idVerifier.user(fromToken: idToken) == "alice")

        let accessVerifier = try await cognitoVerifier(jwks: jwks, tokenUse: "access")
        let accessToken = try await token(keys, [
            "sub": .string("5f1c-uuid"), "cognito:username": .string("alice"), "iss": .string(issuer),
            "client_id": .string("app-client"), "token_use": .string("access"), "exp": future,
        ])
        #expect(try await accessVerifier.user(fromToken: accessToken) == "alice")
    }

    @Test(arguments: [
        ("iss", "issuer"), ("aud", "not meant for this server"), ("token_use", "token_use"),
        ("exp", "expired"), ("cognito:username", "no 'cognito:username' claim"),
        ("nbf", "the token's nbf is not a number"),
    ])
    func refusesWrongClaimsWithAReason(claim: String, reason: String) async throws {
        let (keys, jwks) = try await signer()
        let verifier = try await cognitoVerifier(jwks: jwks)
        var claims: [String: Claims.Value] = [
            "cognito:username": .string("alice"), "iss": .string(issuer), "aud": .string("app-client"),
            "token_use": .string("id"), "exp": future,
        ]
        switch claim {
        case "exp": claims["exp"] = .number(Date().timeIntervalSince1970 - 3600)
        case "cognito:username": claims[claim] = nil
        default: claims[claim] = .string("something-else")
        }
        let bad = try await token(keys, claims)
        do {
            _ = try await verifier.user(fromToken: bad)
            Issue.record("accepted a token with a wrong \(claim)")
        } catch {
            #expect(error.status == .unauthorized)
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }

    @Test func refusesAKeyNotInTheJWKSAndShortSecrets() async throws {
        let (_, jwks) = try await signer()
        let (otherKeys, _) = try await signer()
        let verifier = try await cognitoVerifier(jwks: jwks)
        let forged = try await token(otherKeys, ["cognito:username": .string("alice"), "iss": .string(issuer), "aud": .string("app-client"), "token_use": .string("id"), "exp": future])
        await #expect(throws: ServerError.self) { _ = try await verifier.user(fromToken: forged) }
        var weak = AuthConfiguration()
        weak.hmacSecret = "short"
        await #expect(throws: ConfigurationError.self) { _ = try await TokenVerifier(weak) }
    }

    /// RS256 goes through the same JWKS path as ES256: a 2048-bit key made here, its modulus
    /// and exponent published as a JWKS entry.
    @Test func acceptsRS256TokensFromTheJWKSAndRefusesOtherRSAKeys() async throws {
        let key = try Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
        let keys = JWTKeyCollection()
        await keys.add(rsa: key, digestAlgorithm: .sha256, kid: "r1")
        let (n, e) = try key.publicKey.getKeyPrimitives()
        func base64url(_ d: Data) -> String {
            d.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let jwks = #"{"keys":[{"kty":"RSA","alg":"RS256","use":"sig","kid":"r1","n":"\#(base64url(n))","e":"\#(base64url(e))"}]}"#
        let verifier = try await cognitoVerifier(jwks: jwks)
        let claims: [String: Claims.Value] = [
            "cognito:username": .string("alice"), "iss": .string(issuer), "aud": .string("app-client"),
            "token_use": .string("id"), "exp": future,
        ]
        #expect(try await verifier.user(fromToken: try await keys.sign(Claims(claims), kid: "r1")) == "alice")

        let other = JWTKeyCollection()
        await other.add(rsa: try Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048)), digestAlgorithm: .sha256, kid: "r1")
        let forged = try await other.sign(Claims(claims), kid: "r1")
        await #expect(throws: (any Error).self) { _ = try await verifier.user(fromToken: forged) }
    }
}
