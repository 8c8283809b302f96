internal import Foundation
internal import Logging
internal import CoreMetrics
internal import BubbleCore

/// Rotating backups while the server runs (`--backup-every 1h --backup-keep 24`): a verified
/// hot copy into a new timestamped directory each interval, the oldest beyond `keep` deleted.
/// Outcomes are in `/metrics` and the log.
struct BackupSchedule: Sendable {
    let configuration: BackupConfiguration
    let dataDirectory: String
    let state: ServerState
    let logger: Logger

    func run() async {
        guard let every = configuration.every, every > 0 else { return }
        let root = configuration.directory ?? dataDirectory + "-backups"
        while !Task.isCancelled {
            do { try await Task.sleep(for: .milliseconds(Int64(every * 1000))) } catch { return }
            let target = Backup.timestampedDirectory(in: root)
            let (store, dataDirectory) = (state.store, dataDirectory)
            let outcome = await Task.detached { () -> Result<Backup.Report, any Error> in
                Result {
                    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                    return try Backup.take(environment: store.environment, dataDirectory: dataDirectory, into: target)
                }
            }.value
            switch outcome {
            case .success(let report):
                state.metrics.backups.increment()
                state.metrics.lastBackup.record(Date().timeIntervalSince1970)
                state.metrics.lastBackupBytes.record(report.bytes)
                let pruned = Backup.prune(root, keep: configuration.keep)
                logger.notice("backup written", metadata: [
                    "directory": "\(report.directory)", "seq": "\(report.headSeq)", "bytes": "\(report.bytes)",
                    "seconds": "\(String(format: "%.2f", report.seconds))", "pruned": "\(pruned.count)",
                ])
            case .failure(let error):
                state.metrics.backupFailures.increment()
                logger.error("backup failed", metadata: ["directory": "\(target)", "error": "\(error)"])
            }
        }
    }
}

/// `--backup-every`, `--backup-keep`, `--backup-dir`.
public struct BackupConfiguration: Sendable {
    /// Seconds between backups; `nil`: no rotating backups.
    public var every: Double?
    public var keep = 24
    /// Where they go; `nil`: `<data directory>-backups`.
    public var directory: String?

    public init() {}

    /// `90`, `90s`, `30m`, `1h`, `1d`.
    public static func seconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        if let last = text.last, let unit = units[last], let n = Double(text.dropLast()), n > 0 { return n * unit }
        return Double(text).flatMap { $0 > 0 ? $0 : nil }
    }
}
