import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// The main load: N users × M devices, a share graph, a command rate (or as fast as acks
/// allow) for a fixed time; then every recipient's frames are checked against the log.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Users × devices sending commands on shared timers; ack and delivery latency, frames/s, exactly-once check."
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Users.") var users = 10
    @Option(help: "Connected devices per user (device 0 of each sending user sends).") var devices = 2
    @Option(help: "Share graph: pairs, group:K, one (user 0's timer shared with everyone), none.") var graph = "group:5"
    @Option(help: "Commands/s over all senders; 0 sends as fast as results come back.") var rate = 0.0
    @Option(help: "Commands in flight per sender when --rate is 0.") var window = 1
    @Option(help: "Seconds of load.") var duration = 10.0
    @Option(help: "Command mix: mixed (updates, share remove/add, stop and recreate) or update.") var mix = "mixed"
    @Option(help: "Seconds to wait for the last frames after the last result.") var drain = 10.0

    func run() async throws {
        guard let graph = ShareGraph(graph) else { throw ValidationError("--graph: pairs, group:K, one or none") }
        guard mix == "mixed" || mix == "update" else { throw ValidationError("--mix: mixed or update") }
        try await Connector.with(connection) { connector in try await run(connector, graph: graph) }
    }

    func run(_ connector: Connector, graph: ShareGraph) async throws {
        let run = "L\(UInt32.random(in: 0...UInt32.max))"
        let userIDs = (0..<users).map { "\(run)-u\($0)" }
        let rssBefore = connection.serverPid.flatMap(ProcessMemory.residentBytes)

        // Connect every device and wait for its snapshot.
        let fleet = (0..<users * devices).map { i in
            LoadDevice(user: userIDs[i / devices], device: "d\(i % devices)", loop: connector.group.next())
        }
        let connectStart = Clock.now()
        try await connector.forEach(fleet.count) { i in
            let d = fleet[i]
            d.socket = try await connector.open(user: d.userID, device: d.deviceID, index: i, loop: d.loop, sink: d)
            try await d.initialState.get()
        }
        let connectSeconds = Double(Clock.now() - connectStart) / 1e9
        status("connected \(fleet.count) sockets in \(String(format: "%.2f", connectSeconds)) s")

        // Each sender creates its timer, shared per the graph; the run starts after the last.
        let senders = graph.senders(users: users).map { u in fleet[u * devices] }
        var startSeq: UInt64 = 0
        for (n, u) in graph.senders(users: users).enumerated() {
            let plan = SenderPlan(owner: userIDs[u], members: graph.members(of: u, users: users).map { userIDs[$0] },
                                  timerPrefix: "\(run)-t\(u)", mixed: mix == "mixed")
            let sender = senders[n]
            try await sender.onLoop { sender.plan = plan }
            startSeq = max(startSeq, try await sender.request { plan.create(requestID: $0) }.get())
        }
        for d in fleet { let s = startSeq; try await d.onLoop { d.countAfter = s } }
        // Let the setup's broadcasts drain so they are not measured as load.
        var seen = -1
        try await waitUntil(seconds: 60, "the setup's frames") {
            var total = 0
            for d in fleet { total += try await d.onLoop { d.broadcasts } }
            defer { seen = total }
            try await Task.sleep(for: .milliseconds(200))
            return total == seen
        }

        // Load.
        let t0 = Clock.now()
        let perSender = rate > 0 ? rate / Double(senders.count) : nil
        for (i, s) in senders.enumerated() {
            let phase = Double(i) / Double(senders.count)
            try await s.onLoop { s.start(rate: perSender, window: max(1, window), at: t0, phase: phase) }
        }
        try await Task.sleep(for: .seconds(duration))
        for s in senders { try await s.onLoop { s.stop() } }
        let stopped = Clock.now()
        try await waitUntil(seconds: 30, "results of the commands in flight") {
            var n = 0
            for s in senders { n += try await s.onLoop { s.inflightCount } }
            return n == 0 || senders.allSatisfy(\.isClosed)
        }

        // What each device should have received, from the log.
        var acked: [(seq: UInt64, sentAt: UInt64)] = []
        var ackLatencies: [UInt64] = []
        var lastAck: UInt64 = t0
        for s in senders {
            let (a, l, last) = try await s.onLoop { (s.acked, s.ackLatencies, s.lastAckAt) }
            acked += a
            ackLatencies += l
            lastAck = max(lastAck, last)
        }
        let endSeq = acked.map(\.seq).max() ?? startSeq
        let expected = try DeliveryCheck.expected(data: connection.data, after: startSeq, through: endSeq, devices: fleet)
        try await waitUntil(seconds: drain, "frames still expected") {
            for d in fleet where (try await d.onLoop { d.seqs.count }) < expected[d.key, default: []].count { return false }
            return true
        }
        try await Task.sleep(for: .milliseconds(200))  // a late duplicate would show up here

        var check = DeliveryCheck()
        var errors: [String: Int] = [:]
        var delivery: [UInt64] = []
        var lastFrame: UInt64 = t0
        let sentAt = Dictionary(acked.map { ($0.seq, $0.sentAt) }, uniquingKeysWith: { a, _ in a })
        for d in fleet {
            let (seqs, arrivals, disorder, errs) = try await d.onLoop { (d.seqs, d.arrivals, d.outOfOrder, d.errors) }
            check.compare(device: d.key, received: seqs, expected: expected[d.key, default: []], outOfOrder: disorder)
            errors.merge(errs, uniquingKeysWith: +)
            for (seq, at) in zip(seqs, arrivals) {
                if let sent = sentAt[seq] { delivery.append(at &- sent) }
                lastFrame = max(lastFrame, at)
            }
        }
        let rssAfter = connection.serverPid.flatMap(ProcessMemory.residentBytes)
        for d in fleet { await d.socket?.close() }

        let sendSeconds = Double(max(lastAck, stopped) - t0) / 1e9
        var report = Report(title: "bubble-load run: \(users) users × \(devices) devices, graph \(graph), \(senders.count) senders, \(rate > 0 ? "\(Int(rate)) commands/s" : "max rate, window \(window)"), \(mix), \(duration) s")
        report.add("sockets", Double(fleet.count), unit: "")
        report.add("commands acknowledged", Double(ackLatencies.count), unit: "")
        report.add("acknowledged commands/s", Double(ackLatencies.count) / sendSeconds, unit: "/s")
        report.latency("ack (send → durable result)", ackLatencies)
        report.latency("delivery (send → frame on each recipient device)", delivery)
        report.add("frames received", Double(check.received), unit: "")
        report.add("frames expected (from the log)", Double(check.expected), unit: "")
        report.add("frames/s received", Double(check.received) / (Double(lastFrame - t0) / 1e9), unit: "/s")
        report.add("recipient devices per command", acked.isEmpty ? 0 : Double(check.expected) / Double(acked.count), unit: "")
        report.add("missing frames", Double(check.missing), unit: "")
        report.add("unexpected frames", Double(check.unexpected), unit: "")
        report.add("duplicate or out-of-order frames", Double(check.outOfOrder), unit: "")
        report.errors = errors
        if let rssBefore, let rssAfter {
            report.add("server RSS before / after", Double(rssAfter) / 1_048_576, unit: "MiB", note: String(format: "before %.1f MiB", Double(rssBefore) / 1_048_576))
        }
        report.print(json: connection.json)
        for sample in check.samples { status(sample) }
        if !check.passed || ackLatencies.isEmpty { throw ExitCode(1) }
    }
}

func status(_ text: String) {
    FileHandle.standardError.write(Data("… \(text)\n".utf8))
}

func waitUntil(seconds: Double, _ what: String, _ condition: () async throws -> Bool) async throws {
    let deadline = Clock.now() + UInt64(seconds * 1e9)
    while try await !condition() {
        guard Clock.now() < deadline else {
            status("gave up waiting for \(what) after \(seconds) s")
            return
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}
