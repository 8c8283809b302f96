import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TimerDomain
import BubbleCore
@testable import BubbleServer

/// `GET /timers/{id}/history`: the inspector's entries for the people on a timer, paged.
@Suite struct HistoryTests {
    static func entries(_ json: Any?) -> [[String: Any]] { ((json as? [String: Any])?["entries"] as? [[String: Any]]) ?? [] }
    static func seqs(_ json: Any?) -> [UInt64] { entries(json).compactMap { ($0["seq"] as? NSNumber)?.uint64Value } }
    static func device(_ id: String) -> HTTPFields {
        var h = HTTPFields()
        h[HTTPField.Name("DeviceId")!] = id
        return h
    }

    @Test func theOwnerPagesThroughEveryEventNewestFirstWithWhoWhereAndWhatChanged() async throws {
        try await Harness.run(configure: { $0.push.enabled = false }) { h in
            let alice = try await h.server.tokens.mint(user: "alice", claims: ["name": "Alice"])
            #expect(try await h.rest(.post, "/timers/tea", token: alice, body: #"{"name":"Tea","totalDuration":"PT3M","remainingDuration":"PT3M"}"#, headers: Self.device("laptop")).status == .ok)
            for name in ["Green tea", "Black tea", "Mint tea"] {
                #expect(try await h.rest(.post, "/timers/tea", token: alice, body: #"{"name":"\#(name)","totalDuration":"PT3M","remainingDuration":"PT3M"}"#).status == .ok)
            }
            #expect(try await h.rest(.post, "/timers/tea/start", token: alice, headers: Self.device("laptop")).status == .ok)
            let store = h.server.state.store
            let all = try store.read { try TimerHistory.all(of: "tea", log: store.log, $0) }.map(\.envelope.seq)
            #expect(all.count == 5)

            let first = try await h.rest(.get, "/timers/tea/history?limit=2", token: alice)
            #expect(first.status == .ok)
            let body = try #require(first.json as? [String: Any])
            #expect(body["timerId"] as? String == "tea")
            #expect((body["visibleFrom"] as? NSNumber)?.uint64Value == 0)
            #expect(Self.seqs(first.json) == Array(all.reversed().prefix(2)))
            let newest = try #require(Self.entries(first.json).first)
            #expect(newest["type"] as? String == "timer_started")
            #expect(newest["user"] as? String == "alice")
            #expect(newest["device"] as? String == "laptop")
            #expect((newest["summary"] as? String)?.hasPrefix("running, ends ") == true)
            let status = (newest["changes"] as? [[String: Any]])?.first { $0["field"] as? String == "status" }
            #expect(status?["old"] as? String == "paused")
            #expect(status?["new"] as? String == "running")
            let rename = Self.entries(first.json)[1]
            #expect(rename["device"] as? String == "rest")
            let nameChange = (rename["changes"] as? [[String: Any]])?.first { $0["field"] as? String == "name" }
            #expect(nameChange?["old"] as? String == "Black tea")
            #expect(nameChange?["new"] as? String == "Mint tea")
            #expect(((body["people"] as? [String: Any])?["alice"] as? [String: Any])?["displayName"] as? String == "Alice")

            // Following `older` walks the rest, each event once, and ends with null.
            var seen = Self.seqs(first.json)
            var older = (body["older"] as? NSNumber)?.uint64Value
            while let cursor = older {
                let page = try await h.rest(.get, "/timers/tea/history?limit=2&before=\(cursor)", token: alice)
                seen += Self.seqs(page.json)
                older = ((page.json as? [String: Any])?["older"] as? NSNumber)?.uint64Value
            }
            #expect(seen == all.reversed())
        }
    }

