import ArgumentParser
import Projections
import EventLog
import BubbleCore
import TimerDomain
import ToolSupport

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Every event of one timer, in order, with what each changed.")

    @Argument(help: "Timer id.") var timerId: String
    @OptionGroup var options: CommonOptions

    func run() throws {
        let inspector = try options.inspector()
        let entries = try reporting { try inspector.history(of: timerId) }
        if options.json {
            JSONOutput.print(entries.map { entry -> [String: Any] in
                var out = JSONOutput.envelope(entry.envelope)
                out["changes"] = entry.changes.map { c -> [String: Any] in
                    var d: [String: Any] = ["field": c.field]
                    d["old"] = c.old
                    d["new"] = c.new
                    return d
                }
                return out
            })
            return
        }
        guard !entries.isEmpty else {
            print("no events for timer '\(timerId)'")
            throw ExitCode(1)
        }
        var table = Table("SEQ", "TIME (UTC)", "USER", "DEVICE", "EVENT", "CHANGES")
        for entry in entries {
            let e = entry.envelope
            table.add(
                String(e.seq), ISO8601.format(milliseconds: e.timestamp), e.actor.userID, e.actor.deviceID,
                Terminal.paint(e.event.name, .cyan), describe(entry.changes)
            )
        }
        print(table.render())
    }
}

func describe(_ changes: [FieldChange]) -> String {
    changes.map { c in
        "\(c.field): \(c.old.map { "\"\($0)\"" } ?? "—") → \(c.new.map { "\"\($0)\"" } ?? "—")"
    }.joined(separator: "; ")
}
