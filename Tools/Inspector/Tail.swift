import ArgumentParser
import Projections
import BubbleCore
import TimerDomain
import EventLog
import ToolSupport
import Foundation

struct Tail: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The last events of the log; -f follows new ones as they commit.")

    @Option(name: [.customShort("n"), .long], help: "How many of the last events to show first.") var count = 20
    @Flag(name: .shortAndLong, help: "Keep following the log (Ctrl-C to stop).") var follow = false
    @Option(name: .long, help: "With -f: stop after this many seconds (for scripts).") var seconds: Double?
    @Option(help: ArgumentHelp("Events read per LMDB transaction.", visibility: .hidden)) var pageSize = 10_000
    @OptionGroup var options: CommonOptions

    func run() throws {
        let inspector = try options.inspector()
        let head = try reporting { try inspector.head() }
        var after = head.seq > UInt64(count) ? head.seq - UInt64(count) : 0
        if !options.json { print(Terminal.paint(line(["SEQ", "TIME (UTC)", "USER", "DEVICE", "EVENT", "DETAIL"]), .bold)) }
        let deadline = seconds.map { Date().addingTimeInterval($0) }
        repeat {
            // Page through everything up to the head: `-n` can ask for more than one page.
            var events: [EventEnvelope]
            var read = 0
            repeat {
                events = try reporting { try inspector.events(after: after, limit: max(1, pageSize)) }
                for e in events { emit(e, sealed: JSONOutput.sealedFields(of: inspector)) }
                after = events.last?.seq ?? after
                read += events.count
            } while events.count == max(1, pageSize)
            if follow, read == 0 { Thread.sleep(forTimeInterval: 0.1) }
            if let deadline, Date() >= deadline { break }
        } while follow
    }

    /// Fixed widths: a followed log cannot be measured before it is printed.
    private func line(_ cells: [String]) -> String {
        let widths = [8, 24, 12, 16, 22]
        return cells.enumerated().map { i, cell in
            i < widths.count ? cell.padding(toLength: max(widths[i], cell.count), withPad: " ", startingAt: 0) : cell
        }.joined(separator: "  ")
    }

    private func emit(_ e: EventEnvelope, sealed: JSONOutput.SealedField) {
        if options.json {
            JSONOutput.printLine(JSONOutput.envelope(e, sealed: sealed))
        } else {
            print(line([String(e.seq), ISO8601.format(milliseconds: e.timestamp), e.actor.userID, e.actor.deviceID, e.event.name, JSONOutput.summary(e.event, sealed: sealed)]))
        }
        fflush(nil)
    }
}
