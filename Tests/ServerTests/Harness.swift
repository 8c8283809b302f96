import NIOWebSocket
import NIOSSL
import HTTPTypes
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import Testing
import TestSupport
@testable import BubbleServer

/// A live server on a free port over a temporary data directory, with real sockets.
struct Harness {
    let port: Int
    let server: BubbleServer
    let client: any TestClientProtocol

    static func run(
        directory: TemporaryDirectory = TemporaryDirectory("server"), logs: LogCapture? = nil,
        configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: @Sendable (Harness) async throws -> Void
    ) async throws {
        var config = ServerConfiguration()
        config.dataDirectory = directory.path
        config.port = 0
        config.auth.hmacSecret = "test-secret-test-secret-test-secret-0123"
        // The test client keeps one connection for the whole test, idle for long stretches;
        // the tests of these timeouts set their own.
        config.headerTimeout = 600
        config.idleTimeout = 600
        // The relay suites' fixtures end in 2025: a scheduler would complete them at once and
        // add events between the ones they count. The suites about time turn it on.
        config.scheduler = false
        configure(&config)
        var logger = logs?.logger() ?? Logger(label: "test-server")
        if logs == nil { logger.logLevel = .warning }
        let server = try await BubbleServer(configuration: config, logger: logger)
        try await server.application(logger: logger).test(.live) { client in
            try await body(Harness(port: client.port!, server: server, client: client))
        }
    }

    func token(_ user: String) async throws -> String { try await server.tokens.mint(user: user) }

    /// The log's last seq, from the server's own store: a refused request leaves it as it was.
    func head() throws -> UInt64 {
        let store = server.state.store
        return try store.read { try store.log.head($0).seq }
    }

    /// The reason recorded for a device's last disconnect, if its last connection event is a
    /// disconnect; read from the server's own store (one LMDB environment per process).
    func disconnectReason(user: String, device: String) throws -> String? {
        let store = server.state.store
        return try store.read { txn in
            var reason: String?
            try store.log.history(of: .user(user), txn) { e in
                switch e.event {
                case .deviceConnected(_, let d, _, _) where d == device: reason = nil
                case .deviceDisconnected(_, let d, _, let r) where d == device: reason = r
                default: break
                }
                return true
            }
            return reason
        }
    }

    /// Opens a socket as `user` on `device`; waits for the initial state frame.
    func socket(_ user: String, device: String, android: Bool = false, query: String = "", waitForInitialState: Bool = true) async throws -> TestSocket {
        var headers = HTTPFields()
        let token = try await token(user)
        headers[.authorization] = android ? token : "Bearer \(token)"
        headers[HTTPField.Name("DeviceId")!] = device
        if android { headers[.userAgent] = "BubbleTimer-Android/1.0" }
        let socket = TestSocket()
        try await socket.connect(url: "ws://127.0.0.1:\(port)/ws\(query)", headers: headers)
        // A resuming client gets missed events and `resumed` instead; the test reads those.
        if !query.contains("since="), waitForInitialState {
            _ = try await socket.next(ofType(android ? "activeTimerList" : "snapshot"))
        }
        return socket
    }

    func rest(_ method: HTTPRequest.Method, _ path: String, as user: String, body: String? = nil) async throws -> (status: HTTPResponse.Status, json: Any?) {
        try await rest(method, path, token: try await token(user), body: body)
    }

    /// A call with a given token (one carrying `email` or `name` claims, say).
    func rest(_ method: HTTPRequest.Method, _ path: String, token: String, body: String? = nil, headers extra: HTTPFields = [:]) async throws -> (status: HTTPResponse.Status, json: Any?) {
        var headers = extra
        headers[.authorization] = "Bearer \(token)"
        return try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            (response.status, try? JSONSerialization.jsonObject(with: Data(buffer: response.body)))
        }
    }
}

/// A real WebSocket client whose received frames are collected for assertions.
final class TestSocket: @unchecked Sendable {
    private let lock = NSLock()
    private var frames: [String] = []
    private var errorFrames = 0
    private var closed = false
    private var outgoing: AsyncStream<String>.Continuation!
    private var task: Task<Void, any Error>?
    private(set) var closeCode: Int?

