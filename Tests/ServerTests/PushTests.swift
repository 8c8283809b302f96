import Crypto
import Foundation
import HTTPTypes
import Testing
import TestSupport
import TimerDomain
@testable import BubbleServer

/// Push, end to end: the real server sends its durable outbox to a real local HTTP server
/// playing the provider.
@Suite(.serialized) struct PushTests {
    static let share = #"{"timerId":"t1","userIds":["bob"],"timer":{"id":"t1","name":"Tea","totalDuration":"PT3M","endTime":"2025-08-12T14:03"}}"#

    /// A server whose FCM is the fake provider; retries after 50 ms.
    func run(_ provider: FakePushProvider, configure: @escaping @Sendable (inout ServerConfiguration, Int) -> Void = { _, _ in },
             _ body: @escaping @Sendable (Harness, Int) async throws -> Void) async throws {
        try await provider.run { port in
            try await Harness.run(configure: { config in
                config.push.fcmServiceAccount = provider.serviceAccount(port: port)
                config.push.fcmURL = "http://127.0.0.1:\(port)"
                config.push.retryBase = 0.05
                configure(&config, port)
            }) { h in try await body(h, port) }
        }
    }

    func events(_ h: Harness, named name: String) throws -> [Event] {
        let store = h.server.state.store
        return try store.read { txn in
            var out: [Event] = []
            try store.log.scan(txn) { e in
                if e.event.name == name { out.append(e.event) }
                return true
            }
            return out
        }
    }

    func waitForEvent(_ h: Harness, named name: String, count: Int = 1) async throws -> [Event] {
        for _ in 0..<500 {
            let found = try events(h, named: name)
            if found.count >= count { return found }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("no \(name) in the log")
        return []
    }

    // The issue's "done when": alice's share reaches bob's offline phone as the push the app expects.
    @Test func aShareReachesAnOfflinePhoneAsTheInvitationTheAppExpects() async throws {
        let provider = try FakePushProvider()
        try await run(provider) { h, _ in
            let aliceToken = try await h.server.tokens.mint(user: "alice", claims: ["name": "Alice", "email": "alice@example.com"])
            let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 7, 7]).base64EncodedString()
            let avatar = try #require(try await h.rest(.post, "/users/alice/avatar", token: aliceToken, body: #"{"imageData":"\#(png)"}"#).json as? [String: Any])
            let avatarURL = try #require(avatar["avatarUrl"] as? String)
            let registered = try await h.rest(.post, "/device-tokens", as: "bob", body: #"{"deviceId":"bob-phone","fcmToken":"bob-fcm-token"}"#)
            #expect(registered.status == .ok)
            let shared = try await h.rest(.post, "/timers/shared", token: aliceToken, body: Self.share)
            #expect(shared.status == .ok)

            let send = try #require(try await provider.waitForSends(1).first)
            #expect(send.path == "/v1/projects/bubble-test/messages:send")
            #expect(send.headers[.authorization] == "Bearer at-1")
            let message = try #require(send.json["message"] as? [String: Any])
            #expect(message["token"] as? String == "bob-fcm-token")
            #expect(message["notification"] == nil, "an invitation is a data message: the app builds it with Accept and Decline")
            let data = try #require(message["data"] as? [String: String])
            let id = try #require(data["notificationId"])
            #expect(data == [
                "timerId": "t1", "timerName": "Tea", "sharerName": "Alice", "sharerAvatarUrl": avatarURL, "action": "accept",
                "notificationTitle": "Timer Invitation", "notificationBody": "Alice invited you to join timer \"Tea\"",
                "notificationId": id, "kind": "timer_shared",
            ])
            #expect((message["android"] as? [String: Any])?["collapse_key"] as? String == "n\(id)")

            // The access token came from a JWT the service account signed.
            let assertion = try await provider.verifiedAssertion()
            #expect(assertion["iss"] as? String == provider.clientEmail)
            #expect(assertion["scope"] as? String == "https://www.googleapis.com/auth/firebase.messaging")
            #expect((assertion["aud"] as? String)?.hasSuffix("/token") == true)

            // His inbox lists it; the log says it was delivered.
            let inbox = try await h.rest(.get, "/me/notifications", as: "bob")
            #expect(inbox.status == .ok)
            let body = try #require(inbox.json as? [String: Any])
            #expect(body["unread"] as? Int == 1)
            let entry = try #require((body["notifications"] as? [[String: Any]])?.first)
            #expect(entry["id"] as? Int == Int(id))
            #expect(entry["kind"] as? String == "timer_shared")
            #expect(entry["from"] as? String == "alice")
            #expect(entry["fromName"] as? String == "Alice")
            #expect(entry["read"] as? Bool == false)
            #expect(try await waitForEvent(h, named: "push_delivered") == [.pushDelivered("bob", notification: UInt64(id)!, device: "bob-phone")])

