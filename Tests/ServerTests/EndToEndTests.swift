import HTTPTypes
import Foundation
import Hummingbird
import HummingbirdWSClient
import Testing
import TestSupport
@testable import BubbleServer

/// Real sockets and real LMDB: alice on two devices, bob on one, in both dialects.
@Suite(.serialized) struct EndToEndTests {
    @Test func seedDialectUpdateShareUnshareStop() async throws {
        try await Harness.run { h in
            let phone = try await h.socket("alice", device: "phone")
            let tablet = try await h.socket("alice", device: "tablet")
            let bob = try await h.socket("bob", device: "bob-phone")

            phone.send(["type": "timer", "action": "update", "timer": teaTimer(), "requestId": "r1"])
            let result = try await phone.next(ofType("result"))
            #expect(result["requestId"] as? String == "r1")
            let seq = try #require(result["seq"] as? Int)
            let update = try await tablet.next(isTimerFrame("t1"))
            #expect(update["action"] as? String == "update")
            #expect(update["seq"] as? Int == seq)
            #expect(update["messageId"] as? String == String(seq))
            #expect(update["serverTime"] is Int)
            #expect((update["timer"] as? [String: Any])?["timerEnd"] as? String == "2025-08-12T14:03")
            try await phone.expectNone(isTimerFrame("t1"))
            try await bob.expectNone(within: 0, isTimerFrame("t1"))

            phone.send(["type": "share", "action": "add", "timerId": "t1", "sharedWithUser": "bob", "requestId": "r2"])
            _ = try await phone.next(reply("r2"))
            let invite = try await bob.next(isTimerFrame("t1"))
            #expect(invite["type"] as? String == "share")
            #expect((invite["timer"] as? [String: Any])?["name"] as? String == "Tea")
            #expect(try await tablet.next(isTimerFrame("t1"))["action"] as? String == "add")

            var paused = teaTimer()
            paused["timerEnd"] = nil
            paused["remainingDuration"] = "PT-3.2S"
            tablet.send(["type": "timer", "action": "update", "timer": paused])
            let bobUpdate = try await bob.next(isTimerFrame("t1"))
            #expect((bobUpdate["timer"] as? [String: Any])?["remainingDuration"] as? String == "PT-3.2S")
            _ = try await phone.next(isTimerFrame("t1"))
            try await tablet.expectNone(isTimerFrame("t1"))

            phone.send(["type": "share", "action": "remove", "timerId": "t1", "sharedWithUser": "bob"])
            let removal = try await bob.next(isTimerFrame("t1"))
            #expect(removal["action"] as? String == "remove")
            phone.send(["type": "timer", "action": "update", "timer": teaTimer(), "requestId": "r3"])
            _ = try await phone.next(reply("r3"))
            _ = try await tablet.next(isTimerFrame("t1"))
            try await bob.expectNone(isTimerFrame("t1"))

            tablet.send(["type": "timer", "action": "stop", "timerId": "t1", "requestId": "s1"])
            let stopped = try await tablet.next(reply("s1"))
            #expect(stopped["changed"] as? Bool == true)
            let stop = try await phone.next(isTimerFrame("t1"))
            #expect(stop["action"] as? String == "stop")
            tablet.send(["type": "timer", "action": "stop", "timerId": "t1", "requestId": "s2"])
            let again = try await tablet.next(reply("s2"))
            #expect(again["type"] as? String == "result")
            #expect(again["changed"] as? Bool == false)
            try await phone.expectNone(isTimerFrame("t1"))

            for s in [phone, tablet, bob] { await s.close() }
        }
    }

