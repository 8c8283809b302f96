import Foundation
import HTTPTypes
import Testing
import TestSupport
import TimerDomain
@testable import BubbleServer

/// Messages between people who share a timer, over REST, sockets and push.
@Suite struct MessageTests {
    func object(_ answer: (status: HTTPResponse.Status, json: Any?)) -> [String: Any] { answer.json as? [String: Any] ?? [:] }

    @Test func peopleOnATimerWriteToEachOtherAndNobodyElse() async throws {
        let provider = try FakePushProvider()
        try await provider.run { port in
            try await Harness.run(configure: { $0.push.webhookURL = "http://127.0.0.1:\(port)/hook" }) { h in
                let alice = try await h.server.tokens.mint(user: "alice", claims: ["name": "Alice"])
                _ = try await h.rest(.post, "/timers/shared", token: alice, body: #"{"timerId":"t1","userIds":["bob","carol"],"timer":{"id":"t1","name":"Tea","totalDuration":"PT3M"}}"#)
                let bobSocket = try await h.socket("bob", device: "laptop")
                _ = try await h.rest(.post, "/me/devices", as: "carol", body: #"{"deviceId":"kitchen","provider":"webhook","token":"w"}"#)

                let direct = try await h.rest(.post, "/messages", token: alice, body: #"{"to":"bob","content":"tea's ready"}"#)
                #expect(direct.status == .created)
                let sent = try #require((object(direct)["messages"] as? [[String: Any]])?.first)
                #expect(sent["to"] as? String == "bob")
                #expect(sent["content"] as? String == "tea's ready")
                let frame = try await bobSocket.next(ofType("message"))
                let live = try #require(frame["message"] as? [String: Any])
                #expect(live["from"] as? String == "alice")
                #expect(live["fromName"] as? String == "Alice")
                #expect(live["content"] as? String == "tea's ready")
                #expect(live["id"] as? Int == sent["id"] as? Int)

                // To everyone on the timer but the sender: carol is pushed the text.
                let group = try await h.rest(.post, "/messages", as: "bob", body: #"{"timerId":"t1","content":"coming"}"#)
                #expect((object(group)["messages"] as? [[String: Any]])?.compactMap { $0["to"] as? String } == ["alice", "carol"])
                let push = try #require(try await provider.waitForSends(1).first)
                #expect(push.json["kind"] as? String == "message")
                #expect(push.json["title"] as? String == "Message from bob")
                #expect(push.json["body"] as? String == "coming")

                let conversation = object(try await h.rest(.get, "/me/messages?with=bob", token: alice))
                #expect((conversation["messages"] as? [[String: Any]])?.compactMap { $0["content"] as? String } == ["coming", "tea's ready"])
                let inbox = object(try await h.rest(.get, "/me/notifications", as: "bob"))
                let entry = try #require((inbox["notifications"] as? [[String: Any]])?.first { $0["kind"] as? String == "message" })
                #expect(entry["id"] as? Int == sent["id"] as? Int)
                let read = try await h.rest(.post, "/me/messages/\(sent["id"] as? Int ?? 0)/read", as: "bob")
                #expect(object(read)["read"] as? Bool == true)
                #expect(object(try await h.rest(.get, "/me/notifications?unread=true", as: "bob"))["unread"] as? Int == 1)  // the invitation

                let stranger = try await h.rest(.post, "/messages", as: "mallory", body: #"{"to":"bob","content":"buy now"}"#)
                #expect(stranger.status == .forbidden)
                #expect(object(stranger)["code"] as? String == "forbidden")
                let notMine = try await h.rest(.post, "/messages", as: "mallory", body: #"{"timerId":"t1","content":"hi"}"#)
                #expect(notMine.status == .notFound)
                let before = try h.head()
                for (body, code) in [
                    (#"{"content":"hi"}"#, "missing_field"), (#"{"to":"bob","timerId":"t1","content":"hi"}"#, "invalid_field"),
                    (#"{"to":"bob","content":""}"#, "invalid_field"), (#"{"to":"bob"}"#, "missing_field"),
                ] {
                    let bad = try await h.rest(.post, "/messages", token: alice, body: body)
                    #expect(bad.status == .badRequest, "\(body)")
                    #expect(object(bad)["code"] as? String == code, "\(body)")
                }
                #expect(try await h.rest(.post, "/messages", as: "bob", body: #"{"to":"mallory","content":"hi"}"#).status == .forbidden)
                #expect(try h.head() == before, "a refused message appends nothing")
                #expect(try await h.rest(.post, "/me/messages/999999/read", as: "bob").status == .notFound)

                // The sender leaves: her words are unreadable everywhere; bob's own stay.
                _ = try await h.rest(.delete, "/me", token: alice)
                let after = object(try await h.rest(.get, "/me/messages", as: "bob"))
                let rows = try #require(after["messages"] as? [[String: Any]])
                #expect(rows.count == 3)  // alice's to him, and his to alice and to carol (one per recipient)
                #expect(rows.first { $0["from"] as? String == "alice" }?["erased"] as? Bool == true)
                #expect(rows.first { $0["from"] as? String == "alice" }?["content"] is NSNull)
                #expect(rows.first { $0["from"] as? String == "bob" }?["content"] as? String == "coming")
                await bobSocket.close()
            }
        }
    }
}
