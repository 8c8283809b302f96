import Foundation
import Testing
import TestSupport
import BubbleCore
@testable import BubbleServer

/// `--backup-every` / `--backup-keep`: verified copies on a schedule, the oldest pruned,
/// outcomes in `/metrics`.
@Suite struct BackupScheduleTests {
    @Test func backupsRotateKeepingTheNewestAndReportInMetrics() async throws {
        let root = TemporaryDirectory("backups")
        try await Harness.run(configure: {
            $0.backup.every = 1.1  // names are per second: a little over one apart
            $0.backup.keep = 2
            $0.backup.directory = root.path
        }) { h in
            #expect(try await h.rest(.post, "/timers/tea", as: "alice", body: #"{"name":"Tea","totalDuration":"PT3M","remainingDuration":"PT3M"}"#).status == .ok)
            let metrics = h.server.state.metrics
            for _ in 0..<100 where (metrics.value(of: "bubble_backups_total") ?? 0) < 3 { try await Task.sleep(for: .milliseconds(100)) }
            #expect(metrics.value(of: "bubble_backups_total") ?? 0 >= 3)
            #expect(metrics.value(of: "bubble_backup_failures_total") ?? 0 == 0)
            #expect(metrics.value(of: "bubble_backup_last_bytes") ?? 0 > 0)
            #expect(abs((metrics.value(of: "bubble_backup_last_success_seconds") ?? 0) - Date().timeIntervalSince1970) < 10)
            let kept = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasPrefix("bubble-backup-") }.sorted()
            #expect(kept.count == 2, "\(kept)")
            for name in kept {
                let head = try Backup.check(backup: root.path + "/" + name)
                #expect(head.seq >= 2)
            }
        }
    }

    @Test func durationsReadAsOperatorsWriteThem() {
        #expect(BackupConfiguration.seconds("90") == 90)
        #expect(BackupConfiguration.seconds("90s") == 90)
        #expect(BackupConfiguration.seconds("30m") == 1800)
        #expect(BackupConfiguration.seconds("1h") == 3600)
        #expect(BackupConfiguration.seconds("1d") == 86_400)
        #expect(BackupConfiguration.seconds("0h") == nil)
        #expect(BackupConfiguration.seconds("soon") == nil)
    }
}