    @Test func anInviteeSeesFromTheirFirstShareOnAndOthersGetNotFound() async throws {
        try await Harness.run(configure: { $0.push.enabled = false }) { h in
            let alice = try await h.token("alice"), bob = try await h.token("bob"), carol = try await h.token("carol")
            #expect(try await h.rest(.post, "/timers/tea", token: alice, body: #"{"name":"Secret name","totalDuration":"PT3M","remainingDuration":"PT3M"}"#).status == .ok)
            #expect(try await h.rest(.post, "/timers/tea", token: alice, body: #"{"name":"Tea","totalDuration":"PT3M","remainingDuration":"PT3M"}"#).status == .ok)
            #expect(try await h.rest(.post, "/timers/tea/shares", token: alice, body: #"{"userId":"bob"}"#).status == .ok)
            #expect(try await h.rest(.post, "/timers/tea/add", token: bob, body: #"{"duration":"PT1M"}"#, headers: Self.device("web-b")).status == .ok)
            let store = h.server.state.store
            let shareSeq = try #require(try store.read { try TimerHistory.all(of: "tea", log: store.log, $0) }.first { if case .timerShared = $0.envelope.event { true } else { false } }?.envelope.seq)

            let page = try await h.rest(.get, "/timers/tea/history", token: bob)
            #expect(page.status == .ok)
            let body = try #require(page.json as? [String: Any])
            #expect((body["visibleFrom"] as? NSNumber)?.uint64Value == shareSeq)
            #expect(Self.seqs(page.json).allSatisfy { $0 >= shareSeq })
            #expect(Self.entries(page.json).compactMap { $0["type"] as? String } == ["timer_time_added", "timer_shared"])
            #expect(body["older"] is NSNull)
            // The name from before the share never reaches Bob.
            #expect(!String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self).contains("Secret name"))
            // Alice sees it all.
            #expect(Self.seqs(try await h.rest(.get, "/timers/tea/history", token: alice).json).count == 4)

            // Not on the timer, no such timer, a bad limit: refused, nothing appended.
            #expect(try await h.rest(.get, "/me", token: carol).status == .ok)  // registers her
            let head = try h.head()
            for (path, token) in [("/timers/tea/history", carol), ("/timers/nope/history", alice)] {
                let refused = try await h.rest(.get, path, token: token)
                #expect(refused.status == .notFound)
                #expect((refused.json as? [String: Any])?["code"] as? String == "not_found")
            }
            let bad = try await h.rest(.get, "/timers/tea/history?limit=0", token: alice)
            #expect(bad.status == .badRequest)
            #expect((bad.json as? [String: Any])?["code"] as? String == "invalid_field")
            #expect((bad.json as? [String: Any])?["field"] as? String == "limit")
            #expect(try h.head() == head)
        }
    }

    @Test func aStoppedTimerStaysReadableToItsPeopleAndAnErasedOneShowsAsErased() async throws {
        try await Harness.run(configure: { $0.push.enabled = false }) { h in
            let alice = try await h.token("alice")
            let bob = try await h.server.tokens.mint(user: "bob", claims: ["name": "Bob B"])
            #expect(try await h.rest(.post, "/timers/tea", token: alice, body: #"{"name":"Tea","totalDuration":"PT3M","remainingDuration":"PT3M","shareWith":["bob"]}"#).status == .ok)
            #expect(try await h.rest(.post, "/timers/tea/add", token: bob, body: #"{"duration":"PT1M"}"#).status == .ok)
            let before = try await h.rest(.get, "/timers/tea/history", token: alice)
            #expect(((before.json as? [String: Any])?["people"] as? [String: Any])?["bob"] as? [String: Any] != nil)
            #expect(((((before.json as? [String: Any])?["people"] as? [String: Any])?["bob"] as? [String: Any])?["displayName"] as? String) == "Bob B")

            #expect(try await h.rest(.delete, "/me", token: bob).status == .ok)
            #expect(try await h.rest(.delete, "/timers/tea", token: alice).status == .ok)
            let after = try await h.rest(.get, "/timers/tea/history", token: alice)
            #expect(after.status == .ok)
            #expect(Self.entries(after.json).first?["type"] as? String == "timer_stopped")
            let erased = try #require(((after.json as? [String: Any])?["people"] as? [String: Any])?["bob"] as? [String: Any])
            #expect(erased["erased"] as? Bool == true)
            #expect(erased["displayName"] is NSNull)
            // Bob left when he was erased: the stopped timer is no longer his to read.
            let bobAgain = try await h.token("bob")
            #expect(try await h.rest(.get, "/timers/tea/history", token: bobAgain).status == .notFound)
        }
    }
}
