import NIOCore

/// Reads the few fields the load generator needs straight from a frame's bytes, without a
/// JSON parse: at hundreds of thousands of frames a second on a shared core, parsing every
/// frame would measure the client, not the server. Relies only on the server writing
/// compact JSON (`"key":value`), which any JSON writer without pretty-printing does.
struct FrameFields {
    let bytes: [UInt8]

    init(_ buffer: ByteBuffer) { bytes = Array(buffer.readableBytesView) }
    init(_ text: String) { bytes = Array(text.utf8) }

    /// `"type":"<value>"`.
    var type: Substring? { string("\"type\":\"") }
    var requestID: Substring? { string("\"requestId\":\"") }
    var seq: UInt64? { integer("\"seq\":") }

    func has(_ literal: String) -> Bool { find(Array(literal.utf8)) != nil }

    func string(_ prefix: String) -> Substring? {
        guard let start = find(Array(prefix.utf8)) else { return nil }
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\"") { end += 1 }
        return Substring(decoding: bytes[start..<end], as: UTF8.self)
    }

    func integer(_ prefix: String) -> UInt64? {
        guard var i = find(Array(prefix.utf8)) else { return nil }
        var value: UInt64 = 0
        var digits = 0
        while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
            value = value * 10 + UInt64(bytes[i] - UInt8(ascii: "0"))
            i += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    /// Index just past the first occurrence of `needle`.
    private func find(_ needle: [UInt8]) -> Int? {
        guard !needle.isEmpty, bytes.count >= needle.count else { return nil }
        let first = needle[0]
        var i = 0
        let last = bytes.count - needle.count
        outer: while i <= last {
            if bytes[i] == first {
                for j in 1..<needle.count where bytes[i + j] != needle[j] { i += 1; continue outer }
                return i + needle.count
            }
            i += 1
        }
        return nil
    }
}
