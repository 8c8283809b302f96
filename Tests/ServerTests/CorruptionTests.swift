import Foundation
import Testing
import TestSupport
import TimerDomain
import BubbleCore
import LMDB
@testable import BubbleServer

/// Issue 10, defect 6. Before: a server started over a damaged log without a word, and a
/// damaged view row was served to clients as data.
@Suite struct CorruptionTests {
    let dir = TemporaryDirectory("corrupt")
    let alice = Actor(userID: "alice", deviceID: "phone")

    /// A log whose first record holds `marker`, then `later` more commands; every copy of the
    /// marker in the file gets one bit flipped.
    func damagedLog(marker: String, later: Int) throws {
        let store = try EventStore(directory: dir.path)
        _ = try store.executeAndWait(CommandRequest(.timer(.update(TimerSnapshot(id: "t1", name: marker, totalDuration: "PT5M"))), actor: alice))
        for i in 0..<later {
            _ = try store.executeAndWait(CommandRequest(.timer(.update(TimerSnapshot(id: "t1", name: "n\(i)", totalDuration: "PT5M"))), actor: alice))
        }
        store.close()
        try flip(marker)
    }

    func flip(_ marker: String) throws {
        let path = dir.path + "/data.mdb"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let needle = Array(marker.utf8)
        var flipped = 0
        for at in 0...(bytes.count - needle.count) where bytes[at] == needle[0] && bytes[at..<(at + needle.count)].elementsEqual(needle) {
            bytes[at + needle.count - 1] ^= 0x01
            flipped += 1
        }
        #expect(flipped > 0)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test func aDamagedTailStopsTheServerBeforeItAppends() async throws {
        try damagedLog(marker: "early-marker-xyz", later: 3)
        var config = ServerConfiguration()
        config.dataDirectory = dir.path
        config.auth.hmacSecret = "test-secret-test-secret-test-secret-0123"
        await #expect {
            _ = try await BubbleServer(configuration: config)
        } throws: { error in
            "\(error)".hasPrefix("the log is damaged at seq 1: log record 1 is corrupt: checksum mismatch")
                && "\(error)".hasSuffix("salvage into a new directory with `bubble-replay --salvage --into DIR` (docs/operations.md, \"Corruption\")")
        }
        // Nothing was appended after the damaged record (no server-start marker).
        let store = try EventStore(directory: dir.path, options: { var o = StoreOptions(); o.environment.readOnly = true; return o }())
        #expect(try store.read { try store.log.head($0).seq } == 4)
    }

    @Test func damageBehindTheTailLeavesTheServerUpButDegraded() async throws {
        try damagedLog(marker: "early-marker-xyz", later: 20)
        let logs = LogCapture()
        try await Harness.run(directory: dir, logs: logs, configure: { $0.startupCheckRecords = 5 }) { h in
            for _ in 0..<500 where !h.server.state.integrity.isDamaged { try await Task.sleep(for: .milliseconds(10)) }
            let health = try await h.client.execute(uri: "/health", method: .get) {
                ($0.status, try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any])
            }
            #expect(health.0 == .ok)
            #expect(health.1?["status"] as? String == "degraded")
            let log = try #require(health.1?["log"] as? [String: Any])
            #expect(log["check"] as? String == "damaged")
            let problems = try #require(log["problems"] as? [String])
            #expect(problems.first?.hasPrefix("seq 1: log record 1 is corrupt: checksum mismatch") == true)
            guard case .damaged(let all) = h.server.state.integrity.state else { Issue.record("not damaged"); return }
            #expect(h.server.state.metrics.value(of: "bubble_log_problems") == Double(all.count))
            #expect(logs.lines.contains { $0.hasPrefix("error the event log is damaged") && $0.contains("seq=1") })
            // The server still takes commands: they chain to the intact tail.
            #expect(try await h.rest(.post, "/timers/t2", as: "alice", body: #"{"name":"Tea","totalDuration":"PT5M"}"#).status == .ok)
        }
    }

    @Test func anIntactLogIsReportedVerified() async throws {
        try await Harness.run(directory: dir) { h in
            for _ in 0..<500 where h.server.state.integrity.state == .running { try await Task.sleep(for: .milliseconds(10)) }
            let health = try await h.client.execute(uri: "/health", method: .get) { try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any] }
            #expect(health?["status"] as? String == "ok")
            #expect((health?["log"] as? [String: Any])?["check"] as? String == "ok")
        }
    }

    @Test func aDamagedViewRowIsAnErrorNotData() async throws {
        let store = try EventStore(directory: dir.path)
        _ = try store.executeAndWait(CommandRequest(.timer(.update(TimerSnapshot(id: "t1", name: "first", totalDuration: "PT5M"))), actor: alice))
        // The view row now names the timer "view-only-name"; the log names it in an update.
        _ = try store.executeAndWait(CommandRequest(.timer(.update(TimerSnapshot(id: "t1", name: "view-only-name", totalDuration: "PT5M"))), actor: alice))
        store.close()
        try flip("view-only-name")
        let reopened = try EventStore(directory: dir.path, options: { var o = StoreOptions(); o.environment.readOnly = true; return o }())
        #expect {
            try reopened.read { try reopened.views.timer("t1", $0) }
        } throws: { error in
            "\(error)" == "view row timer_view[t1] is unreadable: checksum mismatch (the row is damaged); run bubble-replay to rebuild the views"
        }
    }

    /// Issue 10, defect 10. Before: nothing said how full the disk or the map was.
    @Test func healthAndMetricsReportTheDiskAndTheMap() async throws {
        try await Harness.run(directory: dir, configure: { $0.minFreeDiskBytes = Int.max }) { h in
            let health = try await h.client.execute(uri: "/health", method: .get) { try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any] }
            #expect(health?["status"] as? String == "degraded")
            let storage = try #require(health?["storage"] as? [String: Any])
            let file = try FileManager.default.attributesOfItem(atPath: dir.path + "/data.mdb")[.size] as! Int
            #expect(storage["dataFileBytes"] as? Int == file)
            let problems = try #require(storage["problems"] as? [String])
            #expect(problems.count == 1)
            #expect(problems.first?.contains("MiB free on the data directory's disk, below --min-free-disk") == true)
            let metrics = h.server.state.metrics
            #expect(metrics.value(of: "bubble_data_file_bytes") == Double(file))
            #expect((metrics.value(of: "bubble_map_used_bytes") ?? 0) > 0)
            #expect((metrics.value(of: "bubble_disk_free_bytes") ?? 0) > 0)
            #expect(metrics.value(of: "bubble_map_size_bytes") == Double(h.server.state.store.environment.info().mapSize))
        }
    }
}
