import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// Reconnect after missing events: how long until the last missed event has arrived.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Disconnect a device, commit N events it should hear of, reconnect with ?since= and time the catch-up."
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Events missed per round.") var events = 1000
    @Option(help: "Rounds (each one reconnect).") var rounds = 100
    @Option(help: "Commands in flight while writing the missed events.") var window = 16

    func run() async throws {
        try await Connector.with(connection) { connector in try await run(connector) }
    }

    func run(_ connector: Connector) async throws {
        let user = "R\(UInt32.random(in: 0...UInt32.max))"
        let writer = LoadDevice(user: user, device: "writer", loop: connector.group.next())
        writer.socket = try await connector.open(user: user, device: "writer", index: 0, loop: writer.loop, sink: writer)
        try await writer.initialState.get()
        let plan = SenderPlan(owner: user, members: [], timerPrefix: "\(user)-t", mixed: false)
        try await writer.onLoop { writer.plan = plan }
        _ = try await writer.request { plan.create(requestID: $0) }.get()

        var reader = LoadDevice(user: user, device: "reader", loop: connector.group.next())
        reader.socket = try await connector.open(user: user, device: "reader", index: 1, loop: reader.loop, sink: reader)
        try await reader.initialState.get()
        let first = reader
        var since = try await first.onLoop { first.initialSeq } ?? 0

        var times: [UInt64] = []
        var failures: [String] = []
        for round in 0..<rounds {
            await reader.socket?.close()
            let target = (round + 1) * events
            try await writer.onLoop { writer.limit = target; writer.start(rate: nil, window: max(1, window), at: Clock.now()) }
            try await waitUntil(seconds: 60, "the missed events' results") {
                try await writer.onLoop { writer.ackedRequests.count >= target || writer.isClosed }
            }

            reader = LoadDevice(user: user, device: "reader", loop: connector.group.next())
            let r = reader
            let after = since
            try await r.onLoop { r.countAfter = after }
            let t0 = Clock.now()
            r.socket = try await connector.open(user: user, device: "reader", index: round % 7, query: "since=\(since)", loop: r.loop, sink: r)
            try await r.initialState.get()
            let (readyAt, seqs, disorder, resumed) = try await r.onLoop { (r.readyAt, r.seqs, r.outOfOrder, r.resumed) }
            times.append(readyAt - t0)
            if seqs.count != events || disorder != 0 || resumed?.count != events {
                failures.append("round \(round): \(seqs.count) frames (\(disorder) out of order), resumed count \(resumed.map { String($0.count) } ?? "none"), wanted \(events)")
            }
            since = resumed?.seq ?? seqs.last ?? since
        }
        await reader.socket?.close()
        await writer.socket?.close()

        var report = Report(title: "bubble-load resume: \(rounds) reconnects, \(events) missed events each")
        report.latency("reconnect → last missed event and `resumed` received", times)
        report.add("rounds with a gap, duplicate or wrong count", Double(failures.count), unit: "")
        report.print(json: connection.json)
        for f in failures.prefix(5) { status(f) }
        if !failures.isEmpty { throw ExitCode(1) }
    }
}
