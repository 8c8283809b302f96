import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
import BubbleCore
@testable import BubbleServer

/// Issue 9: every client sees the truth, played with the deployed Android app's exact frames
/// and with seed-dialect clients against a live server.
@Suite(.serialized) struct FidelityTests {
    /// The app's `updateTimer` frame, as `WebsocketManager.sendUpdateTimerToWebsocket` builds it.
    static func androidUpdate(_ timer: [String: Any], shareWith: [String]) -> [String: Any] {
        ["action": "sendmessage", "data": ["type": "updateTimer", "reason": "created", "shareWith": shareWith, "timer": timer]]
    }

    static func androidTimer(_ id: String, owner: String = "alice", sharedWith: [String] = []) -> [String: Any] {
        ["id": id, "userId": owner, "name": "Tea", "totalDuration": "PT3M", "timerEnd": "2025-08-12T14:03", "sharedWith": sharedWith, "tags": []]
    }

    func head(_ h: Harness) async throws -> Int {
        try await h.client.execute(uri: "/health", method: .get) { r in
            ((try? JSONSerialization.jsonObject(with: Data(buffer: r.body))) as? [String: Any])?["seq"] as? Int ?? -1
        }
    }

    // 1. One frame per device per command, live and on resume.
    @Test func aCommandReachesEachDeviceAsOneFrameWithTheStateAfterIt() async throws {
        try await Harness.run { h in
            let phone = try await h.socket("alice", device: "phone", android: true)
            let tablet = try await h.socket("alice", device: "tablet", android: true)
            let bob = try await h.socket("bob", device: "bob-phone", android: true)
            let carol = try await h.socket("carol", device: "carol-web")
            let before = try await head(h)

            phone.send(Self.androidUpdate(Self.androidTimer("t1", sharedWith: ["alice", "bob", "carol"]), shareWith: ["alice", "bob", "carol"]))
            let onTablet = try await tablet.next(isTimerFrame("t1"))
            #expect(onTablet["type"] as? String == "updateTimer")
            #expect((onTablet["timer"] as? [String: Any])?["sharedWith"] as? [String] == ["alice", "bob", "carol"])
            let last = try await head(h)
            #expect(last == before + 5)  // created, shared with bob and carol, and their two invitations
            #expect(onTablet["seq"] as? Int == last)
            #expect(onTablet["messageId"] as? String == String(last))
            let onBob = try await bob.next(isTimerFrame("t1"))
            #expect(onBob["seq"] as? Int == last)
            let onCarol = try await carol.next(isTimerFrame("t1"))
            #expect(onCarol["type"] as? String == "timer")
            #expect(onCarol["action"] as? String == "update")
            #expect(onCarol["seq"] as? Int == last)
            try await tablet.expectNone(isTimerFrame("t1"))
            try await bob.expectNone(within: 0, isTimerFrame("t1"))
            try await carol.expectNone(within: 0, isTimerFrame("t1"))
            try await phone.expectNone(within: 0, isTimerFrame("t1"))

            // A resumed client sees the same grouping as a live one.
            let resumed = try await h.socket("carol", device: "carol-laptop", query: "?since=\(before)")
            let replayed = try await resumed.next(isTimerFrame("t1"))
            #expect(replayed["action"] as? String == "update")
            #expect(replayed["seq"] as? Int == last)
            #expect(try await resumed.next(ofType("resumed"))["count"] as? Int == 1)

            // A user removed by a command still hears of it.
            let removed = try await h.rest(.delete, "/timers/t1/shares/bob", as: "alice")
            #expect(removed.status == .ok)
            let removal = try await bob.next(isTimerFrame("t1"))
            #expect(removal["type"] as? String == "stopTimer")
            for s in [phone, tablet, bob, carol, resumed] { await s.close() }
        }
    }