            // Anything but an invitation goes as a notification the system shows, without the
            // three keys that make the app show an invitation.
            _ = try await h.rest(.delete, "/timers/t1", token: aliceToken)
            let stop = try #require(try await provider.waitForSends(2).last?.json["message"] as? [String: Any])
            #expect(stop["notification"] as? [String: String] == ["title": "Timer stopped", "body": "Alice stopped \"Tea\""])
            let stopData = try #require(stop["data"] as? [String: String])
            #expect(stopData["timerName"] == nil && stopData["sharerName"] == nil)
            let stopID = try #require(stopData["notificationId"])
            #expect(((stop["android"] as? [String: Any])?["notification"] as? [String: String])?["tag"] == "n\(stopID)")
        }
    }

    @Test func aFailingProviderIsRetriedWithBackoffAndAnUnregisteredTokenDropped() async throws {
        let provider = try FakePushProvider()
        provider.answer(
            .init(status: .internalServerError, body: "{}"),
            .init(status: .tooManyRequests, body: "{}", headers: ["Retry-After": "0"]),
            .ok
        )
        try await run(provider) { h, _ in
            _ = try await h.rest(.post, "/device-tokens", as: "bob", body: #"{"deviceId":"bob-phone","fcmToken":"bob-fcm-token"}"#)
            _ = try await h.rest(.post, "/timers/shared", as: "alice", body: Self.share)
            let delivered = try await waitForEvent(h, named: "push_delivered")
            #expect(delivered.count == 1)
            let failed = try events(h, named: "push_failed")
            #expect(failed.count == 2)
            guard case .pushFailed(_, _, _, let attempt, _, let reason)? = failed.last else { return }
            #expect(attempt == 2)
            #expect(reason.contains("429"))
            // Every attempt carried the same collapse key: a phone that got an earlier one replaces it.
            let keys = Set(provider.sends.compactMap { (($0.json["message"] as? [String: Any])?["android"] as? [String: Any])?["collapse_key"] as? String })
            #expect(keys.count == 1)
            let metrics = h.server.state.metrics
            #expect(metrics.value(of: #"bubble_push_total{provider="fcm",outcome="retried"}"#) == 2)
            #expect(metrics.value(of: #"bubble_push_total{provider="fcm",outcome="delivered"}"#) == 1)

            // The provider says the token is dead: the push is abandoned and the token dropped.
            provider.answer(.unregistered)
            _ = try await h.rest(.post, "/timers/shared", as: "alice", body: #"{"timerId":"t2","userIds":["bob"],"timer":{"id":"t2","name":"Pasta","totalDuration":"PT9M"}}"#)
            let abandoned = try await waitForEvent(h, named: "push_abandoned")
            guard case .pushAbandoned("bob", _, "bob-phone", let why)? = abandoned.first else {
                Issue.record("expected an abandoned push, got \(abandoned)")
                return
            }
            #expect(why == "fcm: UNREGISTERED")
            let devices = try await h.rest(.get, "/me/devices", as: "bob")
            #expect((devices.json as? [[String: Any]])?.first { $0["deviceId"] as? String == "bob-phone" }?["pushToken"] as? Bool != true)
            #expect(metrics.value(of: #"bubble_push_total{provider="fcm",outcome="unregistered"}"#) == 1)
            #expect(metrics.value(of: "bubble_push_outbox_depth") == 0)
        }
    }

    @Test func aPushGivesUpAfterTheAttemptsAllowedAndIsDeadLettered() async throws {
        let provider = try FakePushProvider()
        provider.answer(.init(status: .serviceUnavailable, body: "{}"), .init(status: .serviceUnavailable, body: "{}"), .init(status: .serviceUnavailable, body: "{}"))
        try await run(provider, configure: { config, _ in config.limits.maxPushAttempts = 3 }) { h, _ in
            _ = try await h.rest(.post, "/device-tokens", as: "bob", body: #"{"deviceId":"bob-phone","fcmToken":"bob-fcm-token"}"#)
            _ = try await h.rest(.post, "/timers/shared", as: "alice", body: Self.share)
            let abandoned = try await waitForEvent(h, named: "push_abandoned")
            guard case .pushAbandoned(_, _, _, let why)? = abandoned.first else { return }
            #expect(why == "gave up after 3 attempts: fcm HTTP 503: 503")
            #expect(provider.sends.count == 3)
            #expect(try events(h, named: "push_delivered").isEmpty)
            // The token stays: the device did nothing wrong.
            let state = try h.server.state.store.read { try h.server.state.store.views.userState("bob", $0) }
            #expect(state.pushTargets["bob-phone"] != nil)
        }
    }

    @Test func webhookDevicesArePostedToTheOperatorsURLSigned() async throws {
        let provider = try FakePushProvider()
        let secret = "hook-secret"
        try await run(provider, configure: { config, port in
            config.push.webhookURL = "http://127.0.0.1:\(port)/hook"
            config.push.webhookSecret = secret
        }) { h, _ in
            let added = try await h.rest(.post, "/me/devices", as: "bob", body: #"{"deviceId":"kitchen","provider":"webhook","token":"tablet-1"}"#)
            #expect(added.status == .created)
            let device = try #require(added.json as? [String: Any])
            #expect(device["deviceId"] as? String == "kitchen")
            #expect(device["provider"] as? String == "webhook")
            #expect(device["pushToken"] as? Bool == true)
            #expect(device["connected"] as? Bool == false)
            _ = try await h.rest(.post, "/timers/shared", as: "alice", body: Self.share)
            let hook = try #require(try await provider.waitForSends(1).first)
            #expect(hook.path == "/hook")
            let mac = HMAC<SHA256>.authenticationCode(for: hook.body, using: SymmetricKey(data: Data(secret.utf8)))
            #expect(hook.headers[HTTPField.Name("X-Bubble-Signature")!] == "sha256=" + mac.map { String(format: "%02x", $0) }.joined())
            let id = try #require(hook.json["notificationId"] as? Int)
            #expect(hook.headers[HTTPField.Name("Idempotency-Key")!] == "n\(id)-kitchen")
            #expect(hook.json["deviceId"] as? String == "kitchen")
            #expect(hook.json["token"] as? String == "tablet-1")
            #expect((hook.json["data"] as? [String: String])?["timerId"] == "t1")

            // A provider the server has no settings for is not tried: the push is dead-lettered.
            let bad = try await h.rest(.post, "/me/devices", as: "bob", body: #"{"deviceId":"x","provider":"carrier-pigeon","token":"t"}"#)
            #expect(bad.status == .badRequest)
            #expect((bad.json as? [String: Any])?["code"] as? String == "invalid_field")
            #expect((bad.json as? [String: Any])?["field"] as? String == "provider")
        }
    }

    @Test func aConnectedSeedDeviceHearsItLiveAndIsNotPushed() async throws {
        let provider = try FakePushProvider()
        try await run(provider, configure: { config, port in config.push.webhookURL = "http://127.0.0.1:\(port)/hook" }) { h, _ in
            _ = try await h.rest(.post, "/me/devices", as: "bob", body: #"{"deviceId":"laptop","provider":"webhook","token":"w"}"#)
            let laptop = try await h.socket("bob", device: "laptop")
            let phone = try await h.socket("bob", device: "old-phone", android: true)
            _ = try await h.rest(.post, "/timers/shared", as: "alice", body: Self.share)
            let frame = try await laptop.next(ofType("notification"))
            let n = try #require(frame["notification"] as? [String: Any])
            #expect(n["kind"] as? String == "timer_shared")
            #expect(n["timerId"] as? String == "t1")
            #expect(frame["seq"] as? Int == n["id"] as? Int)
            try await phone.expectNone(ofType("notification"))
            // Offline again: the next one is pushed.
            await laptop.close()
            try await Task.sleep(for: .milliseconds(300))
            _ = try await h.rest(.delete, "/timers/t1", as: "alice")
            let sends = try await provider.waitForSends(1)
            #expect(sends.count == 1)
            #expect(sends.first?.json["kind"] as? String == "timer_stopped")
            await phone.close()
        }
    }
}

extension PushTests {
    @Test func preferencesHoldBackPushesButNotTheInbox() async throws {
        let provider = try FakePushProvider()
        try await run(provider, configure: { config, port in config.push.webhookURL = "http://127.0.0.1:\(port)/hook" }) { h, _ in
            _ = try await h.rest(.post, "/me/devices", as: "bob", body: #"{"deviceId":"kitchen","provider":"webhook","token":"w"}"#)
            let muted = try await h.rest(.put, "/me/notification-preferences", as: "bob", body: #"{"muted":["timer_shared"]}"#)
            #expect(muted.status == .ok)
            #expect((muted.json as? [String: Any])?["muted"] as? [String] == ["timer_shared"])
            #expect((muted.json as? [String: Any])?["quietHours"] is NSNull)
            _ = try await h.rest(.post, "/timers/shared", as: "alice", body: Self.share)

            // Quiet hours around now, in bob's zone: the stop is held back too.
            _ = try await h.rest(.patch, "/me", as: "bob", body: #"{"timeZone":"UTC"}"#)
            let minute = Int((Date().timeIntervalSince1970 / 60).rounded(.down)) % 1440
            func clock(_ m: Int) -> String { String(format: "%02d:%02d", ((m + 1440) % 1440) / 60, ((m + 1440) % 1440) % 60) }
            let quiet = try await h.rest(.put, "/me/notification-preferences", as: "bob", body: #"{"quietHours":{"start":"\#(clock(minute - 1))","end":"\#(clock(minute + 3))"}}"#)
            #expect(quiet.status == .ok)
            #expect(((quiet.json as? [String: Any])?["quietHours"] as? [String: String])?["start"] == clock(minute - 1))
            #expect((quiet.json as? [String: Any])?["timeZone"] as? String == "UTC")
            _ = try await h.rest(.delete, "/timers/t1", as: "alice")

            let inbox = try #require(try await h.rest(.get, "/me/notifications", as: "bob").json as? [String: Any])
            let entries = try #require(inbox["notifications"] as? [[String: Any]])
            #expect(entries.map { $0["kind"] as? String } == ["timer_stopped", "timer_shared"])
            #expect(entries.map { $0["silenced"] as? String } == ["quiet_hours", "muted"])
            try await Task.sleep(for: .milliseconds(300))
            #expect(provider.sends.isEmpty)
            #expect(h.server.state.metrics.value(of: "bubble_push_outbox_depth") ?? 0 == 0)

            let before = try h.head()
            for (body, code, field) in [
                (#"{"muted":["nope"]}"#, "invalid_field", "muted"),
                (#"{"muted":"timer_shared"}"#, "wrong_type", nil),
                (#"{"quietHours":{"start":"25:00","end":"07:00"}}"#, "invalid_field", "quietHours"),
                (#"{"quietHours":{"start":"22:00"}}"#, "missing_field", nil),
                (#"{"sound":"bell"}"#, "unknown_field", "sound"),
            ] as [(String, String, String?)] {
                let answer = try await h.rest(.put, "/me/notification-preferences", as: "bob", body: body)
                #expect(answer.status == .badRequest, "\(body)")
                #expect((answer.json as? [String: Any])?["code"] as? String == code, "\(body)")
                if let field { #expect((answer.json as? [String: Any])?["field"] as? String == field, "\(body)") }
            }
            #expect(try h.head() == before, "refused preferences append nothing")
        }
    }
}

extension PushTests {
    @Test func expoDevicesArePushedAndADeadTokenIsDropped() async throws {
        let provider = try FakePushProvider()
        provider.answer(
            .init(status: .ok, body: #"{"data":{"status":"ok","id":"ticket-1"}}"#),
            .init(status: .ok, body: #"{"data":{"status":"error","message":"gone","details":{"error":"DeviceNotRegistered"}}}"#)
        )
        try await run(provider, configure: { config, port in config.push.expoURL = "http://127.0.0.1:\(port)" }) { h, _ in
            _ = try await h.rest(.post, "/me/devices", as: "bob", body: #"{"deviceId":"ios","provider":"expo","token":"ExponentPushToken[bob]"}"#)
            _ = try await h.rest(.post, "/timers/shared", as: "alice", body: Self.share)
            let push = try #require(try await provider.waitForSends(1).first)
            #expect(push.path == "/--/api/v2/push/send")
            #expect(push.json["to"] as? String == "ExponentPushToken[bob]")
            #expect(push.json["title"] as? String == "Timer Invitation")
            #expect((push.json["data"] as? [String: String])?["timerId"] == "t1")
            #expect(try await waitForEvent(h, named: "push_delivered").count == 1)

            _ = try await h.rest(.delete, "/timers/t1", as: "alice")
            let abandoned = try await waitForEvent(h, named: "push_abandoned")
            guard case .pushAbandoned("bob", _, "ios", let why)? = abandoned.first else {
                Issue.record("expected an abandoned push, got \(abandoned)")
                return
            }
            #expect(why == "expo: DeviceNotRegistered")
            let state = try h.server.state.store.read { try h.server.state.store.views.userState("bob", $0) }
            #expect(state.pushTargets["ios"] == nil)
        }
    }
}
