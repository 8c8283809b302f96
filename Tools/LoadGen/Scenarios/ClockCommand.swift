import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// Clock sync as a client does it (docs/protocol.md, "Clock sync"): `time` frames answered
/// with the server's receive and send times, the offset worked out NTP-style, and — on
/// loopback, where client and server share one clock — its error against the truth. With
/// `--skew-ms` the client pretends its clock is off by that much, so the truth is −skew.
struct ClockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clock",
        abstract: "Measure the clock-sync offset a client computes from `time` frames, against the truth on loopback."
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Time frames to send, one at a time.") var samples = 1000
    @Option(help: "Samples per estimate: each estimate keeps the one with the smallest round trip.") var burst = 8
    @Option(help: "Milliseconds the client's clock is pretended to be ahead of the server's.") var skewMs = 0.0

    func run() async throws {
        try await Connector.with(connection) { connector in try await run(connector) }
    }

    func run(_ connector: Connector) async throws {
        let sink = TimeSink()
        let socket = try await connector.open(user: "clock-\(UInt32.random(in: 0...UInt32.max))", device: "c", index: 0, loop: connector.group.next(), sink: sink)
        defer { Task { await socket.close() } }
        try await sink.waitForSnapshot()
        // The client's clock: wall time in ms with a fraction, plus the pretended skew.
        let clientNow = { Date().timeIntervalSince1970 * 1000 + skewMs }
        var all: [(offset: Double, delay: Double)] = []
        for i in 0..<samples {
            let t0 = clientNow()
            socket.send(#"{"type":"time","t0":\#(t0),"requestId":"c\#(i)"}"#)
            let reply = try await sink.next()
            let t3 = clientNow()
            func number(_ key: String) -> Double? { (reply[key] as? NSNumber)?.doubleValue }
            guard let t1 = number("t1"), let t2 = number("t2"), let echoed = number("t0"), abs(echoed - t0) < 0.001 else {
                throw ValidationError("unexpected answer: \(reply) (a rate_limited error? run the server with a higher --rate)")
            }
            all.append((((t1 - t0) + (t2 - t3)) / 2, (t3 - t0) - (t2 - t1)))
        }
        let truth = -skewMs
        let errors = all.map { abs($0.offset - truth) }.sorted()
        let delays = all.map(\.delay).sorted()
        var estimates: [Double] = []
        for start in stride(from: 0, to: all.count - burst + 1, by: burst) {
            let best = all[start..<(start + burst)].min { $0.delay < $1.delay }!
            estimates.append(abs(best.offset - truth))
        }
        estimates.sort()
        func p(_ xs: [Double], _ q: Double) -> Double { xs.isEmpty ? 0 : xs[min(xs.count - 1, Int(Double(xs.count) * q))] }
        var report = Report(title: "bubble-load clock: \(samples) time frames on one socket, client clock \(skewMs) ms ahead (truth: offset \(truth) ms)")
        report.add("offset error, one sample, p50", p(errors, 0.5), unit: "ms")
        report.add("offset error, one sample, p99", p(errors, 0.99), unit: "ms")
        report.add("round trip (delay), p50", p(delays, 0.5), unit: "ms")
        report.add("round trip (delay), p99", p(delays, 0.99), unit: "ms")
        report.add("offset error, best of \(burst) (smallest delay), p50", p(estimates, 0.5), unit: "ms")
        report.add("offset error, best of \(burst), max", estimates.last ?? 0, unit: "ms", note: "over \(estimates.count) estimates")
        report.print(json: connection.json)
    }
}

/// Collects the snapshot and `time` answers of one socket.
private final class TimeSink: FrameSink, @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [[String: Any]] = []
    private var waiter: CheckedContinuation<[String: Any], any Error>?
    private var snapshot = false
    private var snapshotWaiter: CheckedContinuation<Void, any Error>?
    private var gone = false

    func received(_ text: ByteBuffer, at nanos: UInt64) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.readableBytesView))) as? [String: Any] else { return }
        lock.lock()
        switch object["type"] as? String {
        case "snapshot":
            snapshot = true
            let w = snapshotWaiter
            snapshotWaiter = nil
            lock.unlock()
            w?.resume()
        case "time", "error":
            if let w = waiter {
                waiter = nil
                lock.unlock()
                w.resume(returning: object)
            } else {
                answers.append(object)
                lock.unlock()
            }
        default:
            lock.unlock()
        }
    }

    func closed() {
        lock.lock()
        gone = true
        let (w, s) = (waiter, snapshotWaiter)
        waiter = nil
        snapshotWaiter = nil
        lock.unlock()
        w?.resume(throwing: ValidationError("the server closed the socket"))
        s?.resume(throwing: ValidationError("the server closed the socket"))
    }

    func waitForSnapshot() async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            lock.lock()
            if snapshot || gone {
                let ok = snapshot
                lock.unlock()
                if ok { c.resume() } else { c.resume(throwing: ValidationError("the server closed the socket")) }
            } else {
                snapshotWaiter = c
                lock.unlock()
            }
        }
    }

    func next() async throws -> [String: Any] {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<[String: Any], any Error>) in
            lock.lock()
            if !answers.isEmpty {
                let a = answers.removeFirst()
                lock.unlock()
                c.resume(returning: a)
            } else if gone {
                lock.unlock()
                c.resume(throwing: ValidationError("the server closed the socket"))
            } else {
                waiter = c
                lock.unlock()
            }
        }
    }
}
