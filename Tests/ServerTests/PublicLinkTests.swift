import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import BubbleServer

/// Public read-only links: the owner's routes, the anonymous read and socket, the page.
@Suite struct PublicLinkTests {
    static let tea = #"{"name":"Tea <3","totalDuration":"PT10M","endTime":"2099-01-01T10:00:00Z","tags":["kitchen"]}"#

    static func object(_ answer: (status: HTTPResponse.Status, json: Any?)) -> [String: Any] { answer.json as? [String: Any] ?? [:] }

    static func anonymous(_ h: Harness, _ path: String) async throws -> (status: HTTPResponse.Status, body: String, headers: HTTPFields) {
        try await h.client.execute(uri: path, method: .get) { ($0.status, String(buffer: $0.body), $0.headers) }
    }

    /// Creates alice's timer `tea`, shared with bob, and a link to it: the link's token.
    static func link(_ h: Harness) async throws -> String {
        #expect(try await h.rest(.post, "/timers/tea", as: "alice", body: tea).status == .ok)
        #expect(try await h.rest(.post, "/timers/tea/shares", as: "alice", body: #"{"userId":"bob"}"#).status == .ok)
        let created = try await h.rest(.post, "/timers/tea/links", as: "alice")
        #expect(created.status == .created)
        let token = try #require(object(created)["token"] as? String)
        #expect(token.count == 26)
        #expect(object(created)["url"] as? String == "\(h.server.configuration.publicBaseURL)/t/\(token)")
        return token
    }

