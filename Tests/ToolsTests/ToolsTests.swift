import TestSupport
import Foundation
import Testing
import LMDB
import TimerDomain
@testable import BubbleCore

/// The built executables on a temporary data directory, as a user would run them.
@Suite struct ToolsTests {
    /// Events the demo appends to an empty log (its story, `DemoScenario`).
    static let demoEvents = 53
    let dir = TemporaryDirectory()
    var data: String { dir.path + "/data" }

    /// Runs the demo; returns how many events it appended.
    @discardableResult
    func demo() throws -> Int {
        let run = try Tools.run("bubble-timer", ["demo", "--data", data, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        return (try run.json() as? [String: Any])?["appended"] as? Int ?? -1
    }

    @Test func demoWritesARealisticLogThroughTheRules() throws {
        let run = try Tools.run("bubble-timer", ["demo", "--data", data, "--json"])
        #expect(run.status == 0)
        let out = try #require(try run.json() as? [String: Any])
        #expect(out["appended"] as? Int == Self.demoEvents)
        #expect((out["rejected"] as? [String])?.count == 2)
        #expect((out["timers"] as? [String: String])?["tea"] == "tea")
    }

    @Test func historyListsEveryEventOfATimerWithDiffs() throws {
        try demo()
        let run = try Tools.run("bubble-inspect", ["history", "tea", "--data", data, "--json"])
        #expect(run.status == 0)
        let events = try #require(try run.json() as? [[String: Any]])
        #expect(events.map { $0["type"] as? String } == ["timer_created", "timer_shared", "timer_updated", "timer_updated", "timer_stopped"])
        #expect(events.map { $0["user"] as? String } == ["alice", "alice", "bob", "alice", "alice"])
        let pause = try #require(events[2]["changes"] as? [[String: Any]])
        #expect(pause.contains { $0["field"] as? String == "remainingDuration" && $0["new"] as? String == "PT1M59.5S" })

        let human = try Tools.run("bubble-inspect", ["history", "tea", "--data", data])
        #expect(human.stdout.contains("SEQ"))
        #expect(human.stdout.contains("timer_stopped"))
        #expect(!human.stdout.contains("\u{1B}["), "no colour when not on a TTY")

        // pasta was created and shared with two users by ONE command (whose last events are
        // the two invitations, in the users' streams).
        let pasta = try #require(try Tools.run("bubble-inspect", ["history", "pasta", "--data", data, "--json"]).json() as? [[String: Any]])
        #expect(pasta.prefix(3).map { $0["lastInCommand"] as? Bool } == [false, false, false])
        #expect(pasta.prefix(3).map { $0["commandId"] as? String } == ["pasta-1", "pasta-1", "pasta-1"])
        let pastaTable = try Tools.run("bubble-inspect", ["history", "pasta", "--data", data]).stdout
        #expect(pastaTable.contains("+ timer_shared"))

        // Time commands read as what they did: who, when, how much was left.
        let eggs = try #require(try Tools.run("bubble-inspect", ["history", "eggs", "--data", data, "--json"]).json() as? [[String: Any]])
        #expect(eggs.map { $0["type"] as? String } == ["timer_created", "timer_shared", "timer_started", "reminder_set", "timer_time_added", "timer_paused", "timer_resumed", "public_link_created"])
        #expect(eggs.map { $0["user"] as? String } == ["alice", "alice", "alice", "bob", "bob", "alice", "alice", "alice"])
        let paused = try #require(eggs[5]["summary"] as? String)
        #expect(paused.hasSuffix("s left"))
        let left = try #require(((eggs[5]["data"] as? [String: Any])?["result"] as? [String: Any])?["remaining"] as? String)
        #expect(ISO8601.durationMilliseconds(left).map { $0 > 380_000 && $0 <= 390_000 } == true)  // 6m30s less the moment between
        let eggsTable = try Tools.run("bubble-inspect", ["history", "eggs", "--data", data]).stdout
        #expect(eggsTable.contains("reminder r-eggs for bob, 1m0s before the end"))
        #expect(eggsTable.contains("added 30s, running, ends"))
    }

    @Test func atShowsATimerAsOfASeq() throws {
        try demo()
        let run = try Tools.run("bubble-inspect", ["at", "tea", "15", "--data", data, "--json"])  // bob's pause
        let out = try #require(try run.json() as? [String: Any])
        #expect(out["status"] as? String == "paused")
        #expect(out["sharedWith"] as? [String] == ["bob"])
        #expect((out["timer"] as? [String: Any])?["remainingDuration"] as? String == "PT1M59.5S")
        let stopped = try #require(try Tools.run("bubble-inspect", ["at", "tea", "24", "--data", data, "--json"]).json() as? [String: Any])
        #expect(stopped["status"] as? String == "stopped")
        let bad = try Tools.run("bubble-inspect", ["at", "tea", "yesterday", "--data", data])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("neither a seq nor an ISO-8601 time"))
    }

    @Test func userShowsTimersDevicesAndHistory() throws {
        try demo()
        let out = try #require(try Tools.run("bubble-inspect", ["user", "alice", "--data", data, "--json"]).json() as? [String: Any])
        #expect((out["owned"] as? [[String: Any]])?.map { $0["id"] as? String } == ["eggs", "pasta"])
        #expect((out["shared"] as? [[String: Any]])?.map { $0["id"] as? String } == ["workout"])
        #expect((out["devices"] as? [[String: Any]])?.map { $0["connectionId"] as? String } == ["c1", "c6"])
        #expect((out["deviceHistory"] as? [Any])?.count == 3)
        #expect(out["email"] as? String == "alice@example.com")
        #expect(out["displayName"] as? String == "Alice")
        // bob read his inbox; dave left: his profile is gone and what the log holds is sealed
        // under a deleted key.
        let bob = try #require(try Tools.run("bubble-inspect", ["user", "bob", "--data", data, "--json"]).json() as? [String: Any])
        #expect(bob["displayName"] as? String == "Bob B.")
        #expect((bob["notifications"] as? [String: Int]) == ["total": 6, "unread": 0])
        let dave = try #require(try Tools.run("bubble-inspect", ["user", "dave", "--data", data, "--json"]).json() as? [String: Any])
        #expect(dave["registered"] as? Bool == false)
        #expect(dave["erasedAtSeq"] as? Int == Self.demoEvents)
        let daveTable = try Tools.run("bubble-inspect", ["user", "dave", "--data", data]).stdout
        #expect(daveTable.contains("erased at seq \(Self.demoEvents)"))
        let registration = try Tools.run("bubble-inspect", ["tail", "-n", "\(Self.demoEvents)", "--data", data, "--json"]).stdout
            .split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["type"] as? String == "user_registered" }.compactMap { $0["data"] as? [String: Any] }
        // alice, bob, dave (erased since), erin (signed in by email code).
        #expect(registration.map { $0["email"] as? String } == ["(sealed)", "(sealed)", "(erased)", "(sealed)"])
        #expect(!registration.description.contains("@example.com"), "tools never print sealed text from the log")
        // A user's whole stream: registration to erasure, sealed fields never as text.
        let daveHistory = try #require(try Tools.run("bubble-inspect", ["history", "dave", "--user", "--data", data, "--json"]).json() as? [[String: Any]])
        #expect(daveHistory.first?["type"] as? String == "device_connected")
        #expect(daveHistory.last?["type"] as? String == "user_erased")
        #expect(daveHistory.contains { $0["type"] as? String == "user_registered" && ($0["summary"] as? String)?.contains("email=(erased)") == true })
        let bobTable = try Tools.run("bubble-inspect", ["history", "bob", "--user", "--data", data]).stdout
        #expect(bobTable.contains("message_sent") && bobTable.contains("from alice to bob about eggs: (sealed)"))
        #expect(bobTable.contains("notifications_read"))
    }

