import ArgumentParser
import BubbleServer
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import ToolSupport
import NIOWebSocket

/// A first load generator over real WebSockets: one sender updates a timer shared with every
/// other user as fast as acks allow; every other device counts what it receives. Reports
/// ack latency (send → durable result) and delivered frames/s. (The performance issue grows
/// this into the full tool: share graphs, rates, many senders, delivery latency.)
@main
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bubble-load", abstract: "Drive a running server over WebSockets and measure acks and fan-out.")

    @Option(help: "Server WebSocket URL.") var url = "ws://127.0.0.1:8080/ws"
    @Option(help: "Data directory of the server (its dev secret signs the tokens).") var data = defaultDataDirectory
    @Option(help: "HS256 secret instead of the dev one.") var secret: String?
    @Option(help: "Users (the first sends).") var users = 4
    @Option(help: "Devices per user.") var devices = 2
    @Option(help: "Commands to send.") var commands = 2000
    @Flag(help: "JSON output.") var json = false
    @Option(help: "Crash-test mode: append every acknowledged requestId to this file, one per line, and stop quietly when the server goes away.") var ackedFile: String?
    @Option(help: "Prefix of request ids (crash test: one per cycle).") var idPrefix = "load"
    @Option(help: "Concurrent senders in crash-test mode.") var senders = 8

    func run() async throws {
        if let ackedFile { return try await crashLoad(ackedFile: ackedFile) }
        var auth = AuthConfiguration()
        auth.hmacSecret = try secret ?? DevSecret.loadOrCreate(directory: data)
        let tokens = try await TokenVerifier(auth)
        let run = "load-\(UInt32.random(in: 0...UInt32.max))"
        var sockets: [LoadSocket] = []
        for u in 0..<users {
            for d in 0..<devices {
                let socket = LoadSocket()
                try await socket.connect(url: url, token: try await tokens.mint(user: "\(run)-u\(u)"), device: "d\(d)")
                sockets.append(socket)
            }
        }
        let sender = sockets[0]
        let audience = (1..<users).map { "\(run)-u\($0)" }
        let timerID = "\(run)-timer"
        _ = try await sender.request(["type": "timer", "action": "update", "timer": ["id": timerID, "name": "Load", "totalDuration": "PT1H"], "shareWith": audience])
        try await Task.sleep(for: .milliseconds(200))
        for s in sockets { s.resetCount() }

        var latencies: [Double] = []
        latencies.reserveCapacity(commands)
        let started = Date()
        for i in 0..<commands {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try await sender.request(["type": "timer", "action": "update", "timer": ["id": timerID, "name": "Load", "totalDuration": "PT\(i + 1)S"]])
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        let sendSeconds = Date().timeIntervalSince(started)
        let expected = commands * (users * devices - 1)
        let deadline = Date().addingTimeInterval(10)
        while sockets.map(\.received).reduce(0, +) < expected, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let deliverSeconds = Date().timeIntervalSince(started)
        let received = sockets.map(\.received).reduce(0, +)
        latencies.sort()
        func p(_ q: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * q))] }
        let report: [String: Any] = [
            "commands": commands, "ackedPerSecond": Double(commands) / sendSeconds,
            "ackMs": ["p50": p(0.5), "p90": p(0.9), "p99": p(0.99), "max": latencies.last ?? 0],
            "framesExpected": expected, "framesReceived": received, "framesPerSecond": Double(received) / deliverSeconds,
            "recipientsPerEvent": users * devices - 1,
        ]
        if json { JSONOutput.print(report) } else {
            print(String(format: "%d commands acked at %.0f/s; ack ms p50 %.2f p90 %.2f p99 %.2f max %.2f", commands, Double(commands) / sendSeconds, p(0.5), p(0.9), p(0.99), latencies.last ?? 0))
            print(String(format: "frames received %d of %d (%d recipient devices per event) at %.0f frames/s", received, expected, users * devices - 1, Double(received) / deliverSeconds))
        }
        for s in sockets { await s.close() }
        if received != expected { throw ExitCode(1) }
    }
}

