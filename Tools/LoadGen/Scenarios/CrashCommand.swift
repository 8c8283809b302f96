import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// The load side of Tools/scripts/crash-test.sh: senders update their timers until the
/// server is killed; a watcher device per sender resumes from where the previous cycle's
/// watcher stopped. Afterwards it writes what was acknowledged and what each watcher saw, for
/// the script to check against the log.
struct CrashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash",
        abstract: "Crash-test load: send until the server goes away, then write acknowledged request ids and watcher frames."
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Append every acknowledged requestId here, one per line.") var ackedFile: String
    @Option(help: "Prefix of request ids (one per cycle).") var idPrefix = "c"
    @Option(help: "Concurrent senders (users crash-u0…).") var senders = 8
    @Option(help: "Directory for the watchers' resume points (since-sN) and what they saw this cycle (seen-sN.txt).") var watchDir: String
    @Option(help: "Give up after this many seconds even if the server is still up.") var limit = 600.0

    func run() async throws {
        try await Connector.with(connection) { connector in try await run(connector) }
    }

    func run(_ connector: Connector) async throws {
        try FileManager.default.createDirectory(atPath: watchDir, withIntermediateDirectories: true)
        var watchers: [LoadDevice] = []
        var resumedFrom: [UInt64?] = []
        var sending: [LoadDevice] = []
        // The kill can land while sockets are still connecting: that is the test, not a failure.
        do {
            for s in 0..<senders {
                let user = "crash-u\(s)"
                let since = (try? String(contentsOfFile: "\(watchDir)/since-s\(s)", encoding: .utf8)).flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                let watcher = LoadDevice(user: user, device: "w", loop: connector.group.next())
                if let since { try await watcher.onLoop { watcher.countAfter = since } }
                watcher.socket = try await connector.open(user: user, device: "w", index: s, query: since.map { "since=\($0)" }, loop: watcher.loop, sink: watcher)
                try await watcher.initialState.get()
                watchers.append(watcher)
                resumedFrom.append(since)

                let sender = LoadDevice(user: user, device: "d0", loop: connector.group.next())
                sender.requestPrefix = "\(idPrefix)-s\(s)-"
                sender.socket = try await connector.open(user: user, device: "d0", index: s, loop: sender.loop, sink: sender)
                try await sender.initialState.get()
                let plan = SenderPlan(owner: user, members: [], timerPrefix: "crash-t\(s)", mixed: false)
                try await sender.onLoop { sender.plan = plan; sender.start(rate: nil, window: 1, at: Clock.now()) }
                sending.append(sender)
            }
        } catch {
            status("the server went away while connecting (\(error)); \(sending.count) senders and \(watchers.count) watchers were up")
        }
        try await waitUntil(seconds: limit, "the server to go away") {
            for d in sending + watchers where !(try await d.onLoop { d.isClosed }) { return false }
            return true
        }
        for d in sending + watchers { await d.socket?.close() }

        var acked = ""
        for sender in sending {
            let (numbers, prefix) = try await sender.onLoop { (sender.ackedRequests, sender.requestPrefix) }
            for n in numbers { acked += "\(prefix)\(n)\n" }
        }
        try Self.append(acked, to: ackedFile)
        for (s, watcher) in watchers.enumerated() {
            let (seqs, disorder, snapshot, resumed) = try await watcher.onLoop { (watcher.seqs, watcher.outOfOrder, watcher.initialSeq, watcher.resumed) }
            // A watcher that asked to resume but got a snapshot lost its place: the check fails on it.
            var lines = ["since \(resumedFrom[s].map(String.init) ?? "none")"]
            if resumedFrom[s] != nil, resumed == nil { lines.append("resume-failed snapshot \(snapshot ?? 0)") }
            if disorder > 0 { lines.append("out-of-order \(disorder)") }
            lines += seqs.map(String.init)
            try (lines.joined(separator: "\n") + "\n").write(toFile: "\(watchDir)/seen-s\(s).txt", atomically: false, encoding: .utf8)
            let last = seqs.last ?? resumed?.seq ?? resumedFrom[s] ?? snapshot ?? 0
            try "\(last)\n".write(toFile: "\(watchDir)/since-s\(s)", atomically: false, encoding: .utf8)
        }
        // Watchers that never connected saw nothing this cycle and keep their resume point.
        for s in watchers.count..<senders {
            let since = (try? String(contentsOfFile: "\(watchDir)/since-s\(s)", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            try "since \(since ?? "none")\n".write(toFile: "\(watchDir)/seen-s\(s).txt", atomically: false, encoding: .utf8)
        }
    }

    static func append(_ text: String, to path: String) throws {
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.synchronize()
    }
}
