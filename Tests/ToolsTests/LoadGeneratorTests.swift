import Foundation
import Testing
import TestSupport
@testable import LoadGen

/// The load generator's own parts, and a short real run against the real server: the
/// published figures are only as good as its bookkeeping.
@Suite struct LoadGeneratorTests {
    @Test func framesFieldsAreReadWithoutParsing() {
        let f = FrameFields(#"{"type":"result","requestId":"r42","seq":1234,"changed":true}"#)
        #expect(f.type == "result")
        #expect(f.requestID == "r42")
        #expect(f.seq == 1234)
        #expect(f.has(#""changed":true"#))
        let broadcast = FrameFields(#"{"type":"timer","action":"stop","timerId":"t1","seq":7,"messageId":"7"}"#)
        #expect(broadcast.type == "timer")
        #expect(broadcast.requestID == nil)
        #expect(broadcast.seq == 7)
        #expect(FrameFields(#"{"type":"pong"}"#).seq == nil)
    }

    @Test func shareGraphs() {
        #expect(ShareGraph("pairs")?.members(of: 3, users: 4) == [2])
        #expect(ShareGraph("pairs")?.members(of: 4, users: 5) == [])
        #expect(ShareGraph("group:3")?.members(of: 4, users: 8) == [3, 5])
        #expect(ShareGraph("one")?.members(of: 0, users: 4) == [1, 2, 3])
        #expect(ShareGraph("one")?.senders(users: 4) == [0])
        #expect(ShareGraph("group:0") == nil)
    }

    @Test func mixedPlanStopsAndRecreatesUnderANewID() {
        var plan = SenderPlan(owner: "a", members: ["b"], timerPrefix: "t", mixed: true)
        let frames = (0..<52).map { plan.next(requestID: "r\($0)") }
        #expect(frames[20].contains(#""action":"remove""#) && frames[21].contains(#""action":"add""#))
        #expect(frames[49].contains(#""action":"stop","timerId":"t-g0""#))
        #expect(frames[50].contains(#""id":"t-g1""#) && frames[50].contains(#""shareWith":["b"]"#))
        #expect(frames[51].contains(#""id":"t-g1""#))
    }

    @Test func deliveryCheckCountsMissingExtraAndDisorder() {
        var check = DeliveryCheck()
        check.compare(device: "u/d", received: [1, 2, 3], expected: [1, 2, 3], outOfOrder: 0)
        #expect(check.passed)
        check.compare(device: "u/d", received: [1, 3, 9], expected: [1, 2, 3], outOfOrder: 0)
        #expect(check.missing == 1 && check.unexpected == 1 && !check.passed)
        var reordered = DeliveryCheck()
        reordered.compare(device: "u/d", received: [2, 1], expected: [1, 2], outOfOrder: 1)
        #expect(!reordered.passed)
    }

    @Test(.timeLimit(.minutes(3))) func clockScenarioFindsAPretendedSkewAgainstTheRealServer() throws {
        let dir = TemporaryDirectory("clock")
        let server = try RunningServer(data: dir.path, arguments: ["--rate", "100000", "--burst", "100000"])
        let run = try Tools.run("bubble-load", ["clock", "--url", server.url, "--data", dir.path, "--samples", "64", "--skew-ms", "2500", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try run.json() as? [String: Any])
        // The client pretends to be 2.5 s ahead: the offset it works out is −2.5 s, and the
        // error against that truth is what a loopback round trip allows (well under 5 ms).
        let error = try #require(report["offset error, best of 8, max"] as? Double)
        #expect(error >= 0 && error < 5)
        #expect((report["title"] as? String)?.contains("truth: offset -2500.0 ms") == true)
    }

    @Test(.timeLimit(.minutes(3))) func theOldFrameCountFlagIsStillAcceptedAndReadAsKibibytes() throws {
        let old = try RunningServer(data: TemporaryDirectory("queue-old").path, arguments: ["--outbound-queue", "8"])
        #expect(old.startupLog.contains("--outbound-queue (BUBBLE_OUTBOUND_QUEUE) is deprecated"))
        #expect(old.startupLog.contains("--outbound-queue-bytes 8192"))
        let new = try RunningServer(data: TemporaryDirectory("queue-new").path, arguments: ["--outbound-queue-bytes", "8192"])
        #expect(!new.startupLog.contains("deprecated"))
    }

    @Test(.timeLimit(.minutes(3))) func shortRunAgainstTheRealServerDeliversExactlyOnce() throws {
        let dir = TemporaryDirectory("load")
        let server = try RunningServer(data: dir.path, arguments: ["--rate", "100000", "--burst", "100000"])
        let run = try Tools.run("bubble-load", ["run", "--url", server.url, "--data", dir.path, "--users", "6", "--devices", "2",
                                                "--graph", "group:3", "--duration", "1", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try run.json() as? [String: Any])
        let acked = try #require(report["commands acknowledged"] as? Double)
        #expect(acked > 10)
        #expect(report["missing frames"] as? Double == 0)
        #expect(report["unexpected frames"] as? Double == 0)
        #expect(report["duplicate or out-of-order frames"] as? Double == 0)
        // group:3 with 2 devices: each command reaches 5 devices (its sender's other device + 2 users × 2).
        let expected = try #require(report["frames expected (from the log)"] as? Double)
        #expect(expected >= acked * 4)
        #expect(report["frames received"] as? Double == expected)

        let resume = try Tools.run("bubble-load", ["resume", "--url", server.url, "--data", dir.path, "--rounds", "3", "--events", "50", "--json"])
        #expect(resume.status == 0, "\(resume.stderr)")
        let caught = try #require(try resume.json() as? [String: Any])
        #expect(caught["rounds with a gap, duplicate or wrong count"] as? Double == 0)
    }
}
