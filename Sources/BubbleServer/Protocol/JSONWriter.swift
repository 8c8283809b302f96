internal import Foundation

/// Writes the server's frames. Foundation's JSONSerialization bridges every dictionary to
/// NSDictionary first and was 28% of the server's CPU at 5k commands/s (perf, see
/// docs/benchmarks.md); frames only hold strings, integers, booleans, arrays and objects,
/// which this writes directly (``JSONScanner`` reads clients' numbers as `Int` or `Double`, so
/// an echoed ping timestamp is one of those). Anything else still goes through
/// JSONSerialization.
enum JSONWriter {
    static func write(_ value: Any, into out: inout [UInt8]) {
        switch value {
        case let s as String:
            string(s, into: &out)
        case let object as [String: Any]:
            out.append(UInt8(ascii: "{"))
            var first = true
            for (key, item) in object {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                string(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case let list as [Any]:
            out.append(UInt8(ascii: "["))
            for (i, item) in list.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        default:
            scalar(value, into: &out)
        }
    }

    private static func scalar(_ value: Any, into out: inout [UInt8]) {
        // Exact type checks: a Swift Bool must not print as 1, nor an Int as true.
        let type = Swift.type(of: value)
        if type == Bool.self { out.append(contentsOf: ((value as! Bool) ? "true" : "false").utf8) }
        else if type == Int.self { out.append(contentsOf: String(value as! Int).utf8) }
        else if type == Int64.self { out.append(contentsOf: String(value as! Int64).utf8) }
        else if type == UInt64.self { out.append(contentsOf: String(value as! UInt64).utf8) }
        else if type == Int32.self { out.append(contentsOf: String(value as! Int32).utf8) }
        else if type == UInt32.self { out.append(contentsOf: String(value as! UInt32).utf8) }
        else if type == Double.self, (value as! Double).isFinite { out.append(contentsOf: "\(value as! Double)".utf8) }
        else if value is NSNull { out.append(contentsOf: "null".utf8) }
        else if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .withoutEscapingSlashes]) {
            out.append(contentsOf: data)
        } else {
            out.append(contentsOf: "null".utf8)
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private static func string(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