    @Test func androidDialectRelaysTheClientsOwnStrings() async throws {
        try await Harness.run { h in
            let phone = try await h.socket("alice", device: "phone", android: true)
            let tablet = try await h.socket("alice", device: "tablet", android: true)
            let bob = try await h.socket("bob", device: "bob-phone", android: true)
            let androidTimer: [String: Any] = [
                "id": "a1", "userId": "mallory", "name": "Pasta", "totalDuration": "PT4M59.123S",
                "timerEnd": "2025-08-12T14:03:07.123456789", "sharedWith": ["alice", "bob"], "tags": [],
            ]
            phone.send(["action": "sendmessage", "data": ["type": "updateTimer", "reason": "start", "shareWith": ["alice", "bob"], "timer": androidTimer]])
            let got = try await bob.next(isTimerFrame("a1"))
            #expect(got["type"] as? String == "updateTimer")
            let t = try #require(got["timer"] as? [String: Any])
            #expect(t["userId"] as? String == "alice")
            #expect(t["totalDuration"] as? String == "PT4M59.123S")
            #expect(t["timerEnd"] as? String == "2025-08-12T14:03:07.123456789")
            #expect(t["remainingDuration"] == nil)
            #expect(t["sharedWith"] as? [String] == ["alice", "bob"])
            _ = try await tablet.next { ($0["timer"] as? [String: Any])?["id"] as? String == "a1" }
            try await phone.expectNone(isTimerFrame("a1"))

            phone.send(["action": "sendmessage", "data": ["type": "ping", "timestamp": 1234, "direct": true]])
            #expect(try await phone.next(ofType("pong"))["timestamp"] as? Int == 1234)
            #expect(try await tablet.next(ofType("pong"))["timestamp"] as? Int == 1234)

            bob.send(["action": "sendmessage", "data": ["type": "stopTimer", "timerId": "a1", "shareWith": ["alice"], "timer": androidTimer]])
            bob.send(["action": "sendmessage", "data": ["type": "stopTimer", "timerId": "a1", "shareWith": ["alice"], "timer": androidTimer]])
            #expect(try await phone.next(isTimerFrame("a1"))["type"] as? String == "stopTimer")
            _ = try await tablet.next(isTimerFrame("a1"))
            try await phone.expectNone(isTimerFrame("a1"))
            bob.send(["action": "sendmessage", "data": ["type": "acknowledge", "messageId": ""]])
            try await bob.expectNone { $0["type"] as? String == "error" }
            for s in [phone, tablet, bob] { await s.close() }
        }
    }

    @Test func reconnectingGetsTheCurrentStateInItsDialect() async throws {
        try await Harness.run { h in
            let phone = try await h.socket("alice", device: "phone")
            phone.send(["type": "timer", "action": "update", "timer": teaTimer(), "shareWith": ["bob"], "requestId": "r1"])
            _ = try await phone.next(reply("r1"))
            let bob = try await h.socket("bob", device: "bob-phone", android: true)
            await bob.close()
            var headers = HTTPFields()
            headers[.authorization] = try await h.token("bob")
            headers[.userAgent] = "BubbleTimer-Android/1.0"
            let again = TestSocket()
            try await again.connect(url: "ws://127.0.0.1:\(h.port)/ws", headers: headers)
            let list = try await again.next(ofType("activeTimerList"))
            #expect((list["timerList"] as? [[String: Any]])?.map { $0["id"] as? String } == ["t1"])
            // The same user in the seed dialect gets the same state as a snapshot.
            let seed = TestSocket()
            try await seed.connect(url: "ws://127.0.0.1:\(h.port)/ws?token=\(try await h.token("bob"))&deviceId=web", headers: [:])
            let snapshot = try await seed.next(ofType("snapshot"))
            #expect((snapshot["timers"] as? [[String: Any]])?.map { $0["id"] as? String } == ["t1"])
            await seed.close()
            await again.close()
            await phone.close()
        }
    }

    @Test func rulesAreEnforcedWithErrorFramesAndStatuses() async throws {
        try await Harness.run { h in
            let alice = try await h.socket("alice", device: "phone")
            alice.send(["type": "timer", "action": "update", "timer": teaTimer(), "shareWith": ["bob"], "requestId": "r1"])
            _ = try await alice.next(reply("r1"))

            let bob = try await h.socket("bob", device: "bob-phone")
            bob.send(["type": "share", "action": "add", "timerId": "t1", "sharedWithUser": "carol", "requestId": "b1"])
            let refused = try await bob.next(reply("b1"))
            #expect(refused["type"] as? String == "error")
            #expect(refused["code"] as? String == "forbidden")

            let carol = try await h.socket("carol", device: "laptop")
            carol.send(["type": "timer", "action": "update", "timer": teaTimer(), "requestId": "c1"])
            #expect(try await carol.next(reply("c1"))["code"] as? String == "not_found")
            #expect(try await h.rest(.get, "/timers/t1", as: "carol").status == .notFound)
            #expect(try await h.rest(.get, "/timers/t1", as: "bob").status == .ok)
            #expect(try await h.rest(.post, "/timers/t1/shares", as: "bob", body: #"{"userId":"carol"}"#).status == .forbidden)

            // Malformed, unknown and incomplete frames: an error frame each, nothing appended, connection kept.
            let before = try await h.rest(.get, "/timers/t1", as: "alice").json as? [String: Any]
            carol.sendRaw("{not json")
            #expect(try await carol.next(ofType("error"))["code"] as? String == "malformed_json")
            carol.send(["type": "teleport", "requestId": "u1"])
            #expect(try await carol.next(reply("u1"))["code"] as? String == "unknown_type")
            carol.send(["type": "timer", "action": "update", "timer": ["id": "x"], "requestId": "m1"])
            let missing = try await carol.next(reply("m1"))
            #expect(missing["code"] as? String == "missing_field")
            #expect((missing["message"] as? String)?.contains("timer.name") == true)
            carol.send(["type": "ping", "timestamp": 5, "requestId": "p1"])
            #expect(try await carol.next(reply("p1"))["type"] as? String == "pong")
            let after = try await h.rest(.get, "/timers/t1", as: "alice").json as? [String: Any]
            #expect(NSDictionary(dictionary: before ?? [:]).isEqual(to: after ?? [:]))
            for s in [alice, bob, carol] { await s.close() }
        }
    }

