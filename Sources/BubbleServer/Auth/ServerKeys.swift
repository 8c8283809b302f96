internal import Crypto
internal import Foundation
internal import JWTKit
public import TimerDomain

/// The server's own identity-provider keys, made on first start in the data directory:
/// the ES256 key its access tokens are signed with (public half at `/.well-known/jwks.json`),
/// the key email addresses are turned into user ids with, and the operator's admin token.
public struct ServerKeys: Sendable {
    let signing: P256.Signing.PrivateKey
    let accountKey: SymmetricKey
    /// `Authorization: Bearer <this>` on `/admin/…` (the `users` command reads it from the file).
    public let adminToken: String
    /// RFC 7638 thumbprint of the public key: the `kid` of every token the server signs.
    public let keyID: String

    public static func loadOrCreate(directory: String) throws -> ServerKeys {
        let pem = try SecretFile.loadOrCreate(directory + "/signing-key.pem") { P256.Signing.PrivateKey().pemRepresentation }
        let signing: P256.Signing.PrivateKey
        do { signing = try P256.Signing.PrivateKey(pemRepresentation: pem) } catch {
            throw ConfigurationError("\(directory)/signing-key.pem is not a P-256 private key in PEM: \(error)")
        }
        let account = try SecretFile.loadOrCreate(directory + "/account-key") { SecretFile.randomBase64(bytes: 32) }
        guard let accountBytes = Data(base64Encoded: account), accountBytes.count >= 32 else {
            throw ConfigurationError("\(directory)/account-key is not 32 bytes of base64")
        }
        let admin = try SecretFile.loadOrCreate(directory + "/admin-token") { Base64URL.encode(SecretFile.randomBytes(32)) }
        return ServerKeys(signing: signing, accountKey: SymmetricKey(data: accountBytes), adminToken: admin, keyID: Self.thumbprint(signing.publicKey))
    }

    /// The user an email signs in as: opaque (never the address), the same for the same
    /// address on every start, and unguessable without the account key.
    public func userID(forEmail email: String) -> UserID {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("email:\(Self.normalize(email))".utf8), using: accountKey)
        return "u" + Base32.encode(Array(mac)).prefix(26)
    }

    /// Addresses differ only in case after the `@` by the standard and in practice not at all.
    public static func normalize(_ email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// `{"keys":[…]}`: the public key, for anyone verifying the server's tokens.
    var jwksJSON: [String: Any] {
        let (x, y) = Self.coordinates(signing.publicKey)
        return ["keys": [["kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": keyID, "x": x, "y": y]]]
    }

    static func coordinates(_ key: P256.Signing.PublicKey) -> (x: String, y: String) {
        let raw = Array(key.rawRepresentation)
        return (Base64URL.encode(Array(raw[0..<32])), Base64URL.encode(Array(raw[32..<64])))
    }

    static func thumbprint(_ key: P256.Signing.PublicKey) -> String {
        let (x, y) = coordinates(key)
        let canonical = #"{"crv":"P-256","kty":"EC","x":"\#(x)","y":"\#(y)"}"#
        return Base64URL.encode(Array(SHA256.hash(data: Array(canonical.utf8))))
    }
}

enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map(Array.init)
    }
}

/// Lower-case RFC 4648 base32 without padding: ids that are safe in paths and keys.
enum Base32 {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var buffer = 0, bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
            buffer &= (1 << bits) - 1
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return String(decoding: out, as: UTF8.self)
    }
}
