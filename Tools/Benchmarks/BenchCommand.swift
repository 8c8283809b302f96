import ArgumentParser
import Foundation
import ToolSupport

@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bubble-bench",
        abstract: "Core benchmarks: durable appends vs raw LMDB, replay, raw scan, history latency. Build with -c release.",
        discussion: "Prints a table (or --json). Every figure is measured in this run beside its reference."
    )

    @Option(help: "Events in the generated log for replay/scan/history.") var events = 1_000_000
    @Option(help: "Events of the one hot timer whose history is timed.") var hotEvents = 10_000
    @Option(help: "Scratch directory (removed afterwards).") var scratch = NSTemporaryDirectory() + "bubble-bench"
    @Option(help: "Group sizes for the append comparison.") var groups: [Int] = [1, 10, 100, 1000]
    @Flag(help: "Print JSON instead of a table.") var json = false
    @Option(help: "Run only these sections: append, command, replay (encode, startup, growth, scheduler, backup and cluster on request).") var only: [String] = ["append", "command", "replay"]
    @Option(help: "startup, backup: where to generate (once) and keep the log they use.") var logDir: String?
    @Option(help: "scheduler: seconds over which the 10,000 ends fall due.") var schedulerWindow = 60.0
    @Option(help: "cluster: an empty PostgreSQL database (postgres://…) [BUBBLE_POSTGRES_URL].") var postgresURL = ProcessInfo.processInfo.environment["BUBBLE_POSTGRES_URL"]

    func run() async throws {
        try? FileManager.default.removeItem(atPath: scratch)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var results: [BenchResult] = []
        if only.contains("append") {
            for group in groups {
                results += try AppendBench.compare(groupSize: group, scratch: scratch)
                progress(results.last!)
            }
        }
        if only.contains("encode") {
            results += EncodeBench.run() + EncodeParts.run() + (try FormatBench.run())
            progress(results.last!)
        }
        if only.contains("command") {
            results += try CommandPathBench.run(scratch: scratch)
            progress(results.last!)
        }
        if only.contains("replay") {
            results += try ReplayBench.run(events: events, hotEvents: hotEvents, scratch: scratch, progress: progress)
        }
        if only.contains("growth") {
            results += try GrowthBench.run(scratch: scratch)
            progress(results.last!)
        }
        if only.contains("scheduler") {
            // Durable first: the unsynced run leaves dirty pages whose writeback would land in
            // the other run's fsyncs.
            results += try SchedulerBench.lateness(scratch: scratch, window: schedulerWindow)
            progress(results.last!)
            results += try SchedulerBench.lateness(scratch: scratch, window: schedulerWindow, durable: false)
            progress(results.last!)
            results += try SchedulerBench.catchUp(scratch: scratch)
            progress(results.last!)
        }
        if only.contains("backup") {
            results += try BackupBench.run(events: events, hotEvents: hotEvents, dir: logDir ?? scratch + "/backup")
            progress(results.last!)
        }
        if only.contains("cluster") {
            guard let postgresURL else { throw ValidationError("cluster needs --postgres-url (an empty database)") }
            results += try await ClusterBench.run(url: postgresURL, events: events, scratch: scratch)
            progress(results.last!)
        }
        if only.contains("startup") {
            results += try StartupBench.run(events: events, hotEvents: hotEvents, dir: logDir ?? scratch + "/startup")
            progress(results.last!)
        }
        if json {
            JSONOutput.print(results.map(\.dictionary))
        } else {
            var table = Table("FIGURE", "RESULT", "REFERENCE", "RATIO", "TARGET")
            for r in results { table.add(r.row) }
            print(table.render())
        }
    }

    func progress(_ r: BenchResult) {
        FileHandle.standardError.write(Data("… \(r.name): \(r.formatted)\n".utf8))
    }
}

/// One measured figure, optionally beside a reference measured in the same run.
struct BenchResult {
    var name: String
    var value: Double
    var unit: String
    var reference: (name: String, value: Double)?
    var target: String

    var formatted: String { format(value) }

    func format(_ v: Double) -> String {
        unit == "ms" ? String(format: "%.2f ms", v) : unit == "s" ? String(format: "%.3f s", v) : "\(Format.rate(v)) \(unit)"
    }

    var row: [String] {
        let ratio = reference.map { String(format: "%.0f%%", value / $0.value * 100) } ?? "—"
        let ref = reference.map { "\(format($0.value)) (\($0.name))" } ?? "—"
        return [name, formatted, ref, ratio, target]
    }

    var dictionary: [String: Any] {
        var d: [String: Any] = ["name": name, "value": value, "unit": unit, "target": target]
        if let reference { d["reference"] = ["name": reference.name, "value": reference.value]; d["ratio"] = value / reference.value }
        return d
    }
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