    @Test func statsCountByType() throws {
        try demo()
        let out = try #require(try Tools.run("bubble-inspect", ["stats", "--data", data, "--json"]).json() as? [String: Any])
        #expect(out["events"] as? Int == Self.demoEvents)
        #expect(out["lastSeq"] as? Int == Self.demoEvents)
        #expect((out["byType"] as? [String: Int])?["notification_created"] == 7)
        #expect((out["byType"] as? [String: Int])?["timer_created"] == 4)
        #expect((out["byType"] as? [String: Int])?["timer_paused"] == 1)
        // Eggs' end, bob's reminder before it, and the workout's end (an instant): the demo runs no scheduler.
        #expect(out["scheduled"] as? Int == 3)
        #expect((out["fileBytes"] as? Int ?? 0) > 0)
    }

    @Test func tailPrintsTheLastEventsAndFollowsNewOnes() throws {
        try demo()
        let run = try Tools.run("bubble-inspect", ["tail", "-n", "2", "--data", data, "--json"])
        let lines = run.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.map { $0?["seq"] as? Int } == [Self.demoEvents - 1, Self.demoEvents])
        // More than one read page: every event asked for, once, in order.
        let paged = try Tools.run("bubble-inspect", ["tail", "-n", "\(Self.demoEvents)", "--page-size", "5", "--data", data, "--json"])
        let pagedSeqs = paged.stdout.split(separator: "\n").map { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["seq"] as? Int }
        #expect(pagedSeqs == Array(1...Self.demoEvents))

