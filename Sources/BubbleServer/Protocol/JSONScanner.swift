internal import Foundation

/// Reads JSON text (RFC 8259) into the plain values frames and bodies are read from:
/// `String`, `Int` (integers that fit) or `Double`, `Bool`, `NSNull`, `[Any]` and
/// `[String: Any]`. Foundation's JSONSerialization bridged every value through NSObject and
/// was about 5% of the server's CPU at full load; this reads the bytes in place.
///
/// Strict where the RFC is: no trailing commas, comments, single quotes, leading zeros,
/// unescaped control characters, lone surrogates or invalid UTF-8; duplicate keys keep the
/// last value; nesting deeper than ``maxDepth`` is refused.
struct JSONScanner {
    struct Malformed: Error {}

    static let maxDepth = 64

    private let bytes: UnsafeBufferPointer<UInt8>
    private var at = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The one value `bytes` hold, surrounded by nothing but whitespace.
    static func value(_ bytes: some Collection<UInt8>) throws(Malformed) -> Any {
        let parsed: Result<Any, Malformed>? = bytes.withContiguousStorageIfAvailable { Self.read($0) }
        let result = parsed ?? Array(bytes).withUnsafeBufferPointer { Self.read($0) }
        return try result.get()
    }

    private static func read(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<Any, Malformed> {
        var scanner = JSONScanner(buffer)
        do throws(Malformed) {
            scanner.skipSpace()
            let value = try scanner.value(depth: 0)
            scanner.skipSpace()
            guard scanner.at == buffer.count else { throw Malformed() }
            return .success(value)
        } catch {
            return .failure(error)
        }
    }

    private mutating func skipSpace() {
        while at < bytes.count {
            switch bytes[at] {
            case 0x20, 0x09, 0x0A, 0x0D: at += 1
            default: return
            }
        }
    }

    private func peek() throws(Malformed) -> UInt8 {
        guard at < bytes.count else { throw Malformed() }
        return bytes[at]
    }

    private mutating func value(depth: Int) throws(Malformed) -> Any {
        switch try peek() {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return try string()
        case UInt8(ascii: "t"): try literal("true"); return true
        case UInt8(ascii: "f"): try literal("false"); return false
        case UInt8(ascii: "n"): try literal("null"); return NSNull()
        default: return try number()
        }
    }

    private mutating func literal(_ word: StaticString) throws(Malformed) {
        let count = word.utf8CodeUnitCount
        guard at + count <= bytes.count else { throw Malformed() }
        for i in 0..<count where bytes[at + i] != word.utf8Start[i] { throw Malformed() }
        at += count
    }

    private mutating func object(depth: Int) throws(Malformed) -> [String: Any] {
        guard depth <= Self.maxDepth else { throw Malformed() }
        at += 1
        var out: [String: Any] = [:]
        skipSpace()
        if try peek() == UInt8(ascii: "}") {
            at += 1
            return out
        }
        while true {
            skipSpace()
            guard try peek() == UInt8(ascii: "\"") else { throw Malformed() }
            let key = try string()
            skipSpace()
            guard try peek() == UInt8(ascii: ":") else { throw Malformed() }
            at += 1
            skipSpace()
            out[key] = try value(depth: depth)
            skipSpace()
            switch try peek() {
            case UInt8(ascii: ","): at += 1
            case UInt8(ascii: "}"): at += 1; return out
            default: throw Malformed()
            }
        }
    }

    private mutating func array(depth: Int) throws(Malformed) -> [Any] {
        guard depth <= Self.maxDepth else { throw Malformed() }
        at += 1
        var out: [Any] = []
        skipSpace()
        if try peek() == UInt8(ascii: "]") {
            at += 1
            return out
        }
        while true {
            skipSpace()
            out.append(try value(depth: depth))
            skipSpace()
            switch try peek() {
            case UInt8(ascii: ","): at += 1
            case UInt8(ascii: "]"): at += 1; return out
            default: throw Malformed()
            }
        }
    }

    private mutating func string() throws(Malformed) -> String {
        at += 1
        let start = at
        // The common case: no escapes, so the bytes are the string once checked as UTF-8.
        while at < bytes.count {
            let byte = bytes[at]
            if byte == UInt8(ascii: "\"") {
                let text = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
                at += 1
                guard let text else { throw Malformed() }
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw Malformed() }
            at += 1
        }
        guard at < bytes.count else { throw Malformed() }
        var out = Array(UnsafeBufferPointer(rebasing: bytes[start..<at]))
        while true {
            let byte = try peek()
            at += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: out, as: UTF8.self) else { throw Malformed() }
                return text
            case UInt8(ascii: "\\"):
                let escape = try peek()
                at += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"): out.append(contentsOf: try unicodeEscape())
                default: throw Malformed()
                }
            default:
                guard byte >= 0x20 else { throw Malformed() }
                out.append(byte)
            }
        }
    }

    /// `\uXXXX` (after the `u`), a surrogate pair taking two; the scalar as UTF-8.
    private mutating func unicodeEscape() throws(Malformed) -> [UInt8] {
        var scalar = try hex4()
        if (0xD800..<0xDC00).contains(scalar) {
            guard at + 1 < bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") else { throw Malformed() }
            at += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw Malformed() }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(scalar) {
            throw Malformed()
        }
        guard let unicode = Unicode.Scalar(scalar) else { throw Malformed() }
        return Array(String(Character(unicode)).utf8)
    }

    private mutating func hex4() throws(Malformed) -> UInt32 {
        guard at + 4 <= bytes.count else { throw Malformed() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[at]
            at += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Malformed()
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`: an `Int` when integral and in range,
    /// else a `Double`.
    private mutating func number() throws(Malformed) -> Any {
        let start = at
        func digits() -> Int {
            let from = at
            while at < bytes.count, bytes[at] >= UInt8(ascii: "0"), bytes[at] <= UInt8(ascii: "9") { at += 1 }
            return at - from
        }
        if at < bytes.count, bytes[at] == UInt8(ascii: "-") { at += 1 }
        let leading = at
        guard digits() > 0 else { throw Malformed() }
        if bytes[leading] == UInt8(ascii: "0"), at - leading > 1 { throw Malformed() }
        var integral = true
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
            at += 1
            integral = false
            guard digits() > 0 else { throw Malformed() }
        }
        if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
            at += 1
            integral = false
            if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
            guard digits() > 0 else { throw Malformed() }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
        if integral, let int = Int(text) { return int }
        guard let double = Double(text), double.isFinite else { throw Malformed() }
        return double
    }
}
