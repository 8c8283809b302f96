import Foundation
import HTTPTypes
import Testing
import TestSupport
import TimerDomain
import BubbleCore
@testable import BubbleServer

private func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
private func instant(_ ms: Int64) -> String { ISO8601.format(milliseconds: ms) }
private func timerOf(_ frame: [String: Any]) -> [String: Any] { frame["timer"] as? [String: Any] ?? [:] }

/// The server keeps time: countdown commands, completions, reminders, zones and clock sync,
/// over real sockets with the scheduler on.
@Suite struct TimeTests {
    static func run(_ body: @Sendable @escaping (Harness) async throws -> Void) async throws {
        try await Harness.run(configure: { $0.scheduler = true; $0.timeZone = "UTC" }, body)
    }

    @Test func countdownCommandsOverRESTReachBothDialectsAsTheTimerTheyUnderstand() async throws {
        try await Self.run { h in
            let end = nowMs() + 600_000
            let created = try await h.rest(.post, "/timers/tea", as: "alice", body: #"{"name":"Tea","totalDuration":"PT10M","endTime":"\#(instant(end))","shareWith":["bob"]}"#)
            #expect(created.status == .ok)
            let bobAndroid = try await h.socket("bob", device: "phone", android: true)
            let bobSeed = try await h.socket("bob", device: "laptop")

            let paused = try await h.rest(.post, "/timers/tea/pause", as: "alice")
            #expect(paused.status == .ok)
            let body = try #require(paused.json as? [String: Any])
            #expect(body["changed"] as? Bool == true)
            let timer = try #require(body["timer"] as? [String: Any])
            #expect(timer["state"] as? String == "paused")
            #expect(timer["endTime"] == nil)
            let left = try #require(ISO8601.durationMilliseconds(timer["remainingDuration"] as? String ?? ""))
            #expect(left > 590_000 && left <= 600_000)
            let onAndroid = timerOf(try await bobAndroid.next(ofType("updateTimer")))
            #expect(onAndroid["remainingDuration"] as? String == timer["remainingDuration"] as? String)
            #expect(onAndroid["timerEnd"] == nil && onAndroid["state"] == nil)
            #expect(timerOf(try await bobSeed.next(isTimerFrame("tea")))["state"] as? String == "paused")

            // Pausing again changes nothing and says so.
            let again = try await h.rest(.post, "/timers/tea/pause", as: "bob")
            #expect((again.json as? [String: Any])?["changed"] as? Bool == false)

            let resumed = try await h.rest(.post, "/timers/tea/resume", as: "bob")
            let resumedTimer = try #require((resumed.json as? [String: Any])?["timer"] as? [String: Any])
            let endsAt = try #require(resumedTimer["endsAt"] as? Int64)
            #expect(resumedTimer["endTime"] as? String == instant(endsAt))
            // Android devices get the end as local time (UTC here) without an offset.
            let androidEnd = try #require(timerOf(try await bobAndroid.next(ofType("updateTimer")))["timerEnd"] as? String)
            #expect(androidEnd == ISO8601.formatLocal(milliseconds: endsAt))

            let added = try await h.rest(.post, "/timers/tea/add", as: "alice", body: #"{"duration":"PT1M"}"#)
            #expect(((added.json as? [String: Any])?["timer"] as? [String: Any])?["endsAt"] as? Int64 == endsAt + 60_000)
            let set = try await h.rest(.post, "/timers/tea/set", as: "alice", body: #"{"remaining":"PT4M"}"#)
            let setEnd = try #require(((set.json as? [String: Any])?["timer"] as? [String: Any])?["endsAt"] as? Int64)
            #expect(abs(setEnd - (nowMs() + 240_000)) < 5_000)
            let reset = try await h.rest(.post, "/timers/tea/reset", as: "alice")
            #expect(((reset.json as? [String: Any])?["timer"] as? [String: Any])?["remainingDuration"] as? String == "PT10M")

            let missing = try await h.rest(.post, "/timers/tea/add", as: "alice", body: "{}")
            #expect(missing.status == .badRequest)
            #expect((missing.json as? [String: Any])?["code"] as? String == "missing_field")
            let bad = try await h.rest(.post, "/timers/tea/set", as: "alice", body: #"{"remaining":"soon"}"#)
            #expect(bad.status == .badRequest)
            #expect((bad.json as? [String: Any])?["field"] as? String == "remaining")
            let stranger = try await h.rest(.post, "/timers/tea/start", as: "carol")
            #expect(stranger.status == .notFound)
            #expect((stranger.json as? [String: Any])?["code"] as? String == "not_found")
            for s in [bobAndroid, bobSeed] { await s.close() }
        }
    }

    @Test func seedFramesRunCountdownCommandsAndTimeSync() async throws {
        try await Self.run { h in
            let alice = try await h.socket("alice", device: "laptop")
            alice.send(["type": "timer", "action": "update", "requestId": "c", "timer": ["id": "egg", "name": "Egg", "totalDuration": "PT6M"]])
            #expect(try await alice.next(reply("c"))["type"] as? String == "result")
            alice.send(["type": "timer", "action": "start", "timerId": "egg", "requestId": "s"])
            let started = try await alice.next(reply("s"))
            #expect(started["type"] as? String == "result")
            #expect(started["changed"] as? Bool == true)
            alice.send(["type": "timer", "action": "add", "timerId": "egg", "duration": "PT-30S", "requestId": "a"])
            #expect(try await alice.next(reply("a"))["changed"] as? Bool == true)
            alice.send(["type": "timer", "action": "add", "timerId": "egg", "requestId": "bad"])
            let refused = try await alice.next(reply("bad"))
            #expect(refused["type"] as? String == "error")
            #expect(refused["code"] as? String == "missing_field")
            alice.send(["type": "timer", "action": "rewind", "timerId": "egg", "requestId": "u"])
            #expect(try await alice.next(reply("u"))["code"] as? String == "unknown_action")

            let t0 = nowMs()
            alice.send(["type": "time", "t0": t0, "requestId": "clock"])
            let time = try await alice.next(reply("clock"))
            #expect(time["type"] as? String == "time")
            #expect(time["t0"] as? Int64 == t0)
            // Server stamps are ms to the microsecond.
            let t1 = try #require((time["t1"] as? NSNumber)?.doubleValue), t2 = try #require((time["t2"] as? NSNumber)?.doubleValue)
            #expect(t1 <= t2 && t1 >= Double(t0 - 1_000) && t2 <= Double(nowMs() + 1_000))

            let clock = try await h.client.execute(uri: "/time", method: .get) { response in
                (response.status, try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            }
            #expect(clock.0 == .ok)
            #expect(clock.1?["timeZone"] as? String == "UTC")
            #expect(abs((clock.1?["serverTime"] as? Int64 ?? 0) - nowMs()) < 5_000)
            await alice.close()
        }
    }

    @Test func aTimerCompletesOnTheServerSeedClientsHearItAndAndroidIsSentNothing() async throws {
        try await Self.run { h in
            let bobSeed = try await h.socket("bob", device: "laptop")
            let bobAndroid = try await h.socket("bob", device: "phone", android: true)
            let end = nowMs() + 800
            _ = try await h.rest(.post, "/timers/soon", as: "alice", body: #"{"name":"Soon","totalDuration":"PT1S","endTime":"\#(instant(end))","shareWith":["bob"]}"#)
            _ = try await bobAndroid.next(ofType("updateTimer"))
            let completed = try await bobSeed.next(ofType("timerCompleted"))
            #expect(completed["timerId"] as? String == "soon")
            #expect(completed["dueAt"] as? Int64 == end)
            let lateMs = try #require(completed["lateMs"] as? Int64)
            #expect(lateMs >= 0 && lateMs < 1_000)
            #expect(completed["late"] as? Bool == false)
            #expect(timerOf(completed)["state"] as? String == "completed")
            let seq = try #require(completed["seq"] as? Int)
            try await bobAndroid.expectNone(within: 0.3) { $0["timerId"] as? String == "soon" || timerOf($0)["id"] as? String == "soon" }

            let metrics = h.server.state.metrics
            #expect(metrics.value(of: #"bubble_scheduler_fired_total{what="completion",kind="on_time"}"#) == 1)
            #expect(metrics.text().contains("bubble_scheduler_lateness_seconds_count 1"))

            // It stays, as completed, until someone stops it.
            let listed = try await h.rest(.get, "/timers/soon", as: "alice")
            #expect((listed.json as? [String: Any])?["state"] as? String == "completed")
            #expect((listed.json as? [String: Any])?["completedAt"] as? Int64 == end)
            // Pausing a completed timer is refused; adding time runs it again.
            let pause = try await h.rest(.post, "/timers/soon/pause", as: "alice")
            #expect(pause.status == .conflict)
            #expect((pause.json as? [String: Any])?["code"] as? String == "invalid_state")

            // A resuming seed client gets the completion among its missed frames. Frames carry
            // the command's last seq (its notifications follow the completion): resume from
            // just before the command.
            let store = h.server.state.store
            let completion = try store.read { txn -> UInt64 in
                var at: UInt64 = 0
                try store.log.history(of: .timer("soon"), txn) { e in
                    if case .timerCompleted = e.event { at = e.seq }
                    return true
                }
                return at
            }
            #expect(completion > 0 && completion < UInt64(seq))
            let resumed = try await h.socket("bob", device: "tablet", query: "?since=\(completion - 1)")
            let missed = try await resumed.next(ofType("timerCompleted"))
            #expect(missed["seq"] as? Int == seq)
            _ = try await resumed.next(ofType("resumed"))
            for s in [bobSeed, bobAndroid, resumed] { await s.close() }
        }
    }

    /// Found by the fuzzer: an end in year 1 fired "2,000 years late" overflowed the lateness
    /// metric's nanoseconds and trapped the server.
    @Test func anEndCenturiesAgoCompletesWithoutTrapping() async throws {
        try await Self.run { h in
            let bob = try await h.socket("bob", device: "laptop")
            _ = try await h.rest(.post, "/timers/ancient", as: "bob", body: #"{"name":"Old","totalDuration":"PT1S","endTime":"0001-01-01T00:00:00Z"}"#)
            let completed = try await bob.next(ofType("timerCompleted"))
            #expect(completed["dueAt"] as? Int64 == ISO8601.instantMilliseconds("0001-01-01T00:00:00Z"))
            #expect((completed["lateMs"] as? Int64 ?? 0) > 60_000_000_000_000)
            let health = try await h.client.execute(uri: "/health", method: .get) { $0.status }
            #expect(health == .ok)
            await bob.close()
        }
    }

    @Test func remindersFireForTheirOwnerFollowTheEndAndCanBeCancelled() async throws {
        try await Self.run { h in
            let end = nowMs() + 60_000
            _ = try await h.rest(.post, "/timers/pasta", as: "alice", body: #"{"name":"Pasta","totalDuration":"PT1M","endTime":"\#(instant(end))","shareWith":["bob"]}"#)
            // Due in 4 s (then 6 s): room for the requests before it under a loaded test run.
            let set = try await h.rest(.post, "/timers/pasta/reminders", as: "bob", body: #"{"before":"PT56S"}"#)
            #expect(set.status == .created)
            let reminder = try #require((set.json as? [String: Any])?["reminder"] as? [String: Any])
            let id = try #require(reminder["id"] as? String)
            #expect(reminder["before"] as? String == "PT56S")
            #expect(reminder["dueAt"] as? Int64 == end - 56_000)
            let later = try await h.rest(.post, "/timers/pasta/reminders", as: "bob", body: #"{"at":"\#(instant(end + 3_600_000))"}"#)
            let laterID = try #require(((later.json as? [String: Any])?["reminder"] as? [String: Any])?["id"] as? String)

            let list = try #require(try await h.rest(.get, "/me/reminders", as: "bob").json as? [[String: Any]])
            #expect(list.map { $0["id"] as? String } == [id, laterID])
            #expect((try await h.rest(.get, "/me/reminders", as: "alice").json as? [[String: Any]])?.isEmpty == true)

            // Adding time moves the reminder with the end.
            _ = try await h.rest(.post, "/timers/pasta/add", as: "alice", body: #"{"duration":"PT2S"}"#)
            let moved = try #require(try await h.rest(.get, "/me/reminders", as: "bob").json as? [[String: Any]])
            #expect(moved.first?["dueAt"] as? Int64 == end - 54_000)

            let bob = try await h.socket("bob", device: "laptop")
            let alice = try await h.socket("alice", device: "laptop")
            let fired = try await bob.next(timeout: 10, ofType("reminder"))
            #expect(fired["reminderId"] as? String == id)
            #expect(fired["dueAt"] as? Int64 == end - 54_000)
            try await alice.expectNone(within: 0.3, ofType("reminder"))
            let after = try #require(try await h.rest(.get, "/me/reminders", as: "bob").json as? [[String: Any]])
            #expect(after.map { $0["id"] as? String } == [laterID])

            let cancelledByOther = try await h.rest(.delete, "/reminders/\(laterID)", as: "alice")
            #expect(cancelledByOther.status == .notFound)
            #expect((cancelledByOther.json as? [String: Any])?["code"] as? String == "not_found")
            let cancelled = try await h.rest(.delete, "/reminders/\(laterID)", as: "bob")
            #expect(cancelled.status == .ok)
            #expect((cancelled.json as? [String: Any])?["result"] as? String == "cancelled")
            #expect(try await h.rest(.delete, "/reminders/\(laterID)", as: "bob").status == .notFound)

            let both = try await h.rest(.post, "/timers/pasta/reminders", as: "bob", body: #"{"before":"PT1M","at":"\#(instant(end))"}"#)
            #expect(both.status == .badRequest)
            #expect((both.json as? [String: Any])?["code"] as? String == "missing_field")
            let negative = try await h.rest(.post, "/timers/pasta/reminders", as: "bob", body: #"{"before":"-PT1M"}"#)
            #expect(negative.status == .badRequest)
            #expect((negative.json as? [String: Any])?["field"] as? String == "before")
            let local = try await h.rest(.post, "/timers/pasta/reminders", as: "bob", body: #"{"at":"2030-01-01T00:00:00"}"#)
            #expect(local.status == .badRequest)
            #expect((local.json as? [String: Any])?["field"] as? String == "at")
            // An instant already past fires at once.
            _ = try await h.rest(.post, "/timers/pasta/reminders", as: "bob", body: #"{"at":"2020-01-01T00:00:00Z"}"#)
            let overdue = try await bob.next(ofType("reminder"))
            #expect(overdue["dueAt"] as? Int64 == ISO8601.instantMilliseconds("2020-01-01T00:00:00Z"))
            for s in [alice, bob] { await s.close() }
        }
    }

    @Test func zonesComeFromTheDeviceThenTheUserThenTheServer() async throws {
        try await Self.run { h in
            let me = try #require(try await h.rest(.get, "/me", as: "bob").json as? [String: Any])
            #expect(me["id"] as? String == "bob")
            #expect(me["timeZone"] is NSNull)
            #expect(me["effectiveTimeZone"] as? String == "UTC")
            let patched = try await h.rest(.patch, "/me", as: "bob", body: #"{"timeZone":"Europe/Berlin"}"#)
            #expect(patched.status == .ok)
            #expect((patched.json as? [String: Any])?["timeZone"] as? String == "Europe/Berlin")
            let wrong = try await h.rest(.patch, "/me", as: "bob", body: #"{"timeZone":"Europe/Atlantis"}"#)
            #expect(wrong.status == .badRequest)
            #expect((wrong.json as? [String: Any])?["field"] as? String == "timeZone")
            let unknown = try await h.rest(.patch, "/me", as: "bob", body: #"{"email":"bob@example.com"}"#)
            #expect(unknown.status == .badRequest)
            #expect((unknown.json as? [String: Any])?["code"] as? String == "unknown_field")

            // Bob's phone renders in his zone; carol's phone names its own with ?tz=.
            let bobPhone = try await h.socket("bob", device: "phone", android: true)
            let carolPhone = try await h.socket("carol", device: "phone", android: true, query: "?tz=America/New_York")
            let alice = try await h.socket("alice", device: "laptop")
            alice.send(["type": "timer", "action": "update", "requestId": "u", "shareWith": ["bob", "carol"],
                        "timer": ["id": "z", "name": "Z", "totalDuration": "PT1H", "timerEnd": "2030-12-01T10:00:00Z"]])
            _ = try await alice.next(reply("u"))
            #expect(timerOf(try await bobPhone.next(ofType("updateTimer")))["timerEnd"] as? String == "2030-12-01T11:00:00.000")
            #expect(timerOf(try await carolPhone.next(ofType("updateTimer")))["timerEnd"] as? String == "2030-12-01T05:00:00.000")

            // A local end from bob's phone is read in Berlin and shown in New York as such.
            bobPhone.send(["action": "sendmessage", "data": ["type": "updateTimer", "shareWith": ["carol"],
                           "timer": ["id": "y", "userId": "bob", "name": "Y", "totalDuration": "PT1H", "timerEnd": "2030-12-01T10:00", "sharedWith": []]]])
            #expect(timerOf(try await carolPhone.next(isTimerFrame("y")))["timerEnd"] as? String == "2030-12-01T04:00:00.000")
            let y = try #require(try await h.rest(.get, "/timers/y", as: "bob").json as? [String: Any])
            #expect(y["endsAt"] as? Int64 == ISO8601.instantMilliseconds("2030-12-01T09:00:00Z"))

            // Bob moves to Tokyo: his open phone renders ends there from now on.
            _ = try await h.rest(.patch, "/me", as: "bob", body: #"{"timeZone":"Asia/Tokyo"}"#)
            alice.send(["type": "timer", "action": "update", "requestId": "u2",
                        "timer": ["id": "z", "name": "Z2", "totalDuration": "PT1H", "timerEnd": "2030-12-01T10:00:00Z"]])
            _ = try await alice.next(reply("u2"))
            #expect(timerOf(try await bobPhone.next(ofType("updateTimer")))["timerEnd"] as? String == "2030-12-01T19:00:00.000")

            let me2 = try #require(try await h.rest(.get, "/me", as: "carol").json as? [String: Any])
            #expect((me2["devices"] as? [[String: Any]])?.first?["timeZone"] as? String == "America/New_York")
            let (status, body) = try await rawExchange(port: h.port, "GET /ws?tz=Mars/Base HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + "Authorization: Bearer \(try await h.token("carol"))\r\nDeviceId: phone\r\n\r\n")
            #expect(status == 400)
            let json = try #require((try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any], "\(body)")
            #expect(json["field"] as? String == "tz")
            for s in [bobPhone, carolPhone, alice] { await s.close() }
        }
    }
}
