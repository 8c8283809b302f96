import ArgumentParser

/// Drives a running server over real WebSockets. See docs/benchmarks.md for the runs behind
/// each published figure.
@main
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bubble-load",
        abstract: "Load generator for a running Bubble Timer server.",
        subcommands: [RunCommand.self, IdleCommand.self, ResumeCommand.self, CrashCommand.self, ClockCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