    func connect(url: String, headers: HTTPFields, tls: TLSConfiguration? = nil) async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        outgoing = continuation
        let ready = AsyncStream.makeStream(of: Result<Void, any Error>.self)
        task = Task {
            do {
                let close = try await WebSocketClient.connect(
                    url: .init(url), configuration: .init(maxFrameSize: 1 << 20, additionalHeaders: headers), tlsConfiguration: tls, logger: Logger(label: "test-client")
                ) { inbound, outbound, _ in
                    ready.continuation.yield(.success(()))
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await text in stream { try await outbound.write(.text(text)) }
                            try await outbound.close(.normalClosure, reason: nil)
                        }
                        group.addTask {
                            for try await message in inbound.messages(maxSize: 1 << 20) {
                                if case .text(let text) = message {
                                    let isError = text.contains("\"type\":\"error\"")
                                    self.lock.withLock {
                                        self.frames.append(text)
                                        if isError { self.errorFrames += 1 }
                                    }
                                }
                            }
                        }
                        try await group.next()
                        group.cancelAll()
                    }
                }
                self.lock.withLock { self.closeCode = close.map { Int(UInt16(webSocketErrorCode: $0.closeCode)) } }
            } catch {
                ready.continuation.yield(.failure(error))
            }
            self.lock.withLock { self.closed = true }
            ready.continuation.finish()
        }
        for await result in ready.stream {
            try result.get()
            return
        }
        throw CancellationError()
    }

    func send(_ object: [String: Any]) {
        outgoing.yield(String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self))
    }

    func sendRaw(_ text: String) { outgoing.yield(text) }

    /// The code the server closed the socket with, waiting up to `timeout` seconds for it;
    /// `nil` while it is still open.
    func closedCode(timeout: Double = 2) async throws -> Int? {
        for _ in 0..<Int(timeout * 50) where closeCode == nil { try await Task.sleep(for: .milliseconds(20)) }
        return closeCode
    }

    func close() async {
        outgoing.finish()
        _ = try? await task?.value
    }

    var isClosed: Bool { lock.withLock { closed } }

    /// The first received frame matching `match`, removed from the buffer; fails after `timeout`.
    func next(timeout: Double = 5, sourceLocation: SourceLocation = #_sourceLocation, _ match: @escaping ([String: Any]) -> Bool = { _ in true }) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let found: [String: Any]? = lock.withLock {
                for (i, text) in frames.enumerated() {
                    if let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any], match(object) {
                        frames.remove(at: i)
                        return object
                    }
                }
                return nil
            }
            if let found { return found }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("no matching frame within \(timeout)s; received: \(lock.withLock { frames })", sourceLocation: sourceLocation)
        throw CancellationError()
    }

    /// The first raw frame containing `needle`, waiting up to `timeout` seconds.
    func waitForRawFrame(containing needle: String, timeout: Double = 5) async throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let hit = lock.withLock({ frames.first { $0.contains(needle) } }) { return hit }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// Waits until `count` error frames have arrived (or `timeout`); returns how many did.
    func waitForErrors(_ count: Int, timeout: Double) async throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let seen = lock.withLock { errorFrames }
            if seen >= count { return seen }
            try await Task.sleep(for: .milliseconds(50))
        }
        return lock.withLock { errorFrames }
    }

    /// Every frame received and not yet taken by ``next(timeout:sourceLocation:_:)``.
    var rawFrames: [String] { lock.withLock { frames } }

    func countFrames(_ match: (String) -> Bool) -> Int { lock.withLock { frames.filter(match).count } }

    /// Asserts that no frame matching `match` arrives within `within` seconds.
    func expectNone(within: Double = 0.4, sourceLocation: SourceLocation = #_sourceLocation, _ match: @escaping ([String: Any]) -> Bool) async throws {
        try await Task.sleep(for: .milliseconds(Int(within * 1000)))
        let hits = lock.withLock { frames.filter { ((try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]).map(match) ?? false } }
        #expect(hits.isEmpty, "unexpected frames: \(hits)", sourceLocation: sourceLocation)
    }
}

func isTimerFrame(_ id: String) -> ([String: Any]) -> Bool {
    { f in ((f["timer"] as? [String: Any])?["id"] as? String) == id || f["timerId"] as? String == id }
}

/// Matches the result or error frame answering `requestID`. (Built in a function: closure
/// literals of the same shape with different string literals were seen to misbehave inline.)
func reply(_ requestID: String) -> ([String: Any]) -> Bool {
    { $0["requestId"] as? String == requestID }
}

func ofType(_ type: String) -> ([String: Any]) -> Bool {
    { $0["type"] as? String == type }
}

extension ServerConfiguration {
    /// Load and fuzz tests measure other limits; the message rate must not be the one that bites.
    mutating func removeRateLimits() {
        messagesPerSecond = 10_000_000
        messageBurst = 10_000_000
    }
}
