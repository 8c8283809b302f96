import ArgumentParser
import Projections
import EventLog
import BubbleCore
import TimerDomain
import ToolSupport

struct At: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A timer as it was at a seq or time.")

    @Argument(help: "Timer id.") var timerId: String
    @Argument(help: "A seq, or an ISO-8601 time (no offset = UTC).") var point: String
    @OptionGroup var options: CommonOptions

    func run() throws {
        guard let bound = BoundArgument.parse(point) else {
            throw ValidationError("'\(point)' is neither a seq nor an ISO-8601 time such as 2025-08-12T08:00:00Z")
        }
        let inspector = try options.inspector()
        let (state, last) = try reporting { try inspector.timer(timerId, at: bound) }
        var out: [String: Any] = ["timerId": timerId, "asOfSeq": last?.seq ?? 0]
        switch state {
        case .unknown: out["status"] = "unknown"
        case .stopped(let owner): out["status"] = "stopped"; out["owner"] = owner
        case .active(let a):
            out["status"] = a.timer.isRunning ? "running" : "paused"
            out["owner"] = a.owner
            out["sharedWith"] = a.sharedWith.sorted()
            out["timer"] = JSONOutput.timer(a.timer)
        }
        if options.json {
            JSONOutput.print(out)
            return
        }
        print("timer \(timerId) as of seq \(last?.seq ?? 0)" + (last.map { " (\(ISO8601.format(milliseconds: $0.timestamp)))" } ?? ""))
        var table = Table("FIELD", "VALUE")
        table.add("status", out["status"] as! String)
        if let a = state.active {
            table.add("owner", a.owner)
            table.add("name", a.timer.name)
            table.add("totalDuration", a.timer.totalDuration)
            table.add("remainingDuration", a.timer.remainingDuration ?? "—")
            table.add("timerEnd", a.timer.end ?? "—")
            table.add("tags", a.timer.tags.joined(separator: ", "))
            table.add("sharedWith", a.sharedWith.sorted().joined(separator: ", "))
        } else if case .stopped(let owner) = state {
            table.add("owner", owner)
        }
        print(table.render())
    }
}
