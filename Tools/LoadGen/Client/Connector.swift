import ArgumentParser
import BubbleServer
import Foundation
import NIOCore
import NIOPosix
import ToolSupport

/// Options every scenario shares: where the server is, how to sign tokens, client threads,
/// and which loopback addresses to connect from.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Server WebSocket URL.") var url = "ws://127.0.0.1:8080/ws"
    @Option(help: "Data directory of the server: its dev secret signs the tokens, and its log is read to check deliveries.") var data = defaultDataDirectory
    @Option(help: "HS256 secret instead of the dev one in --data.") var secret: String?
    @Option(help: "Client event-loop threads.") var threads = 1
    @Option(help: "Connect from this many loopback source addresses (127.0.0.2, 127.0.0.3, …); 0 lets the kernel pick 127.0.0.1. Each address gives ~28k ports towards one server port.") var addresses = 0
    @Option(help: "Server pid: report its resident memory (from /proc).") var serverPid: Int32?
    @Option(help: "Sockets opened at once while connecting.") var connectConcurrency = 64
    @Flag(help: "Print JSON instead of a table.") var json = false
}

/// Mints tokens with the server's key and opens sockets, many at a time.
struct Connector: Sendable {
    let endpoint: Endpoint
    let group: MultiThreadedEventLoopGroup
    let tokens: TokenVerifier
    let addresses: Int
    let concurrency: Int

    init(_ options: ConnectionOptions) async throws {
        endpoint = try Endpoint(url: options.url)
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, options.threads))
        var auth = AuthConfiguration()
        auth.hmacSecret = try options.secret ?? DevSecret.loadOrCreate(directory: options.data)
        tokens = try await TokenVerifier(auth)
        addresses = options.addresses
        concurrency = max(1, options.connectConcurrency)
    }

    func source(for index: Int) -> String? {
        addresses > 0 ? "127.0.0.\(2 + index % addresses)" : nil
    }

    /// Opens one socket as `user`/`device`; `query` is appended to the path (e.g. `since=42`).
    func open(user: String, device: String, index: Int, query: String? = nil, loop: any EventLoop, sink: any FrameSink) async throws -> WireSocket {
        let token = try await tokens.mint(user: user)
        let path = endpoint.path + (query.map { "?\($0)" } ?? "")
        return try await WireSocket.connect(
            endpoint, path: path, headers: [("Authorization", "Bearer \(token)"), ("DeviceId", device)],
            source: source(for: index), group: loop, sink: sink
        )
    }

    /// Runs `body` for 0..<count with at most `concurrency` at once; the first error wins.
    func forEach(_ count: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(count, concurrency) {
                let i = next
                group.addTask { try await body(i) }
                next += 1
            }
            while try await group.next() != nil, next < count {
                let i = next
                group.addTask { try await body(i) }
                next += 1
            }
            try await group.waitForAll()
        }
    }

    /// Runs `body` with a connector and shuts its threads down afterwards, error or not: a
    /// live event-loop thread would keep the process (and its unflushed output) alive.
    static func with<T>(_ options: ConnectionOptions, _ body: (Connector) async throws -> T) async throws -> T {
        let connector = try await Connector(options)
        do {
            let result = try await body(connector)
            try? await connector.group.shutdownGracefully()
            return result
        } catch {
            try? await connector.group.shutdownGracefully()
            throw error
        }
    }
}

/// Resident memory of a process, from /proc/<pid>/status (VmRSS, kB).
enum ProcessMemory {
    static func residentBytes(pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kb = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
            return kb.map { $0 * 1024 }
        }
        return nil
    }

    static func openFiles(pid: Int32) -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }
}