    @Test func badTokensAreRefusedAtTheHandshakeAndOnREST() async throws {
        try await Harness.run { h in
            // The handshake's 401 and body are asserted in FidelityTests; a real client sees a failure.
            for auth in ["Bearer nonsense", "", "Bearer \(try await Self.foreignToken())"] {
                var headers = HTTPFields()
                if !auth.isEmpty { headers[.authorization] = auth }
                await #expect(throws: WebSocketClientError.self) {
                    try await WebSocketClient.connect(url: .init("ws://127.0.0.1:\(h.port)/ws"), configuration: .init(additionalHeaders: headers), logger: .init(label: "t")) { _, _, _ in }
                }
            }
            let response = try await h.client.execute(uri: "/timers", method: .get, headers: [.authorization: "Bearer nonsense"]) { $0 }
            #expect(response.status == .unauthorized)
            let body = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any]
            #expect(body?["code"] as? String == "unauthorized")
            #expect(body?["error"] as? String == "the token's signature or format is not valid")
            #expect(try await h.client.execute(uri: "/health", method: .get) { $0.status } == .ok)
            // ?token= on the socket URL (seed 001) works.
            let token = try await h.token("alice")
            let socket = TestSocket()
            try await socket.connect(url: "ws://127.0.0.1:\(h.port)/ws?token=\(token)&deviceId=web", headers: [:])
            _ = try await socket.next(ofType("snapshot"))
            await socket.close()
        }
    }

    @Test func stateSurvivesARestartOnTheSameDirectory() async throws {
        let directory = TemporaryDirectory("restart")
        let seqBox = Locked<Int>(0)
        try await Harness.run(directory: directory) { h in
            let phone = try await h.socket("alice", device: "phone")
            phone.send(["type": "timer", "action": "update", "timer": teaTimer(), "shareWith": ["bob"], "requestId": "r1"])
            let seq = try #require(try await phone.next(reply("r1"))["seq"] as? Int)
            seqBox.set(seq)
            phone.send(["type": "timer", "action": "stop", "timerId": "t1", "requestId": "r2"])
            _ = try await phone.next(reply("r2"))
            phone.send(["type": "timer", "action": "update", "timer": ["id": "t9", "name": "After", "totalDuration": "PT9M"], "shareWith": ["bob"], "requestId": "r3"])
            _ = try await phone.next(reply("r3"))
            await phone.close()
        }
        try await Harness.run(directory: directory) { h in
            let shared = try await h.rest(.get, "/timers/shared", as: "bob")
            #expect((shared.json as? [[String: Any]])?.map { $0["id"] as? String } == ["t9"])
            // bob last saw the share; after the restart he resumes from the log.
            let bob = try await h.socket("bob", device: "bob-phone", query: "?since=\(seqBox.get())")
            #expect(try await bob.next(isTimerFrame("t1"))["action"] as? String == "stop")
            // Created and shared in one command: one frame with the whole timer.
            let t9 = try await bob.next(isTimerFrame("t9"))
            #expect(t9["action"] as? String == "update")
            #expect((t9["timer"] as? [String: Any])?["sharedWith"] as? [String] == ["alice", "bob"])
            #expect(try await bob.next(ofType("resumed"))["count"] as? Int == 2)
            await bob.close()
        }
    }

    /// A token signed with a key the server does not trust.
    static func foreignToken() async throws -> String {
        var auth = AuthConfiguration()
        auth.hmacSecret = "someone-elses-secret-someone-elses-secret-42"
        return try await TokenVerifier(auth).mint(user: "alice")
    }
}

func teaTimer() -> [String: Any] { ["id": "t1", "name": "Tea", "totalDuration": "PT3M", "timerEnd": "2025-08-12T14:03"] }

