import ArgumentParser
import Projections
import EventLog
import BubbleCore
import TimerDomain
import ToolSupport

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Counts by event type, first/last seq and time, file size.")

    @OptionGroup var options: CommonOptions

    func run() throws {
        let inspector = try options.inspector()
        let s = try reporting { try inspector.statistics() }
        if options.json {
            var out: [String: Any] = [
                "events": s.countsByType.values.reduce(0, +), "byType": s.countsByType,
                "fileBytes": s.fileBytes, "liveTimers": s.liveTimers, "completedTimers": s.completedTimers,
                "scheduled": s.scheduled, "streams": s.streams,
            ]
            if let f = s.first { out["firstSeq"] = f.seq; out["firstTime"] = ISO8601.format(milliseconds: f.timestamp) }
            if let l = s.last { out["lastSeq"] = l.seq; out["lastTime"] = ISO8601.format(milliseconds: l.timestamp) }
            JSONOutput.print(out)
            return
        }
        var table = Table("EVENT TYPE", "COUNT")
        for name in Event.allNames where s.countsByType[name] != nil { table.add(name, String(s.countsByType[name]!)) }
        table.add(Terminal.paint("total", .bold), String(s.countsByType.values.reduce(0, +)))
        print(table.render())
        print("")
        var facts = Table("FACT", "VALUE")
        facts.add("first", s.first.map { "seq \($0.seq) at \(ISO8601.format(milliseconds: $0.timestamp))" } ?? "—")
        facts.add("last", s.last.map { "seq \($0.seq) at \(ISO8601.format(milliseconds: $0.timestamp))" } ?? "—")
        facts.add("live timers", "\(s.liveTimers) (\(s.completedTimers) completed, kept until stopped)")
        facts.add("scheduled (ends and reminders due)", String(s.scheduled))
        facts.add("streams (timers, users, server)", String(s.streams))
        facts.add("data.mdb", Format.bytes(s.fileBytes))
        print(facts.render())
    }
}
