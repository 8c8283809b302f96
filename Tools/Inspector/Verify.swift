import ArgumentParser
import TimerDomain
import Projections
import EventLog
import BubbleCore
import ToolSupport

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check checksums, the hash chain and that the views equal the fold of the log.",
        discussion: "Exits 0 when everything holds, 1 when something does not (each problem names its seq)."
    )

    @OptionGroup var options: CommonOptions

    func run() throws {
        let inspector = try options.inspector()
        let bar = ProgressBar(label: "verify")
        let (log, views) = try reporting { try inspector.verify(progress: bar.update) }
        bar.finish()
        let ok = log.isValid && views.isEmpty
        if options.json {
            JSONOutput.print([
                "ok": ok, "records": log.records, "lastSeq": log.lastSeq, "headHash": log.lastChain.description,
                "logProblems": log.problems.map { ["seq": $0.seq, "problem": $0.problem] },
                "viewDifferences": views,
            ])
        } else {
            print("log: \(log.records) records, last seq \(log.lastSeq) (head \(log.lastChain.description.prefix(16))…): " + (log.isValid ? Terminal.paint("checksums and hash chain OK", .green) : Terminal.paint("\(log.problems.count) problems", .red)))
            for p in log.problems { print("  seq \(p.seq): \(p.problem)") }
            print("views: " + (views.isEmpty ? Terminal.paint("equal to the fold of the log", .green) : Terminal.paint("\(views.count) differences", .red)))
            for d in views { print("  \(d)") }
        }
        if !ok { throw ExitCode(1) }
    }
}
