import ArgumentParser
import Projections
import EventLog
import BubbleCore
import TimerDomain
import ToolSupport

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Every event of one timer, in order, with what each changed; with --user, every event of a user's stream.")

    @Argument(help: "Timer id (a user id with --user).") var timerId: String
    @Flag(help: "The argument is a user: registration, profile, devices, inbox, messages, pushes, erasure.") var user = false
    @OptionGroup var options: CommonOptions

    func run() throws {
        let inspector = try options.inspector()
        if user { return try userHistory(inspector) }
        let entries = try reporting { try inspector.history(of: timerId) }
        if options.json {
            JSONOutput.print(entries.map { entry -> [String: Any] in
                var out = JSONOutput.envelope(entry.envelope)
                if let story = JSONOutput.narrative(entry.envelope.event) { out["summary"] = story }
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
        var previous: EventEnvelope?
        for entry in entries {
            let e = entry.envelope
            // "+ " marks an event of the same command as the one above (clients got one frame).
            let continues = previous.map { !$0.lastInCommand && $0.seq + 1 == e.seq } ?? false
            table.add(
                String(e.seq), ISO8601.format(milliseconds: e.timestamp), e.actor.userID, e.actor.deviceID,
                (continues ? "+ " : "") + Terminal.paint(e.event.name, .cyan),
                // What time commands did, in words ("4m12.345s left"), then the fields.
                ([JSONOutput.narrative(e.event)].compactMap { $0 } + [describe(entry.changes)].filter { !$0.isEmpty }).joined(separator: "; ")
            )
            previous = e
        }
        print(table.render())
        if entries.contains(where: { !$0.envelope.lastInCommand }) { print("+ : same command as the event above") }
    }
}

extension History {
    /// A user's stream; sealed fields show as `(sealed)` or, once the key is gone, `(erased)`.
    func userHistory(_ inspector: Inspector) throws {
        let events = try reporting { try inspector.history(ofUser: timerId) }
        let sealed = JSONOutput.sealedFields(of: inspector)
        if options.json {
            JSONOutput.print(events.map { e -> [String: Any] in
                var out = JSONOutput.envelope(e, sealed: sealed)
                out["summary"] = JSONOutput.summary(e.event, sealed: sealed)
                return out
            })
            return
        }
        guard !events.isEmpty else {
            print("no events for user '\(timerId)'")
            throw ExitCode(1)
        }
        var table = Table("SEQ", "TIME (UTC)", "BY", "DEVICE", "EVENT", "DETAIL")
        for e in events {
            table.add(String(e.seq), ISO8601.format(milliseconds: e.timestamp), e.actor.userID, e.actor.deviceID,
                      Terminal.paint(e.event.name, .cyan), JSONOutput.summary(e.event, sealed: sealed))
        }
        print(table.render())
    }
}

func describe(_ changes: [FieldChange]) -> String {
    changes.map { c in
        "\(c.field): \(c.old.map { "\"\($0)\"" } ?? "—") → \(c.new.map { "\"\($0)\"" } ?? "—")"
    }.joined(separator: "; ")
}
