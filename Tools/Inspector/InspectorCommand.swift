import ArgumentParser
import TimerDomain
import Projections
import EventLog
import BubbleCore
import ToolSupport

@main
struct InspectorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bubble-inspect",
        abstract: "Audit the event log: a timer's history, state at a point in time, users, live tail, stats, verify.",
        discussion: "Read-only and safe while the server runs.",
        subcommands: [History.self, At.self, User.self, Tail.self, Stats.self, Verify.self]
    )
}

/// Options every subcommand takes.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "Data directory.")
    var data = defaultDataDirectory

    @Flag(name: .long, help: "Machine-readable JSON instead of tables.")
    var json = false

    func inspector() throws -> Inspector {
        do { return try Inspector(directory: data) } catch {
            Terminal.error("\(error)")
            throw ExitCode(2)
        }
    }
}

/// Runs `body`, printing storage errors (corrupt record, missing log) as one line and exit 2.
func reporting<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let exit as ExitCode { throw exit } catch {
        Terminal.error("\(error)")
        throw ExitCode(2)
    }
}
