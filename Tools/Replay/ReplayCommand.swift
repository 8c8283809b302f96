import ArgumentParser
import Foundation
import BubbleCore
import ToolSupport

@main
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bubble-replay",
        abstract: "Rebuild the views (timers, shares, connections) from the event log.",
        discussion: """
        Without options, rebuilds every view in place; it refuses while a server holds the \
        data directory. --verify rebuilds in memory and reports differences with the live \
        views, changing nothing (safe while a server runs). --until builds the state as it \
        was at a seq or time into a new directory (--into), leaving the source untouched.
        """
    )

    @Option(name: .long, help: "Data directory.")
    var data = defaultDataDirectory

    @Flag(name: .long, help: "Compare a fresh rebuild with the live views; change nothing.")
    var verify = false

    @Option(name: .long, help: "Build the state as of this seq or ISO-8601 time (no offset = UTC).")
    var until: String?

    @Option(name: .long, help: "With --until: the new directory to write the log prefix and views into.")
    var into: String?

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if until != nil, into == nil { throw ValidationError("--until needs --into <directory> for the rebuilt state") }
        if let until, BoundArgument.parse(until) == nil {
            throw ValidationError("--until '\(until)' is neither a seq nor an ISO-8601 time such as 2025-08-12T08:00:00Z")
        }
        if verify, until != nil { throw ValidationError("--verify and --until cannot be combined") }
    }

    func run() throws {
        let bar = ProgressBar(label: verify ? "verify" : "replay")
        let report: ReplayReport
        do {
            if verify {
                report = try Replay.verify(directory: data, progress: bar.update)
            } else if let until, let into, let bound = BoundArgument.parse(until) {
                report = try Replay.timeTravel(directory: data, until: bound, into: into, progress: bar.update)
            } else {
                report = try Replay.rebuild(directory: data, progress: bar.update)
            }
        } catch {
            bar.finish()
            Terminal.error("\(error)")
            throw ExitCode(2)
        }
        bar.finish()
        let mode = verify ? "verify" : until != nil ? "until" : "rebuild"
        if json {
            var out: [String: Any] = [
                "mode": mode, "events": report.events, "foldSeconds": report.foldSeconds,
                "writeSeconds": report.writeSeconds, "eventsPerSecond": report.eventsPerSecond,
            ]
            if verify { out["differences"] = report.differences; out["consistent"] = report.differences.isEmpty }
            if let into { out["into"] = into }
            JSONOutput.print(out)
        } else {
            let rate = Format.rate(report.eventsPerSecond)
            switch mode {
            case "verify":
                if report.differences.isEmpty {
                    print(Terminal.paint("views are consistent", .green) + ": \(report.events) events folded (\(rate) events/s), no differences")
                } else {
                    print(Terminal.paint("views differ from the log", .red) + " (\(report.differences.count) differences):")
                    for line in report.differences { print("  \(line)") }
                }
            case "until":
                print("wrote the log up to seq \(report.events) and the views as of then into \(into!) (\(rate) events/s)")
            default:
                print("rebuilt the views from \(report.events) events in \(String(format: "%.3f", report.foldSeconds + report.writeSeconds))s (\(rate) events/s)")
            }
        }
        if verify, !report.differences.isEmpty { throw ExitCode(1) }
    }
}
