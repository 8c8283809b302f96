import ArgumentParser
import BubbleCore
import Foundation
import ToolSupport

/// `bubble-timer backup --into DIR`: a hot, compacted, verified copy of the data directory
/// (safe while the server runs), with the secret files a restore needs.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the data directory into a new directory, hot and compacted, then verify the copy.",
        discussion: "Safe while the server runs. The copy holds data.mdb, the secret files (signing keys, dev secret, admin token) and backup.json; keep it private."
    )
    @Option(help: "Data directory [BUBBLE_DATA].") var data = env("BUBBLE_DATA") ?? defaultDataDirectory
    @Option(help: "New directory for the backup (must not exist).") var into: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        do {
            let report = try Backup.take(dataDirectory: data, into: into)
            if json {
                JSONOutput.print(["directory": report.directory, "headSeq": report.headSeq, "headHash": report.headHash, "bytes": report.bytes, "seconds": report.seconds, "secrets": report.secrets])
            } else {
                print("Backed up \(data) to \(report.directory): log through seq \(report.headSeq), \(report.bytes) bytes, verified, in \(String(format: "%.2f", report.seconds)) s.")
            }
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(2)
        }
    }
}

/// `bubble-timer restore --from DIR --data DIR`: checks a backup and puts it in place.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Check a backup (manifest, checksums, chain, views) and restore it into an empty data directory.",
        discussion: "Refuses a directory that holds a log or is in use: stop the server and move the old data aside first."
    )
    @Option(help: "The backup directory (made by backup or --backup-every).") var from: String
    @Option(help: "Data directory to restore into [BUBBLE_DATA].") var data = env("BUBBLE_DATA") ?? defaultDataDirectory

    func run() throws {
        do {
            let report = try Backup.restore(from: from, into: data)
            print("Restored \(from) into \(data): log through seq \(report.headSeq), head \(report.headHash.prefix(16))…, verified. Start the server with --data \(data).")
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(2)
        }
    }
}