    @Test func theOwnerMakesAndListsLinksAndAnyoneReadsThePublicFieldsOnly() async throws {
        try await Harness.run { h in
            let token = try await Self.link(h)
            let read = try await Self.anonymous(h, "/public/t/\(token)")
            #expect(read.status == .ok)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(read.body.utf8)) as? [String: Any])
            let timer = try #require(body["timer"] as? [String: Any])
            #expect(timer["name"] as? String == "Tea <3")
            #expect(timer["state"] as? String == "running")
            #expect(timer["endsAt"] as? Int64 == 4_070_944_800_000)
            #expect(timer["totalMs"] as? Int == 600_000)
            for secret in ["userId", "sharedWith", "id", "tags", "owner"] { #expect(timer[secret] == nil, "\(secret) is not public") }
            #expect(!read.body.contains("alice") && !read.body.contains("bob") && !read.body.contains("kitchen"))

            let listed = try await h.rest(.get, "/timers/tea/links", as: "alice")
            #expect(listed.status == .ok)
            let links = try #require(Self.object(listed)["links"] as? [[String: Any]])
            #expect(links.map { $0["token"] as? String } == [token])
            #expect(links.first?["viewers"] as? Int == 0)

            // Bob shares the timer but does not own it; carol cannot see it at all.
            for (method, path) in [(HTTPRequest.Method.post, "/timers/tea/links"), (.get, "/timers/tea/links"), (.delete, "/timers/tea/links/\(token)")] {
                let bob = try await h.rest(method, path, as: "bob")
                #expect(bob.status == .forbidden, "\(method) \(path)")
                #expect(Self.object(bob)["code"] as? String == "forbidden")
                let carol = try await h.rest(method, path, as: "carol")
                #expect(carol.status == .notFound, "\(method) \(path)")
                #expect(Self.object(carol)["code"] as? String == "not_found")
            }
            let unknown = try await h.rest(.delete, "/timers/tea/links/nosuchtoken", as: "alice")
            #expect(unknown.status == .notFound)
            #expect(Self.object(unknown)["error"] as? String == "no public link of this timer has that token")

            let missing = try await Self.anonymous(h, "/public/t/nosuchtoken")
            #expect(missing.status == .notFound)
            #expect(missing.body.contains("\"code\":\"not_found\""))
        }
    }

    @Test func aViewerFollowsTheTimerLiveAppendsNothingAndIsClosedWhenTheLinkIsRevoked() async throws {
        try await Harness.run { h in
            let token = try await Self.link(h)
            let before = try h.head()
            let viewer = TestSocket()
            try await viewer.connect(url: "ws://127.0.0.1:\(h.port)/public/t/\(token)/ws", headers: [:])
            let first = try await viewer.next { $0["type"] as? String == "timer" }
            #expect((first["timer"] as? [String: Any])?["state"] as? String == "running")
            #expect(first["serverTime"] is Int64 || first["serverTime"] is Int)
            #expect(try h.head() == before, "a viewer appends nothing")
            let metrics = try await Self.anonymous(h, "/metrics").body
            #expect(metrics.contains("bubble_public_viewers 1"))

            #expect(try await h.rest(.post, "/timers/tea/pause", as: "alice").status == .ok)
            let paused = try await viewer.next { ($0["timer"] as? [String: Any])?["state"] as? String == "paused" }
            let timer = try #require(paused["timer"] as? [String: Any])
            #expect(timer["remainingMs"] is Int)
            #expect(timer["userId"] == nil && timer["sharedWith"] == nil)

            #expect(try await h.rest(.delete, "/timers/tea/links/\(token)", as: "alice").status == .noContent)
            #expect(try await viewer.closedCode() == 4004)
            #expect(try await Self.anonymous(h, "/public/t/\(token)").status == .notFound)
            #expect(try await Self.anonymous(h, "/t/\(token)").status == .notFound)
        }
    }

    @Test func aViewerCanSendNothingAndTheLinkCapsItsViewers() async throws {
        try await Harness.run(configure: { $0.maxViewersPerLink = 1 }) { h in
            let token = try await Self.link(h)
            let viewer = TestSocket()
            try await viewer.connect(url: "ws://127.0.0.1:\(h.port)/public/t/\(token)/ws", headers: [:])
            _ = try await viewer.next { $0["type"] as? String == "timer" }

            let (status, body) = try await rawExchange(port: h.port, "GET /public/t/\(token)/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            #expect(status == 429)
            #expect(body.contains("\"code\":\"too_many_viewers\""))

            let before = try h.head()
            viewer.send(["type": "stop", "timerId": "tea"])
            let refused = try await viewer.next { $0["type"] as? String == "error" }
            #expect(refused["code"] as? String == "read_only")
            #expect(try await viewer.closedCode() == 1008)
            #expect(try h.head() == before)
            // The frame it sent was not a command: the timer runs on.
            #expect(Self.object(try await h.rest(.get, "/timers/tea", as: "alice"))["state"] as? String == "running")
        }
    }

    @Test func stoppingTheTimerEndsItsLinksAndTheirViewers() async throws {
        try await Harness.run { h in
            let token = try await Self.link(h)
            let viewer = TestSocket()
            try await viewer.connect(url: "ws://127.0.0.1:\(h.port)/public/t/\(token)/ws", headers: [:])
            _ = try await viewer.next { $0["type"] as? String == "timer" }
            #expect(try await h.rest(.delete, "/timers/tea", as: "alice").status == .ok)
            _ = try await viewer.next { $0["type"] as? String == "stopped" }
            #expect(try await viewer.closedCode() == 1000)
            #expect(try await Self.anonymous(h, "/public/t/\(token)").status == .notFound)
        }
    }

    @Test func thePageIsOneSelfContainedDocumentWithTheEscapedName() async throws {
        try await Harness.run { h in
            let token = try await Self.link(h)
            let page = try await Self.anonymous(h, "/t/\(token)")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.body.contains("<title>Tea &lt;3 · Bubble Timer</title>"))
            #expect(!page.body.contains("Tea <3"))
            #expect(page.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("default-src 'none'") == true)
            // Nothing from elsewhere: no src or href pointing off the server.
            #expect(!page.body.contains("src=\"http") && !page.body.contains("href=\"http"))
            let missing = try await Self.anonymous(h, "/t/nosuchtoken")
            #expect(missing.status == .notFound)
            #expect(missing.body.contains("data-missing=\"1\""))
        }
    }
}