    // 2. An Android device that was offline learns of stops and unshares, across a restart.
    @Test func anOfflineAndroidDeviceIsToldOfTimersItCanNoLongerSee() async throws {
        let directory = TemporaryDirectory("offline")
        try await Harness.run(directory: directory) { h in
            for id in ["t1", "t2", "t3"] {
                let created = try await h.rest(.post, "/timers/shared", as: "alice", body: #"{"timerId":"\#(id)","userIds":["alice","bob"],"timer":{"id":"\#(id)","name":"Tea","totalDuration":"PT3M","endTime":"2025-08-12T14:03"}}"#)
                #expect(created.status == .ok)
            }
            let bob = try await h.socket("bob", device: "bob-phone", android: true)
            await bob.close()
            try await Task.sleep(for: .milliseconds(200))  // the disconnect is recorded
            #expect(try await h.rest(.delete, "/timers/t1", as: "alice").status == .ok)
        }
        try await Harness.run(directory: directory) { h in
            #expect(try await h.rest(.delete, "/timers/t2/shares/bob", as: "alice").status == .ok)
            let bob = TestSocket()
            var headers = HTTPFields()
            headers[.authorization] = try await h.token("bob")
            headers[HTTPField.Name("DeviceId")!] = "bob-phone"
            headers[.userAgent] = "BubbleTimer-Android/1.0"
            try await bob.connect(url: "ws://127.0.0.1:\(h.port)/", headers: headers)
            let list = try await bob.next(ofType("activeTimerList"))
            #expect((list["timerList"] as? [[String: Any]])?.map { $0["id"] as? String } == ["t3"])
            let stops = Set([try await bob.next(ofType("stopTimer")), try await bob.next(ofType("stopTimer"))].compactMap { $0["timerId"] as? String })
            #expect(stops == ["t1", "t2"])
            try await bob.expectNone(ofType("stopTimer"))
            await bob.close()

            // A device never seen before gets no stops.
            let fresh = try await h.socket("bob", device: "bob-new-tablet", android: true)
            try await fresh.expectNone(ofType("stopTimer"))
            await fresh.close()
        }
    }

    // 3. 401 with the JSON body at the handshake.
    @Test func badTokensAtTheHandshakeGet401WithTheJSONBody() async throws {
        try await Harness.run { h in
            let expired = try await h.server.tokens.mint(user: "alice", lifetime: -3600)
            for auth in ["Bearer nonsense", "", "Bearer \(try await EndToEndTests.foreignToken())", expired] {
                for path in ["/ws", "/"] {
                    let (status, body) = try await rawExchange(port: h.port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                        + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                        + (auth.isEmpty ? "" : "Authorization: \(auth)\r\n") + "DeviceId: phone\r\n\r\n")
                    #expect(status == 401, "\(auth.prefix(20)) \(path)")
                    let json = try #require((try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any], "\(body)")
                    #expect(json["code"] as? String == "unauthorized")
                    #expect((json["error"] as? String)?.isEmpty == false)
                }
            }
        }
    }

    // 4. An open socket is closed when its token expires.
    @Test func aSocketIsClosedWith4001WhenItsTokenExpires() async throws {
        try await Harness.run(configure: { $0.auth.leeway = 0 }) { h in
            let token = try await h.server.tokens.mint(user: "alice", lifetime: 2)
            let socket = TestSocket()
            try await socket.connect(url: "ws://127.0.0.1:\(h.port)/ws?token=\(token)&deviceId=web", headers: [:])
            _ = try await socket.next(ofType("snapshot"))
            let deadline = Date().addingTimeInterval(8)
            while !socket.isClosed, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(socket.closeCode == 4001)
            var headers = HTTPFields()
            headers[.authorization] = "Bearer \(token)"
            #expect(try await h.client.execute(uri: "/timers", method: .get, headers: headers) { $0.status } == .unauthorized)
        }
    }

    // 5. Values that crash the app are refused at the door; instants go to Android as local time.
    @Test func valuesThatCrashTheAppAreRefusedAndInstantsReachAndroidAsLocalTime() async throws {
        try await Harness.run { h in
            let bob = try await h.socket("bob", device: "bob-phone", android: true)
            let alice = try await h.socket("alice", device: "web")
            let before = try await head(h)

            let rest = try await h.rest(.post, "/timers/zt", as: "alice", body: #"{"totalDuration":"banana","endTime":"2025-08-12T14:03:00Z","name":"Zt"}"#)
            #expect(rest.status == .badRequest)
            #expect((rest.json as? [String: Any])?["code"] as? String == "invalid_field")
            #expect((rest.json as? [String: Any])?["field"] as? String == "totalDuration")

            alice.send(["type": "timer", "action": "update", "requestId": "w", "shareWith": ["bob"],
                        "timer": ["id": "zt", "name": "Zt", "totalDuration": "P1W", "timerEnd": "2025-08-12T14:03"]])
            let refused = try await alice.next(reply("w"))
            #expect(refused["code"] as? String == "invalid_field")
            #expect(refused["field"] as? String == "totalDuration")
            alice.send(["type": "timer", "action": "update", "requestId": "both", "timer": ["id": "zt", "name": "Zt", "totalDuration": "PT1M", "timerEnd": "2025-08-12T14:03", "remainingDuration": "PT30S"]])
            #expect(try await alice.next(reply("both"))["field"] as? String == "remainingDuration")
            #expect(try await head(h) == before)
            try await bob.expectNone(isTimerFrame("zt"))

            // The socket stays open; a seed client's instant is accepted and Android gets local time.
            alice.send(["type": "timer", "action": "update", "requestId": "ok", "shareWith": ["bob"],
                        "timer": ["id": "zt", "name": "Zt", "totalDuration": "PT3M", "timerEnd": "2025-08-12T14:03:00Z"]])
            #expect(try await alice.next(reply("ok"))["type"] as? String == "result")
            let onBob = try await bob.next(isTimerFrame("zt"))
            let end = try #require((onBob["timer"] as? [String: Any])?["timerEnd"] as? String)
            #expect(!end.hasSuffix("Z") && !end.contains("+"))
            #expect(end == LocalTime.render("2025-08-12T14:03:00Z", endsAt: nil, zone: ZoneRules.machineZone))
            let shared = try await h.rest(.get, "/timers/shared", as: "bob")
            #expect(((shared.json as? [[String: Any]])?.first?["endTime"] as? String) == end)
            for s in [alice, bob] { await s.close() }
        }
    }

    // 6. A request is one command: all of its events or none.
    @Test func aShareByANonOwnerAppendsNothing() async throws {
        try await Harness.run { h in
            _ = try await h.rest(.post, "/timers/shared", as: "alice", body: #"{"timerId":"t1","userIds":["bob"],"timer":{"id":"t1","name":"Tea","totalDuration":"PT3M","endTime":"2025-08-12T14:03"}}"#)
            let alice = try await h.socket("alice", device: "phone", android: true)
            // bob's first request registers him (user_registered), whatever it asks: that is
            // not the refused command's doing, so it happens before the count.
            _ = try await h.rest(.get, "/me", as: "bob")
            let before = try await head(h)
            let answer = try await h.rest(.post, "/timers/shared", as: "bob", body: #"{"timerId":"t1","userIds":["alice","bob","carol"],"timer":{"id":"t1","userId":"alice","name":"Renamed by bob","totalDuration":"PT3M","endTime":"2025-08-12T14:03"}}"#)
            #expect(answer.status == .forbidden)
            #expect((answer.json as? [String: Any])?["code"] as? String == "forbidden")
            #expect(try await head(h) == before)
            try await alice.expectNone(isTimerFrame("t1"))
            let timer = try await h.rest(.get, "/timers/t1", as: "alice")
            #expect((timer.json as? [String: Any])?["name"] as? String == "Tea")

            let ok = try await h.rest(.post, "/timers/shared", as: "alice", body: #"{"timerId":"t1","userIds":["alice","carol",""]}"#)
            #expect(ok.status == .ok)
            #expect((ok.json as? [String: Any])?["success"] as? [String] == ["carol"])
            #expect((ok.json as? [String: Any])?["failed"] as? [String] == [""])
            await alice.close()
        }
    }

    // 7. No ownership flip.
    @Test func aNewTimerNamingAnotherKnownUserAsOwnerIsRefused() async throws {
        try await Harness.run { h in
            let alice = try await h.socket("alice", device: "phone", android: true)
            let bob = try await h.socket("bob", device: "bob-phone")
            let before = try await head(h)
            bob.send(["type": "timer", "action": "update", "requestId": "flip", "shareWith": ["alice"], "timer": Self.androidTimer("new", owner: "alice")])
            let refused = try await bob.next(reply("flip"))
            #expect(refused["code"] as? String == "forbidden")
            #expect(try await head(h) == before)
            try await alice.expectNone(isTimerFrame("new"))
            // The app's placeholder makes the caller the owner.
            bob.send(["type": "timer", "action": "update", "requestId": "mine", "timer": Self.androidTimer("new", owner: "whattheheck")])
            #expect(try await bob.next(reply("mine"))["type"] as? String == "result")
            let row = try await h.rest(.get, "/timers/new", as: "bob")
            #expect((row.json as? [String: Any])?["userId"] as? String == "bob")
            for s in [alice, bob] { await s.close() }
        }
    }

    // 8. Sockets without a device id are devices of their own; REST without one is `rest`.
    @Test func socketsWithoutADeviceIdDoNotEvictEachOther() async throws {
        try await Harness.run { h in
            let token = try await h.token("alice")
            let first = TestSocket(), second = TestSocket()
            try await first.connect(url: "ws://127.0.0.1:\(h.port)/ws?token=\(token)", headers: [:])
            _ = try await first.next(ofType("snapshot"))
            try await second.connect(url: "ws://127.0.0.1:\(h.port)/ws?token=\(token)", headers: [:])
            _ = try await second.next(ofType("snapshot"))
            _ = try await h.rest(.post, "/timers/t1", as: "alice", body: #"{"name":"Tea","totalDuration":"PT3M","timerEnd":"2025-08-12T14:03"}"#)
            _ = try await first.next(isTimerFrame("t1"))
            _ = try await second.next(isTimerFrame("t1"))
            #expect(!first.isClosed && !second.isClosed)
            let history = try h.server.state.store.read { txn in try h.server.state.store.views.timer("t1", txn) }
            #expect(history?.updatedBy.deviceID == "rest")
            for s in [first, second] { await s.close() }
        }
    }


    /// A seed client that names the end `endTime` gets `endTime` back on its frames.
    @Test func aSeedClientThatSendsEndTimeGetsEndTimeBack() async throws {
        try await Harness.run { h in
            let web = try await h.socket("alice", device: "web")
            let phone = try await h.socket("alice", device: "phone")
            web.send(["type": "timer", "action": "update", "requestId": "e", "timer": ["id": "t1", "name": "Tea", "totalDuration": "PT3M", "endTime": "2025-08-12T14:03"]])
            _ = try await web.next(reply("e"))
            let onPhone = try await phone.next(isTimerFrame("t1"))
            #expect((onPhone["timer"] as? [String: Any])?["timerEnd"] as? String == "2025-08-12T14:03")
            phone.send(["type": "timer", "action": "update", "requestId": "p", "timer": ["id": "t1", "name": "Green", "totalDuration": "PT3M", "timerEnd": "2025-08-12T14:05"]])
            _ = try await phone.next(reply("p"))
            let onWeb = try await web.next(isTimerFrame("t1"))
            let timer = try #require(onWeb["timer"] as? [String: Any])
            #expect(timer["endTime"] as? String == "2025-08-12T14:05")
            #expect(timer["timerEnd"] == nil)
            for s in [web, phone] { await s.close() }
        }
    }

    /// Browser clients on configured origins: preflight answered, answers carry the origin.
    @Test func corsAnswersPreflightsAndMarksAnswersForAllowedOrigins() async throws {
        try await Harness.run(configure: { $0.corsOrigins = ["https://timers.example.org"] }) { h in
            let preflight: HTTPFields = [.origin: "https://timers.example.org", .accessControlRequestMethod: "POST",
                                         .accessControlRequestHeaders: "authorization, content-type"]
            let (status, headers) = try await h.client.execute(uri: "/timers/t1", method: .options, headers: preflight) { ($0.status, $0.headers) }
            #expect(status == .noContent)
            #expect(headers[.accessControlAllowOrigin] == "https://timers.example.org")
            #expect(headers[.accessControlAllowMethods]?.contains("POST") == true)
            #expect(headers[.accessControlAllowHeaders] == "authorization, content-type")
            // An error answer to an allowed origin is readable by the page too.
            let denied = try await h.client.execute(uri: "/timers", method: .get, headers: [.origin: "https://timers.example.org"]) { ($0.status, $0.headers) }
            #expect(denied.0 == .unauthorized)
            #expect(denied.1[.accessControlAllowOrigin] == "https://timers.example.org")
            // Another origin gets nothing.
            let other = try await h.client.execute(uri: "/health", method: .get, headers: [.origin: "https://evil.example"]) { $0.headers }
            #expect(other[.accessControlAllowOrigin] == nil)
            let otherPreflight = try await h.client.execute(uri: "/timers/t1", method: .options, headers: [.origin: "https://evil.example", .accessControlRequestMethod: "POST"]) { ($0.status, $0.headers) }
            #expect(otherPreflight.0 == .methodNotAllowed)
            #expect(otherPreflight.1[.accessControlAllowOrigin] == nil)
        }
    }

    // 9. The deployed REST shapes and the seed names.
    @Test func deployedRESTShapesAndSeedRouteNamesWork() async throws {
        try await Harness.run { h in
            let wrapped = try await h.rest(.post, "/timers/t1", as: "alice", body: #"{"timer":{"id":"t1","name":"Tea","totalDuration":"PT3M","endTime":"2025-08-12T14:03"}}"#)
            #expect(wrapped.status == .ok)
            #expect(((wrapped.json as? [String: Any])?["timer"] as? [String: Any])?["name"] as? String == "Tea")
            let seq = (wrapped.json as? [String: Any])?["seq"] as? Int
            let again = try await h.rest(.post, "/timers/t1", as: "alice", body: #"{"timer":{"id":"t1","name":"Tea","totalDuration":"PT3M","endTime":"2025-08-12T14:03"}}"#)
            #expect((again.json as? [String: Any])?["changed"] as? Bool == false)
            #expect((again.json as? [String: Any])?["seq"] as? Int == seq)

            let phone = try await h.socket("alice", device: "phone")
            let bob = try await h.socket("bob", device: "bob-phone", android: true)
            phone.send(["action": "shareTimer", "timerId": "t1", "targetUser": "bob", "requestId": "s"])
            #expect(try await phone.next(reply("s"))["type"] as? String == "result")
            _ = try await bob.next(isTimerFrame("t1"))
            phone.send(["action": "stopTimer", "timerId": "t1", "requestId": "x"])
            _ = try await phone.next(reply("x"))
            let stop = try await bob.next(isTimerFrame("t1"))
            #expect(stop["type"] as? String == "stopTimer")
            #expect(stop["stoppedByUserId"] as? String == "alice")
            #expect(stop["stoppedByUserName"] as? String == "alice")

            _ = try await h.rest(.post, "/device-tokens", as: "alice", body: #"{"deviceId":"phone","fcmToken":"tok"}"#)
            let removed = try await h.rest(.delete, "/device-tokens/%7BdeviceId%7D?deviceId=phone", as: "alice")
            #expect((removed.json as? [String: Any])?["result"] as? String == "removed")
            let state = try h.server.state.store.read { txn in try h.server.state.store.views.userState("alice", txn) }
            #expect(state.pushTargets["phone"] == nil)
            for s in [phone, bob] { await s.close() }
        }
    }

    // 11. Acknowledgements are never charged nor answered; rate-limit answers are themselves limited.
    @Test func acknowledgementsNeverStartAnErrorStorm() async throws {
        try await Harness.run(configure: { c in
            c.messagesPerSecond = 1
            c.messageBurst = 2
        }) { h in
            let app = try await h.socket("alice", device: "phone", android: true)
            for i in 0..<120 { app.send(["action": "sendmessage", "data": ["type": "acknowledge", "messageId": "\(i)"]]) }
            try await app.expectNone(within: 1) { $0["type"] as? String == "error" }
            for _ in 0..<40 { app.send(["action": "sendmessage", "data": ["type": "stopTimer", "timerId": "none", "shareWith": []]]) }
            try await Task.sleep(for: .milliseconds(1500))
            let errors = app.countFrames { $0.contains("rate_limited") }
            #expect(errors >= 1 && errors <= 3, "\(errors) rate_limited frames for 40 commands in ~1.5 s")
            let metrics = try await h.client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains("bubble_rate_limit_frames_suppressed_total"))
            await app.close()
        }
    }
}

extension HeavyLoad {
    @Suite struct KeepAliveTests {
        // 12. The app's keep-alive, compressed: ping every 4 s, reconnect when the last pong is
        // over 1.5 s old at ping time (the app: 15 s and 5 s); the server's extra pong at 3.2 s,
        // inside the (2.5 s, 4 s) window with room for a loaded machine. Timing-bound, so it runs
        // with the heavy suites, never beside them.
        @Test func aClientFollowingTheAppsPingLogicNeverReconnects() async throws {
            try await Harness.run(configure: { $0.androidExtraPongDelay = 3.2 }) { h in
                let app = try await h.socket("alice", device: "phone", android: true)
                var reconnects = 0
                var lastPong: Date?
                for _ in 0..<4 {
                    if let lastPong, Date().timeIntervalSince(lastPong) > 1.5 { reconnects += 1 }
                    app.send(["action": "sendmessage", "data": ["type": "ping", "timestamp": Int(Date().timeIntervalSince1970 * 1000), "direct": true]])
                    let deadline = Date().addingTimeInterval(4)
                    while Date() < deadline {
                        while app.countFrames({ $0.contains("\"pong\"") }) > 0 {
                            _ = try await app.next(ofType("pong"))
                            lastPong = Date()
                        }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
                #expect(reconnects == 0)
                await app.close()
            }
        }
    }
}

extension HeavyLoad {
    /// Timing-bound (a linger of seconds): kept apart from the suites that load the machine.
    @Suite struct SupersededTests {
        // 8. A superseded Android socket is detached quietly: the app reconnects when ANY socket
        // it opened is closed, and never closes the old one itself.
        @Test func aSupersededAndroidSocketIsDetachedQuietlyNotClosed() async throws {
            try await Harness.run(configure: { c in
                c.maxSupersededPerDevice = 1
                c.supersededLinger = 2
            }) { h in
                let first = try await h.socket("alice", device: "phone", android: true)
                let second = try await h.socket("alice", device: "phone", android: true)
                try await Task.sleep(for: .milliseconds(300))
                #expect(!first.isClosed)
                #expect(h.server.state.hub.count == 1)
                _ = try await h.rest(.post, "/timers/t1", as: "alice", body: #"{"name":"Tea","totalDuration":"PT3M","timerEnd":"2025-08-12T14:03"}"#)
                _ = try await second.next(isTimerFrame("t1"))
                try await first.expectNone(isTimerFrame("t1"))

                // More than the limit for the device: the oldest superseded socket is closed.
                let third = try await h.socket("alice", device: "phone", android: true)
                var deadline = Date().addingTimeInterval(5)
                while !first.isClosed, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
                #expect(first.closeCode == 1000)
                #expect(!second.isClosed)
                // After the linger the other superseded socket goes too; the current one stays.
                deadline = Date().addingTimeInterval(6)
                while !second.isClosed, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
                #expect(second.closeCode == 1000)
                #expect(!third.isClosed)
                // Their ends record no disconnect: the device is still connected.
                #expect(try h.disconnectReason(user: "alice", device: "phone") == nil)
                await third.close()
            }
        }
    }
}