extension LoadCommand {
    /// Sends commands from several senders until the server dies, recording each durable
    /// acknowledgement as it arrives. The crash test then checks every one is in the log.
    func crashLoad(ackedFile: String) async throws {
        var auth = AuthConfiguration()
        auth.hmacSecret = try secret ?? DevSecret.loadOrCreate(directory: data)
        let tokens = try await TokenVerifier(auth)
        _ = FileManager.default.createFile(atPath: ackedFile, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: ackedFile))
        let writeLock = NSLock()
        await withTaskGroup(of: Void.self) { group in
            for s in 0..<senders {
                group.addTask {
                    let socket = LoadSocket()
                    do {
                        try await socket.connect(url: url, token: try await tokens.mint(user: "crash-u\(s)"), device: "d0")
                        for n in 0..<commands {
                            let id = "\(idPrefix)-s\(s)-\(n)"
                            try await socket.request(["type": "timer", "action": "update", "timer": ["id": "crash-t\(s)", "name": "n\(n)", "totalDuration": "PT\(n + 1)S"]], id: id)
                            writeLock.withLock { out.write(Data((id + "\n").utf8)) }
                        }
                    } catch {}
                    await socket.close()
                }
            }
        }
        try out.synchronize()
    }
}

/// One client socket: answers requests by id, counts broadcast frames.
final class LoadSocket: @unchecked Sendable {
    private let lock = NSLock()
    private var waiting: [String: CheckedContinuation<Void, any Error>] = [:]
    private var count = 0
    private var next = 0
    private var closed = false
    private var outgoing: AsyncStream<String>.Continuation!
    private var task: Task<Void, any Error>?

    var received: Int { lock.withLock { count } }
    func resetCount() { lock.withLock { count = 0 } }

    func connect(url: String, token: String, device: String) async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        outgoing = continuation
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(token)"
        headers[HTTPField.Name("DeviceId")!] = device
        let ready = AsyncStream.makeStream(of: Result<Void, any Error>.self)
        task = Task {
            do {
                _ = try await WebSocketClient.connect(url: .init(url), configuration: .init(maxFrameSize: 1 << 20, additionalHeaders: headers), logger: Logger(label: "load")) { inbound, outbound, _ in
                    ready.continuation.yield(.success(()))
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await text in stream { try await outbound.write(.text(text)) }
                            try await outbound.close(.normalClosure, reason: nil)
                        }
                        group.addTask {
                            for try await message in inbound.messages(maxSize: 1 << 20) {
                                guard case .text(let text) = message else { continue }
                                self.handle(text)
                            }
                        }
                        try await group.next()
                        group.cancelAll()
                    }
                }
            } catch { ready.continuation.yield(.failure(error)) }
            // The socket is gone: nobody waiting will get an answer.
            let orphans: [CheckedContinuation<Void, any Error>] = self.lock.withLock {
                self.closed = true
                defer { self.waiting.removeAll() }
                return Array(self.waiting.values)
            }
            for waiter in orphans { waiter.resume(throwing: CancellationError()) }
            ready.continuation.finish()
        }
        for await result in ready.stream { return try result.get() }
    }

    private func handle(_ text: String) {
        guard let frame = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return }
        if let id = frame["requestId"] as? String {
            let waiter = lock.withLock { waiting.removeValue(forKey: id) }
            if frame["type"] as? String == "error" { waiter?.resume(throwing: CancellationError()) } else { waiter?.resume() }
        } else if frame["seq"] != nil {
            lock.withLock { count += 1 }
        }
    }

    /// Sends a command and waits for its result frame; fails if the socket goes away first.
    func request(_ command: [String: Any], id given: String? = nil) async throws {
        let id: String = given ?? lock.withLock { next += 1; return "q\(next)" }
        var frame = command
        frame["requestId"] = id
        let text = String(decoding: try JSONSerialization.data(withJSONObject: frame), as: UTF8.self)
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let open: Bool = lock.withLock {
                guard !closed else { return false }
                waiting[id] = c
                return true
            }
            if open { outgoing.yield(text) } else { c.resume(throwing: CancellationError()) }
        }
    }

    func close() async {
        outgoing.finish()
        _ = try? await task?.value
    }
}