extension EndToEndTests {
    @Test func resumeDeliversExactlyTheMissedEventsThenLiveFrames() async throws {
        try await Harness.run { h in
            let alice = try await h.socket("alice", device: "phone")
            alice.send(["type": "timer", "action": "update", "timer": teaTimer(), "shareWith": ["bob"], "requestId": "r1"])
            let shared = try #require(try await alice.next(reply("r1"))["seq"] as? Int)

            // bob is away while three things happen: two that concern him, one that does not.
            var paused = teaTimer()
            paused["timerEnd"] = nil
            paused["remainingDuration"] = "PT1M"
            alice.send(["type": "timer", "action": "update", "timer": paused, "requestId": "r2"])
            alice.send(["type": "timer", "action": "update", "timer": ["id": "solo", "name": "Mine", "totalDuration": "PT1M"], "requestId": "r3"])
            alice.send(["type": "timer", "action": "stop", "timerId": "t1", "requestId": "r4"])
            _ = try await alice.next(reply("r4"))

            let bob = try await h.socket("bob", device: "bob-phone", query: "?since=\(shared)")
            let first = try await bob.next(isTimerFrame("t1"))
            #expect(first["action"] as? String == "update")
            #expect((first["timer"] as? [String: Any])?["remainingDuration"] as? String == "PT1M")
            let second = try await bob.next(isTimerFrame("t1"))
            #expect(second["action"] as? String == "stop")
            #expect((second["seq"] as? Int ?? 0) > (first["seq"] as? Int ?? 0))
            let done = try await bob.next(ofType("resumed"))
            #expect(done["count"] as? Int == 2)
            try await bob.expectNone(within: 0.1, isTimerFrame("solo"))

            // Then live frames.
            alice.send(["type": "timer", "action": "update", "timer": ["id": "t2", "name": "Next", "totalDuration": "PT2M"], "shareWith": ["bob"]])
            _ = try await bob.next(isTimerFrame("t2"))

            // A since ahead of the log cannot be resumed: a snapshot says so.
            var headers = HTTPFields()
            headers[.authorization] = "Bearer \(try await h.token("bob"))"
            let lost = TestSocket()
            try await lost.connect(url: "ws://127.0.0.1:\(h.port)/ws?since=999999", headers: headers)
            let snapshot = try #require(try await lost.waitForRawFrame(containing: "\"snapshot\""))
            #expect(snapshot.contains("\"resumed\":false"))
            for s in [alice, bob, lost] { await s.close() }
        }
    }
}