        // Follow while another process appends: the tail sees the new events.
        let follower = Process()
        follower.executableURL = Tools.binDirectory.appendingPathComponent("bubble-inspect")
        follower.arguments = ["tail", "-f", "-n", "0", "--seconds", "4", "--data", data, "--json"]
        let pipe = Pipe()
        follower.standardOutput = pipe
        try follower.run()
        Thread.sleep(forTimeInterval: 0.5)
        let appended = try demo()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        follower.waitUntilExit()
        let seqs = output.split(separator: "\n").map { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["seq"] as? Int }
        #expect(appended > 0)
        #expect(seqs == ((Self.demoEvents + 1)..<(Self.demoEvents + 1 + appended)).map { $0 })
    }

    @Test func verifyPassesOnAGoodLogAndNamesTheSeqOfDamage() throws {
        try demo()
        let good = try Tools.run("bubble-inspect", ["verify", "--data", data, "--json"])
        #expect(good.status == 0)
        #expect((try good.json() as? [String: Any])?["ok"] as? Bool == true)

        try damageRecordSeven()
        let bad = try Tools.run("bubble-inspect", ["verify", "--data", data])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("seq 7: log record 7 is corrupt: checksum mismatch"))
        let history = try Tools.run("bubble-inspect", ["user", "alice", "--data", data])
        #expect(history.status == 2)
        #expect(history.stderr.contains("record 7 is corrupt"))
    }

    @Test func replayVerifyRebuildAndTimeTravel() throws {
        try demo()
        let verify = try Tools.run("bubble-replay", ["--verify", "--data", data, "--json"])
        #expect(verify.status == 0)
        #expect((try verify.json() as? [String: Any])?["consistent"] as? Bool == true)

        let rebuild = try Tools.run("bubble-replay", ["--data", data, "--json"])
        #expect(rebuild.status == 0)
        #expect((try rebuild.json() as? [String: Any])?["events"] as? Int == Self.demoEvents)

        let past = dir.path + "/at-14"
        let travel = try Tools.run("bubble-replay", ["--until", "14", "--into", past, "--data", data])  // tea shared with bob
        #expect(travel.status == 0, "\(travel.stderr)")
        let then = try #require(try Tools.run("bubble-inspect", ["stats", "--data", past, "--json"]).json() as? [String: Any])
        #expect(then["lastSeq"] as? Int == 14)
        #expect(try Tools.run("bubble-inspect", ["verify", "--data", past]).status == 0)
        let tea = try #require(try Tools.run("bubble-inspect", ["user", "bob", "--data", past, "--json"]).json() as? [String: Any])
        #expect((tea["shared"] as? [[String: Any]])?.map { $0["id"] as? String } == ["tea"])
    }

    @Test func replayRefusesWhileAServerHoldsTheDirectory() throws {
        try demo()
        let holder = try WriterLock(directory: data)
        defer { holder.release() }
        let run = try Tools.run("bubble-replay", ["--data", data])
        #expect(run.status == 2)
        #expect(run.stderr.contains("held for writing by another process"))
        // Verify only reads, so it still works.
        #expect(try Tools.run("bubble-replay", ["--verify", "--data", data]).status == 0)
    }

    @Test func toolsExplainThemselvesAndMissingData() throws {
        for tool in ["bubble-timer", "bubble-replay", "bubble-inspect"] {
            let help = try Tools.run(tool, ["--help"])
            #expect(help.status == 0)
            #expect(help.stdout.contains("USAGE"))
        }
        let missing = try Tools.run("bubble-inspect", ["stats", "--data", dir.path + "/nothing"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no event log at"))
        let untilWithoutInto = try Tools.run("bubble-replay", ["--until", "3", "--data", data])
        #expect(untilWithoutInto.status != 0)
        #expect(untilWithoutInto.stderr.contains("--until needs --into"))
    }

    /// Every tool that opens a data directory, as an operator would run it.
    static let openers: [(String, [String])] = [
        ("bubble-inspect", ["stats"]), ("bubble-inspect", ["verify"]), ("bubble-replay", ["--verify"]),
        ("bubble-replay", []), ("bubble-timer", ["serve", "--port", "0"]),
    ]

    /// Flips one bit in every copy of the demo's push token in `data.mdb`: log record 7 (and
    /// alice's user_state row) no longer pass their checksums.
    func damageRecordSeven() throws {
        let path = data + "/data.mdb"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let marker = Array("fcm-alice-phone-token".utf8)
        for at in 0...(bytes.count - marker.count) where bytes[at] == marker[0] && bytes[at..<(at + marker.count)].elementsEqual(marker) {
            bytes[at + 4] ^= 0x20
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Each of ``openers`` on the data directory exits 2 with one line on stderr containing `text`.
    func expectEveryOpenerStops(saying text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for (tool, arguments) in Self.openers {
            let run = try Tools.run(tool, arguments + ["--data", data])
            #expect(run.status == 2, "\(tool) \(arguments): \(run.stderr)", sourceLocation: sourceLocation)
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(tool) \(arguments): \(run.stderr)", sourceLocation: sourceLocation)
            #expect(lines.first?.contains(text) == true, "\(tool) \(arguments): \(run.stderr)", sourceLocation: sourceLocation)
        }
    }

    /// Before: a truncated `data.mdb` was a bus error (exit 135 and a backtrace) in every tool.
    @Test func aTruncatedDataFileStopsEveryToolWithExitTwoAndOneLine() throws {
        try demo()
        let path = data + "/data.mdb"
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        #expect(truncate(path, off_t(size / 2)) == 0)
        try expectEveryOpenerStops(saying: "data.mdb is \(size / 2) bytes but its meta page says the data runs to")
    }

    @Test func aLogWrittenInAnUnknownFormatStopsEveryToolWithExitTwoAndOneLine() throws {
        try demo()
        do {
            let env = try Environment(path: data)
            let meta = try env.openDatabase("log_meta")
            try env.write { txn in try txn.put(meta, key: Array("format".utf8), value: [9]) }
            env.close()
        }
        try expectEveryOpenerStops(saying: "the log has format version 9; this build reads versions up to 2")
    }

    @Test func salvageWritesANewDirectoryWithEveryReadableRecordAndMarksTheLostOne() throws {
        try demo()
        try damageRecordSeven()
        let path = data + "/data.mdb"
        let damaged = try Data(contentsOf: URL(fileURLWithPath: path))

        let refused = try Tools.run("bubble-replay", ["--salvage", "--data", data])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--salvage needs --into <new directory>"))

        let saved = dir.path + "/saved"
        let run = try Tools.run("bubble-replay", ["--salvage", "--into", saved, "--data", data, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try run.json() as? [String: Any])
        #expect(report["kept"] as? Int == Self.demoEvents - 1)
        #expect(report["events"] as? Int == Self.demoEvents)
        let skipped = try #require(report["skipped"] as? [[String: Any]])
        #expect(skipped.map { $0["seq"] as? Int } == [7])
        #expect((skipped.first?["reason"] as? String)?.hasPrefix("log record 7 is corrupt: checksum mismatch") == true)

        // The source is untouched; the new directory verifies and says what was lost, where.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == damaged)
        #expect(try Tools.run("bubble-inspect", ["verify", "--data", saved]).status == 0)
        #expect(try Tools.run("bubble-replay", ["--verify", "--data", saved]).status == 0)
        let tail = try Tools.run("bubble-inspect", ["tail", "-n", "\(Self.demoEvents)", "--json", "--data", saved])
        let events = tail.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(events.count == Self.demoEvents)
        #expect(events[6]["seq"] as? Int == 7)
        #expect(events[6]["type"] as? String == "log_salvaged")

        let again = try Tools.run("bubble-replay", ["--salvage", "--into", saved, "--data", data])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already holds a log; choose a new directory"))
    }
}
