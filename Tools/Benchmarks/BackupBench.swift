import Foundation
import BubbleCore

/// `bubble-timer backup` of a generated log: time (copy, compaction and verification of the
/// copy) and sizes, the live file beside the backup.
enum BackupBench {
    static func run(events: Int, hotEvents: Int, dir: String) throws -> [BenchResult] {
        let data = dir + "/data"
        if !FileManager.default.fileExists(atPath: data + "/data.mdb") {
            try ReplayBench.generate(events: events, hotEvents: hotEvents, into: data)
            _ = try Replay.rebuild(directory: data)
        }
        let target = dir + "/backup-\(Int(Date().timeIntervalSince1970))"
        let started = now()
        let report = try Backup.take(dataDirectory: data, into: target)
        let seconds = now() - started
        let live = (try FileManager.default.attributesOfItem(atPath: data + "/data.mdb")[.size] as? NSNumber)?.doubleValue ?? 0
        defer { try? FileManager.default.removeItem(atPath: target) }
        return [
            BenchResult(name: "backup of a \(report.headSeq)-event log: copy + compact + verify", value: seconds, unit: "s", reference: nil, target: "—"),
            BenchResult(name: "backup size (data.mdb, compacted)", value: Double(report.bytes) / 1_048_576, unit: "MiB",
                        reference: ("live data.mdb", live / 1_048_576), target: "—"),
        ]
    }
}
