/// Appends the log's binary primitives: fixed little-endian integers, LEB128 varints and
/// length-prefixed UTF-8.
public struct ByteWriter {
    public var bytes: [UInt8]

    public init(capacity: Int = 128) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }

    public mutating func u32(_ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func u64(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// A signed value, zigzag-encoded so that small magnitudes of either sign stay short.
    public mutating func signed(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    public mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func optionalString(_ s: String?) {
        if let s {
            u8(1)
            string(s)
        } else {
            u8(0)
        }
    }

    public mutating func strings(_ list: [String]) {
        varint(UInt64(list.count))
        for s in list { string(s) }
    }

    /// Length-prefixed raw bytes (sealed personal data).
    public mutating func blob(_ b: [UInt8]) {
        varint(UInt64(b.count))
        bytes.append(contentsOf: b)
    }

    public mutating func optionalBlob(_ b: [UInt8]?) {
        if let b {
            u8(1)
            blob(b)
        } else {
            u8(0)
        }
    }

    /// A string map in key order, so equal maps encode to equal bytes.
    public mutating func stringMap(_ map: [String: String]) {
        varint(UInt64(map.count))
        for key in map.keys.sorted() {
            string(key)
            string(map[key]!)
        }
    }
}

/// Reads what ``ByteWriter`` wrote, failing (never trapping) on truncated or malformed input.
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    public var offset = 0

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public var isAtEnd: Bool { offset == bytes.count }

    public mutating func u8() throws(DecodeFailure) -> UInt8 {
        guard offset < bytes.count else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func u32() throws(DecodeFailure) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw .truncated }
        defer { offset += 4 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    public mutating func u64() throws(DecodeFailure) -> UInt64 {
        guard offset + 8 <= bytes.count else { throw .truncated }
        defer { offset += 8 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    public mutating func varint() throws(DecodeFailure) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try u8()
            guard shift < 64 else { throw .malformed("varint too long") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    public mutating func signed() throws(DecodeFailure) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    public mutating func string() throws(DecodeFailure) -> String {
        let count = try varint()
        guard count <= UInt64(bytes.count - offset) else { throw .truncated }
        let n = Int(count)
        defer { offset += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]), as: UTF8.self)
    }

    public mutating func optionalString() throws(DecodeFailure) -> String? {
        switch try u8() {
        case 0: return nil
        case 1: return try string()
        case let flag: throw .malformed("optional flag \(flag)")
        }
    }

    public mutating func strings() throws(DecodeFailure) -> [String] {
        let count = try varint()
        // Each string costs at least one byte, which bounds a hostile count.
        guard count <= UInt64(bytes.count - offset) else { throw .truncated }
        var list: [String] = []
        list.reserveCapacity(Int(count))
        for _ in 0..<count { list.append(try string()) }
        return list
    }

    public mutating func blob() throws(DecodeFailure) -> [UInt8] {
        let count = try varint()
        guard count <= UInt64(bytes.count - offset) else { throw .truncated }
        let n = Int(count)
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }

    public mutating func optionalBlob() throws(DecodeFailure) -> [UInt8]? {
        switch try u8() {
        case 0: return nil
        case 1: return try blob()
        case let flag: throw .malformed("optional flag \(flag)")
        }
    }

    public mutating func stringMap() throws(DecodeFailure) -> [String: String] {
        let count = try varint()
        guard count <= UInt64(bytes.count - offset) else { throw .truncated }
        var map: [String: String] = [:]
        for _ in 0..<count {
            let key = try string()
            map[key] = try string()
        }
        return map
    }

    public mutating func skip(_ n: Int) throws(DecodeFailure) {
        guard offset + n <= bytes.count else { throw .truncated }
        offset += n
    }
}

/// Why bytes did not decode; ``LogError`` adds the seq.
public enum DecodeFailure: Error {
    case truncated
    case malformed(String)
}
