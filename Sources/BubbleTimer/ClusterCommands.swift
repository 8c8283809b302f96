import ArgumentParser
import BubbleCore
import EventLog
import Foundation
import Logging
import PostgresLog
import ToolSupport

/// `bubble-timer cluster …`: the PostgreSQL log of record shared by cluster nodes (issue 16).
struct Cluster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The shared PostgreSQL log of a cluster: move a single node's log into it.",
        subcommands: [Import.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Copy this data directory's log into PostgreSQL, seqs and hash chain intact.",
            discussion: "Stop the server first. The rows are the LMDB records byte for byte; an import that was cut off goes on where it stopped; a PostgreSQL log that differs from this one is refused."
        )
        @Option(help: "Data directory [BUBBLE_DATA].") var data = env("BUBBLE_DATA") ?? defaultDataDirectory
        @Option(help: "postgres://user[:password]@host[:port]/database [BUBBLE_POSTGRES_URL].") var postgresURL = env("BUBBLE_POSTGRES_URL")
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            guard let text = postgresURL else {
                Terminal.error("--postgres-url (or BUBBLE_POSTGRES_URL) is required")
                throw ExitCode(2)
            }
            do {
                let url = try PostgresURL(parsing: text)
                var logger = Logger(label: "bubble-timer")
                logger.logLevel = .warning
                let log = try await PostgresLog.connect(url, logger: logger)
                let started = Date()
                let report: ClusterImport.Report
                do {
                    report = try await ClusterImport.run(dataDirectory: data, into: log)
                    await log.close()
                } catch {
                    await log.close()
                    throw error
                }
                let seconds = Date().timeIntervalSince(started)
                if json {
                    JSONOutput.print(["imported": report.imported, "skipped": report.skipped, "headSeq": report.head.seq, "headHash": report.head.chain.description, "seconds": seconds])
                } else {
                    print("Imported \(report.imported) events from \(data) into \(url) in \(String(format: "%.2f", seconds)) s" + (report.skipped > 0 ? " (\(report.skipped) were there already)" : "") + "; head seq \(report.head.seq), \(report.head.chain.description.prefix(16))….")
                }
            } catch {
                Terminal.error("\(error)")
                throw ExitCode(2)
            }
        }
    }
}
