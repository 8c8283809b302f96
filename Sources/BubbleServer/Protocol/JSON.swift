internal import Foundation

/// JSON in and out as plain dictionaries: timer strings pass through untouched (the Android
/// parser crashes on rewritten durations and end times), and unknown fields are ignored.
enum JSON {
    static func object(_ bytes: some Collection<UInt8>) throws(ServerError) -> [String: Any] {
        let parsed: Any
        do { parsed = try JSONScanner.value(bytes) } catch {
            throw .badRequest("malformed_json", "not valid JSON")
        }
        guard let object = parsed as? [String: Any] else { throw .badRequest("malformed_json", "expected a JSON object") }
        return object
    }

    static func text(_ object: [String: Any]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        JSONWriter.write(object, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func data(_ object: Any) -> Data {
        var out: [UInt8] = []
        JSONWriter.write(object, into: &out)
        return Data(out)
    }
}

extension Dictionary where Key == String, Value == Any {
    func string(_ key: String, in context: String) throws(ServerError) -> String {
        guard let value = self[key] else { throw .badRequest("missing_field", "\(context)\(key) is required") }
        guard let string = value as? String else { throw .badRequest("wrong_type", "\(context)\(key) must be a string") }
        return string
    }

    func optionalString(_ key: String, in context: String) throws(ServerError) -> String? {
        guard let value = self[key], !(value is NSNull) else { return nil }
        guard let string = value as? String else { throw .badRequest("wrong_type", "\(context)\(key) must be a string") }
        return string
    }

    func strings(_ key: String, in context: String) throws(ServerError) -> [String] {
        guard let value = self[key], !(value is NSNull) else { return [] }
        guard let list = value as? [Any] else { throw .badRequest("wrong_type", "\(context)\(key) must be an array of strings") }
        var out: [String] = []
        for item in list {
            guard let s = item as? String else { throw .badRequest("wrong_type", "\(context)\(key) must be an array of strings") }
            out.append(s)
        }
        return out
    }

    func optionalObject(_ key: String, in context: String) throws(ServerError) -> [String: Any]? {
        guard let value = self[key], !(value is NSNull) else { return nil }
        guard let object = value as? [String: Any] else { throw .badRequest("wrong_type", "\(context)\(key) must be an object") }
        return object
    }

    func object(_ key: String, in context: String) throws(ServerError) -> [String: Any] {
        guard let value = self[key] else { throw .badRequest("missing_field", "\(context)\(key) is required") }
        guard let object = value as? [String: Any] else { throw .badRequest("wrong_type", "\(context)\(key) must be an object") }
        return object
    }
}
