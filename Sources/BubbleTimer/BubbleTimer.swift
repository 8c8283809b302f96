import ArgumentParser
import BubbleCore
import ToolSupport

/// The main program: `serve` (the default), `token` to mint a dev token, and `demo`, which
/// writes a realistic scenario through the real command path for the tools to show.
@main
struct BubbleTimer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bubble-timer",
        abstract: "Bubble Timer server: event-sourced countdown timers shared across devices.",
        subcommands: [Serve.self, Token.self, Demo.self, Users.self, BackupCommand.self, RestoreCommand.self, Cluster.self],
        defaultSubcommand: Serve.self
    )
}

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a demo scenario (4 users, 5 devices, shares, updates, stops) into the log."
    )

    @Option(name: .long, help: "Data directory (created if missing).")
    var data = defaultDataDirectory

    @Flag(name: .long, help: "Print the outcome as JSON.")
    var json = false

    func run() throws {
        do {
            let store = try EventStore(directory: data)
            defer { store.close() }
            let outcome = try DemoScenario.run(on: store)
            if json {
                JSONOutput.print([
                    "appended": outcome.appended, "lastSeq": outcome.lastSeq,
                    "rejected": outcome.rejected, "timers": outcome.timers,
                ])
                return
            }
            print("Wrote \(outcome.appended) events to \(data) (log now ends at seq \(outcome.lastSeq)).")
            print("Commands the rules refused (nothing appended for them):")
            for line in outcome.rejected { print("  - \(line)") }
            // Name the tools by the path this binary was run from, so the hints work as typed.
            let bin = CommandLine.arguments[0].contains("/") ? String(CommandLine.arguments[0].split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")) + "/" : ""
            print("""

            Try:
              \(bin)bubble-inspect history \(outcome.timers["tea"]!) --data \(data)
              \(bin)bubble-inspect at \(outcome.timers["tea"]!) 9 --data \(data)
              \(bin)bubble-inspect user alice --data \(data)
              \(bin)bubble-replay --verify --data \(data)
              \(bin)bubble-replay --until 10 --into ./data-at-10 --data \(data)
            """)
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(2)
        }
    }
}
