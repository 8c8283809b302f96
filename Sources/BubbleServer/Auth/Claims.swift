internal import JWTKit

/// Every claim of a token, kept by name so the user claim (`sub`, `cognito:username`, …) and
/// the checks (`iss`, `aud`/`client_id`, `token_use`) are configuration, not code.
struct Claims: JWTPayload {
    enum Value: Equatable, Sendable {
        case string(String), number(Double), bool(Bool), strings([String]), other
    }

    var values: [String: Value]

    init(_ values: [String: Value]) { self.values = values }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        var values: [String: Value] = [:]
        for key in c.allKeys {
            if let s = try? c.decode(String.self, forKey: key) { values[key.stringValue] = .string(s) }
            else if let b = try? c.decode(Bool.self, forKey: key) { values[key.stringValue] = .bool(b) }
            else if let n = try? c.decode(Double.self, forKey: key) { values[key.stringValue] = .number(n) }
            else if let l = try? c.decode([String].self, forKey: key) { values[key.stringValue] = .strings(l) }
            else { values[key.stringValue] = .other }
        }
        self.values = values
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for (k, v) in values {
            switch v {
            case .string(let s): try c.encode(s, forKey: Key(stringValue: k))
            case .number(let n): try c.encode(n, forKey: Key(stringValue: k))
            case .bool(let b): try c.encode(b, forKey: Key(stringValue: k))
            case .strings(let l): try c.encode(l, forKey: Key(stringValue: k))
            case .other: break
            }
        }
    }

    /// Signature checks happen in `verify`; claim checks in ``TokenVerifier`` with its configuration.
    func verify(using algorithm: some JWTAlgorithm) async throws {}

    func string(_ name: String) -> String? {
        if case .string(let s) = values[name] { return s }
        return nil
    }

    func number(_ name: String) -> Double? {
        if case .number(let n) = values[name] { return n }
        return nil
    }

    /// `aud` may be a string or a list.
    func audiences(_ name: String) -> [String] {
        switch values[name] {
        case .string(let s): [s]
        case .strings(let l): l
        default: []
        }
    }
}
