import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// Many idle sockets: what each costs the server in resident memory.
struct IdleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle",
        abstract: "Open many idle connections (from several loopback addresses) and report server RSS per connection."
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Connections to open.") var connections = 1000
    @Option(help: "Devices per user (the server allows 20 connections per user by default).") var devicesPerUser = 10
    @Option(help: "Seconds to hold them open after the last has connected.") var hold = 5.0

    func run() async throws {
        guard let pid = connection.serverPid else { throw ValidationError("--server-pid is needed to read the server's memory") }
        try await Connector.with(connection) { connector in try await run(connector, pid: pid) }
    }

    func run(_ connector: Connector, pid: Int32) async throws {
        let run = "I\(UInt32.random(in: 0...UInt32.max))"
        let fleet = (0..<connections).map { i in
            LoadDevice(user: "\(run)-u\(i / devicesPerUser)", device: "d\(i % devicesPerUser)", loop: connector.group.next())
        }
        func settledRSS() async throws -> Int {
            try await Task.sleep(for: .seconds(1.5))
            return ProcessMemory.residentBytes(pid: pid) ?? 0
        }
        let rss0 = try await settledRSS()
        let half = connections / 2
        let t0 = Clock.now()
        try await connector.forEach(half) { i in try await Self.open(fleet[i], i, connector) }
        let rssHalf = try await settledRSS()
        try await connector.forEach(connections - half) { j in try await Self.open(fleet[half + j], half + j, connector) }
        let connectSeconds = Double(Clock.now() - t0) / 1e9 - 1.5
        let rss1 = try await settledRSS()
        try await Task.sleep(for: .seconds(hold))
        var open = 0
        for d in fleet where !(try await d.onLoop { d.isClosed }) { open += 1 }
        let rss2 = ProcessMemory.residentBytes(pid: pid) ?? 0

        var report = Report(title: "bubble-load idle: \(connections) connections from \(max(1, connection.addresses)) source address(es)")
        report.add("connections open after hold", Double(open), unit: "")
        report.add("connect rate", Double(connections) / connectSeconds, unit: "/s")
        report.add("server RSS, before", Double(rss0) / 1_048_576, unit: "MiB")
        report.add("server RSS, all connected", Double(rss1) / 1_048_576, unit: "MiB", note: String(format: "%.1f MiB after %.0f s idle", Double(rss2) / 1_048_576, hold))
        report.add("server RSS per connection", Double(rss1 - rss0) / Double(connections) / 1024, unit: "KiB", note: "(all connected − before) / connections")
        report.add("server RSS per connection, marginal", Double(rss1 - rssHalf) / Double(connections - half) / 1024, unit: "KiB", note: "second half only: without start-up allocations")
        if let fds = ProcessMemory.openFiles(pid: pid) { report.add("server open files", Double(fds), unit: "") }
        report.print(json: connection.json)
        try await connector.forEach(fleet.count) { i in await fleet[i].socket?.close() }
        if open != connections { throw ExitCode(1) }
    }

    static func open(_ d: LoadDevice, _ i: Int, _ connector: Connector) async throws {
        d.socket = try await connector.open(user: d.userID, device: d.deviceID, index: i, loop: d.loop, sink: d)
        try await d.initialState.get()
    }
}