extension HeavyLoad {
@Suite(.serialized) struct LimitsTests {
    @Test func aClientThatNeverReadsIsClosedAsSlowWhileOthersKeepReceiving() async throws {
        try await Harness.run(configure: { c in
            c.outboundQueueBytes = 16 * 1024
            c.removeRateLimits()
        }) { h in
            let alice = try await h.socket("alice", device: "phone")
            let tablet = try await h.socket("alice", device: "tablet")
            let stalled = try await StalledClient.open(port: h.port, token: try await h.token("bob"), device: "stalled-phone")
            #expect(stalled.handshake.hasPrefix("HTTP/1.1 101"))
            // ~2.5 KB frames: 3,000 of them outgrow the kernel's socket buffers (4 MB at most here).
            let name = String(repeating: "n", count: 250)
            let tags = (0..<32).map { "tag-\($0)-" + String(repeating: "t", count: 50) }
            var last = 0
            for i in 0..<3000 {
                alice.send(["type": "timer", "action": "update", "requestId": "u\(i)", "shareWith": ["bob"],
                            "timer": ["id": "big", "name": name, "totalDuration": "PT\(i + 1)S", "tags": tags]])
                last = i
            }
            _ = try await alice.next(timeout: 120, reply("u\(last)"))
            // The tablet got the very last update: the stalled socket held nobody up.
            _ = try await tablet.next(timeout: 60, lastUpdate("PT\(last + 1)S"))
            // The stalled connection was closed and its disconnect recorded with the reason.
            let deadline = Date().addingTimeInterval(60)
            var reason: String?
            while Date() < deadline, reason == nil {
                reason = try h.disconnectReason(user: "bob", device: "stalled-phone")
                if reason == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(reason?.contains("slow consumer") == true)
            for s in [alice, tablet] { await s.close() }
        }
    }

    @Test func oversizeFramesCloseWith1009AndRateLimitsAnswerWithErrors() async throws {
        try await Harness.run(configure: { c in
            c.maxFrameBytes = 1024
            c.messagesPerSecond = 1
            c.messageBurst = 3
        }) { h in
            let limited = try await h.socket("alice", device: "phone")
            for i in 0..<6 { limited.send(["type": "timer", "action": "stop", "timerId": "none", "requestId": "p\(i)"]) }
            _ = try await limited.next { $0["type"] as? String == "error" && $0["code"] as? String == "rate_limited" }
            let huge = try await h.socket("alice", device: "tablet")
            huge.sendRaw("{\"type\":\"ping\",\"pad\":\"" + String(repeating: "x", count: 4096) + "\"}")
            let deadline = Date().addingTimeInterval(5)
            while !huge.isClosed, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(huge.isClosed)
            #expect(huge.closeCode == 1009)
            let big = try await h.rest(.post, "/timers/t1", as: "alice", body: "{\"name\":\"" + String(repeating: "x", count: 4096) + "\",\"totalDuration\":\"PT1M\"}")
            #expect(big.status == .contentTooLarge)
            await limited.close()
        }
    }
}
}

extension EndToEndTests {
    @Test func metricsCountCommandsLatencyFramesAndAuthFailures() async throws {
        try await Harness.run { h in
            let phone = try await h.socket("alice", device: "phone")
            let tablet = try await h.socket("alice", device: "tablet")
            phone.send(["type": "timer", "action": "update", "timer": teaTimer(), "requestId": "r1"])
            _ = try await phone.next(reply("r1"))
            _ = try await tablet.next(isTimerFrame("t1"))
            phone.send(["type": "timer", "action": "stop", "timerId": "nope", "requestId": "r2"])
            _ = try await phone.next(reply("r2"))
            _ = try await h.client.execute(uri: "/timers", method: .get, headers: [.authorization: "Bearer bad"]) { $0.status }
            let text = try await h.client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(text.contains(#"bubble_commands_total{type="update",outcome="appended"} 1"#) || text.contains(#"bubble_commands_total{outcome="appended",type="update"} 1"#))
            #expect(text.contains("outcome=\"noop\""))
            #expect(text.contains("bubble_append_seconds_bucket"))
            #expect(text.contains("bubble_commit_to_send_seconds_count"))
            // Group commits: two connects, the update and the stop at least went through one.
            #expect(text.contains("bubble_commit_seconds_bucket"))
            let batched = text.split(separator: "\n").first { $0.hasPrefix("bubble_batch_commands_sum ") }
                .flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
            #expect(batched >= 4)
            #expect(text.contains("bubble_auth_failures_total 1"))
            #expect(text.contains("bubble_connections 2"))
            #expect(!text.contains("bubble_frames_sent_total 0"))
            for s in [phone, tablet] { await s.close() }
        }
    }
}


extension HeavyLoad.LimitsTests {
    @Test func aNewerConnectionReplacesTheDeviceAndTooManyAreRefused() async throws {
        try await Harness.run(configure: { $0.maxConnectionsPerUser = 2 }) { h in
            let first = try await h.socket("alice", device: "phone")
            let again = try await h.socket("alice", device: "phone")
            let deadline = Date().addingTimeInterval(30)
            while !first.isClosed, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(first.closeCode == 1000)
            let tablet = try await h.socket("alice", device: "tablet")
            var headers = HTTPFields()
            headers[.authorization] = "Bearer \(try await h.token("alice"))"
            headers[HTTPField.Name("DeviceId")!] = "laptop"
            let third = TestSocket()
            try await third.connect(url: "ws://127.0.0.1:\(h.port)/ws", headers: headers)
            while !third.isClosed, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(third.closeCode == 1008)
            // The replacement still works.
            again.send(["type": "ping", "timestamp": 1, "requestId": "p"])
            _ = try await again.next(reply("p"))
            // `third` too: were it ever accepted, the harness would wait on it for good.
            for s in [again, tablet, third] { await s.close() }
        }
    }
}

final class Locked<T: Sendable>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ value: T) { self.value = value }
    func get() -> T { lock.withLock { value } }
    func set(_ v: T) { lock.withLock { value = v } }
}

extension HeavyLoad.LimitsTests {
    @Test func restCallsOverTheRateGet429() async throws {
        try await Harness.run(configure: { c in
            c.messagesPerSecond = 1
            c.messageBurst = 2
        }) { h in
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<4 { statuses.append(try await h.rest(.get, "/timers", as: "alice").status) }
            #expect(statuses.prefix(2).allSatisfy { $0 == .ok })
            #expect(statuses.last == .tooManyRequests)
            // Another user has a bucket of their own.
            #expect(try await h.rest(.get, "/timers", as: "bob").status == .ok)
        }
    }
}

/// Suites that load the machine run one after another, not beside each other.
@Suite(.serialized) enum HeavyLoad {}

func lastUpdate(_ duration: String) -> ([String: Any]) -> Bool {
    { ($0["timer"] as? [String: Any])?["totalDuration"] as? String == duration }
}
