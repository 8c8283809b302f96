import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking socket calls on a thread of their own: a blocking `recv` on the
/// cooperative pool (two threads on two cores) starves the in-process server it waits for.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// A WebSocket client that does the handshake by hand and then never reads: the stalled
/// phone on a bad network that the server must not let slow anyone else down.
final class StalledClient: @unchecked Sendable {
    let fd: Int32

    static func open(port: Int, token: String, device: String) async throws -> StalledClient {
        try await offThePool { try StalledClient(port: port, token: token, device: device) }
    }

    /// Connects with a tiny receive buffer and performs the upgrade; returns the status line.
    init(port: Int, token: String, device: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var small: Int32 = 2048
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        try connectLoopback(fd, port: port)
        let request = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Authorization: Bearer \(token)\r\nDeviceId: \(device)\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        // Read just the handshake response; everything after is left unread.
        var response = [UInt8]()
        var byte: UInt8 = 0
        while !response.suffix(4).elementsEqual([13, 10, 13, 10]), recv(fd, &byte, 1, 0) == 1 { response.append(byte) }
        handshake = String(decoding: response, as: UTF8.self)
    }

    private(set) var handshake = ""

    deinit { close(fd) }
}

/// Sends one raw HTTP/1.1 request and reads until the server closes: what a client sees of
/// a refused WebSocket handshake (test HTTP clients give up on `Connection: close` + upgrade).
func rawExchange(port: Int, _ request: String) async throws -> (status: Int, body: String) {
    try await offThePool { try blockingExchange(port: port, request) }
}

private func blockingExchange(port: Int, _ request: String) throws -> (status: Int, body: String) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    try connectLoopback(fd, port: port)
    _ = request.withCString { send(fd, $0, strlen($0), 0) }
    var response = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n <= 0 { break }
        response += buffer.prefix(n)
    }
    let text = String(decoding: response, as: UTF8.self)
    let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
    let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
    return (status, body)
}

func connectLoopback(_ fd: Int32, port: Int) throws {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard rc == 0 else { throw POSIXError(.ECONNREFUSED) }
}

/// A bare TCP connection to the server, for what clients do below HTTP: connect and say
/// nothing, send half a request, idle between requests.
final class RawConnection: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try connectLoopback(fd, port: port)
    }

    func send(_ text: String) { _ = text.withCString { Glibc.send(fd, $0, strlen($0), 0) } }

    /// Reads until the server closes the connection or `within` seconds pass; returns what
    /// was read and whether the server closed it.
    func readUntilClosed(within seconds: Int) async throws -> (text: String, closed: Bool) {
        try await offThePool { self.blockingRead(within: seconds) }
    }

    private func blockingRead(within seconds: Int) -> (text: String, closed: Bool) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return (String(decoding: received, as: UTF8.self), true) }
            if n < 0 { return (String(decoding: received, as: UTF8.self), errno == ECONNRESET) }
            received += buffer.prefix(n)
        }
    }

    deinit { close(fd) }
}
