import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TestSupport
import TimerDomain
@testable import BubbleServer

/// Issue 10, defect 5: what one client can cost the log.
@Suite struct LogGrowthTests {
    func timers(_ h: Harness, of user: String) throws -> [String] {
        let store = h.server.state.store
        return try store.read { try store.views.timersOwned(by: user, $0) }
    }

    /// Before: the whole list cost one rate-limit token and one bad item refused all of it.
    @Test func anActiveTimerListIsChargedAndDecidedPerTimer() async throws {
        try await Harness.run(configure: { $0.messageBurst = 5; $0.messagesPerSecond = 0.001 }) { h in
            let app = try await h.socket("alice", device: "phone", android: true)
            var list = (0..<3).map { FidelityTests.androidTimer("good\($0)") }
            list.insert(["id": "bad", "userId": "alice", "totalDuration": "PT3M"], at: 1)  // no name
            app.send(["action": "sendmessage", "data": ["type": "activeTimerList", "timerList": list]])
            let refused = try await app.next(ofType("error"))
            #expect(refused["code"] as? String == "missing_field")
            #expect(refused["message"] as? String == "data.timerList[1].name is required")
            for _ in 0..<100 where try timers(h, of: "alice").count < 3 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(try timers(h, of: "alice") == ["good0", "good1", "good2"])

            // Four tokens spent; the fifth timer of the next list is the last one allowed.
            app.send(["action": "sendmessage", "data": ["type": "activeTimerList", "timerList": (0..<4).map { FidelityTests.androidTimer("more\($0)") }]])
            let limited = try await app.next(ofType("error"))
            #expect(limited["code"] as? String == "rate_limited")
            #expect(try timers(h, of: "alice") == ["good0", "good1", "good2", "more0"])
            await app.close()
        }
    }

    @Test func aLongRequestIdIsRefusedAndAppendsNothing() async throws {
        try await Harness.run { h in
            let web = try await h.socket("alice", device: "web")
            let long = String(repeating: "r", count: 129)
            web.send(["type": "timer", "action": "update", "requestId": long, "timer": ["id": "t1", "name": "Tea", "totalDuration": "PT5M"]])
            let error = try await web.next(reply(long))
            #expect(error["code"] as? String == "invalid_field")
            #expect(error["field"] as? String == "requestId")
            #expect(error["message"] as? String == "invalid requestId: is 129 bytes long; the limit is 128")
            var headers = HTTPFields()
            headers[.authorization] = "Bearer \(try await h.token("alice"))"
            headers[HTTPField.Name("X-Request-Id")!] = long
            let rest = try await h.client.execute(uri: "/timers/t1", method: .post, headers: headers, body: ByteBuffer(string: #"{"name":"Tea","totalDuration":"PT5M"}"#)) {
                ($0.status, try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: String])
            }
            #expect(rest.0 == .badRequest)
            #expect(rest.1 == ["code": "invalid_field", "field": "requestId", "error": "invalid requestId: is 129 bytes long; the limit is 128"])
            #expect(try timers(h, of: "alice").isEmpty)
            await web.close()
        }
    }

    @Test func aUserOwnsAtMostTheLiveTimerQuota() async throws {
        try await Harness.run(configure: { $0.limits.maxLiveTimersPerUser = 2 }) { h in
            let body = #"{"name":"Tea","totalDuration":"PT5M"}"#
            #expect(try await h.rest(.post, "/timers/a", as: "alice", body: body).status == .ok)
            #expect(try await h.rest(.post, "/timers/b", as: "alice", body: body).status == .ok)
            let third = try await h.rest(.post, "/timers/c", as: "alice", body: body)
            #expect(third.status == .conflict)
            #expect(third.json as? [String: String] == ["code": "too_many_timers", "error": "you have 2 live timers, the most this server allows; stop one first"])
            // Updating one of them is not creating; another user has a quota of their own.
            #expect(try await h.rest(.post, "/timers/a", as: "alice", body: #"{"name":"Green","totalDuration":"PT5M"}"#).status == .ok)
            #expect(try await h.rest(.post, "/timers/c", as: "bob", body: body).status == .ok)
            #expect(try await h.rest(.delete, "/timers/a", as: "alice").status == .ok)
            #expect(try await h.rest(.post, "/timers/c2", as: "alice", body: body).status == .ok)
        }
    }
}
