import ArgumentParser
import Foundation
import BubbleCore
import EventLog
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
        was at a seq or time into a new directory (--into), leaving the source untouched. \
        --salvage copies every readable record of a damaged log into a new directory (--into), \
        re-chained, with a log_salvaged event in place of each record it could not read, and \
        builds the views there; the source is only read (docs/operations.md, "Corruption").
        """
    )

    @Option(name: .long, help: "Data directory.")
    var data = defaultDataDirectory

    @Flag(name: .long, help: "Compare a fresh rebuild with the live views; change nothing.")
    var verify = false

    @Option(name: .long, help: "Build the state as of this seq or ISO-8601 time (no offset = UTC).")
    var until: String?

    @Option(name: .long, help: "With --until or --salvage: the new directory to write into.")
    var into: String?

    @Flag(name: .long, help: "Copy every readable record of a damaged log into --into, marking what was lost.")
    var salvage = false

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if until != nil, into == nil { throw ValidationError("--until needs --into <directory> for the rebuilt state") }
        if let until, BoundArgument.parse(until) == nil {
            throw ValidationError("--until '\(until)' is neither a seq nor an ISO-8601 time such as 2025-08-12T08:00:00Z")
        }
        if verify, until != nil { throw ValidationError("--verify and --until cannot be combined") }
        if salvage, into == nil { throw ValidationError("--salvage needs --into <new directory>: a damaged log is never rewritten in place") }
        if salvage, verify || until != nil { throw ValidationError("--salvage cannot be combined with --verify or --until") }
    }

    func run() throws {
        if salvage, let into { return try runSalvage(into: into) }
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

    private func runSalvage(into: String) throws {
        let report: SalvageReport
        do { report = try Replay.salvage(directory: data, into: into) } catch {
            Terminal.error("\(error)")
            throw ExitCode(2)
        }
        if json {
            JSONOutput.print([
                "mode": "salvage", "into": into, "events": report.events, "kept": report.kept,
                "skipped": report.skipped.map { ["seq": $0.seq, "reason": $0.problem] as [String: Any] },
            ])
        } else {
            print("salvaged \(report.kept) of \(report.events) records into \(into) and built its views")
            for lost in report.skipped { print("  lost seq \(lost.seq): \(lost.problem) (a log_salvaged event stands in its place)") }
        }
    }
}
