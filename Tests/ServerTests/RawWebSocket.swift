import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A WebSocket client that writes frames byte by byte, for what a well-behaved library never
/// sends: unmasked frames, broken UTF-8, stray continuations, odd close codes.
final class RawWebSocket: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []

    struct Frame {
        var opcode: UInt8
        var payload: [UInt8]
        var closeCode: UInt16? {
            guard opcode == 0x8, payload.count >= 2 else { return nil }
            return UInt16(payload[0]) << 8 | UInt16(payload[1])
        }
        var text: String { String(decoding: payload, as: UTF8.self) }
    }

    static func open(port: Int, token: String, device: String) async throws -> RawWebSocket {
        try await offThePool { try RawWebSocket(port: port, token: token, device: device) }
    }

    init(port: Int, token: String, device: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        try connectLoopback(fd, port: port)
        let request = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Authorization: Bearer \(token)\r\nDeviceId: \(device)\r\n\r\n"
        _ = request.withCString { Glibc.send(fd, $0, strlen($0), 0) }
        var response = [UInt8]()
        var byte: UInt8 = 0
        while !response.suffix(4).elementsEqual([13, 10, 13, 10]), recv(fd, &byte, 1, 0) == 1 { response.append(byte) }
        guard String(decoding: response, as: UTF8.self).hasPrefix("HTTP/1.1 101") else { throw POSIXError(.EPROTO) }
    }

    /// Sends one frame; `masked: false` breaks RFC 6455 5.1 on purpose.
    func send(opcode: UInt8, _ payload: [UInt8], fin: Bool = true, masked: Bool = true, rsv1: Bool = false) {
        var out: [UInt8] = [(fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode]
        let maskBit: UInt8 = masked ? 0x80 : 0
        if payload.count < 126 {
            out.append(maskBit | UInt8(payload.count))
        } else {
            out.append(maskBit | 126)
            out += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        if masked {
            out += key
            out += payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
        } else {
            out += payload
        }
        _ = out.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
    }

    func sendText(_ text: String, fin: Bool = true) { send(opcode: 0x1, Array(text.utf8), fin: fin) }

    /// The next frame from the server, or `nil` once it closed the connection.
    func next() async throws -> Frame? {
        try await offThePool { self.blockingNext() }
    }

    /// Reads frames until the server's close frame; returns it (nil if the TCP connection
    /// ended without one) and the text frames before it.
    func untilClose() async throws -> (close: Frame?, texts: [String]) {
        var texts: [String] = []
        while let frame = try await next() {
            if frame.opcode == 0x8 { return (frame, texts) }
            if frame.opcode == 0x1 { texts.append(frame.text) }
        }
        return (nil, texts)
    }

    private func blockingNext() -> Frame? {
        func fill(_ n: Int) -> Bool {
            var chunk = [UInt8](repeating: 0, count: 65536)
            while buffer.count < n {
                let got = recv(fd, &chunk, chunk.count, 0)
                if got <= 0 { return false }
                buffer += chunk.prefix(got)
            }
            return true
        }
        guard fill(2) else { return nil }
        var length = Int(buffer[1] & 0x7F)
        var header = 2
        if length == 126 {
            guard fill(4) else { return nil }
            length = Int(buffer[2]) << 8 | Int(buffer[3])
            header = 4
        } else if length == 127 {
            guard fill(10) else { return nil }
            length = (2..<10).reduce(0) { $0 << 8 | Int(buffer[$1]) }
            header = 10
        }
        guard fill(header + length) else { return nil }
        let frame = Frame(opcode: buffer[0] & 0x0F, payload: Array(buffer[header..<(header + length)]))
        buffer.removeFirst(header + length)
        return frame
    }

    deinit { close(fd) }
}
