import Foundation
import HTTPTypes
import Testing
import TestSupport
import TimerDomain
@testable import BubbleCore
@testable import BubbleServer

/// The users directory, the inbox and erasure over REST and sockets.
@Suite struct PeopleTests {
    func object(_ answer: (status: HTTPResponse.Status, json: Any?)) -> [String: Any] { answer.json as? [String: Any] ?? [:] }

    @Test func aUserIsRegisteredFromTheirTokenAndOthersSeeNoEmail() async throws {
        try await Harness.run { h in
            // First seen with a token that names no email (an access token), then with one that does.
            #expect(object(try await h.rest(.get, "/me", as: "bob"))["email"] is NSNull)
            let bobToken = try await h.server.tokens.mint(user: "bob", claims: ["email": "bob@example.com", "name": "Bob"])
            let me = object(try await h.rest(.get, "/me", token: bobToken))
            #expect(me["id"] as? String == "bob")
            #expect(me["email"] as? String == "bob@example.com")
            #expect(me["displayName"] is NSNull)  // a token's name is taken once, at registration
            #expect(me["settings"] as? [String: String] == [:])
            #expect(me["counts"] as? [String: Int] == ["ownedTimers": 0, "sharedTimers": 0, "unreadNotifications": 0])

            let patched = try await h.rest(.patch, "/me", token: bobToken, body: #"{"displayName":"Bobby","settings":{"theme":"dark","sound":"bell"}}"#)
            #expect(patched.status == .ok)
            #expect(object(patched)["displayName"] as? String == "Bobby")
            #expect(object(patched)["settings"] as? [String: String] == ["theme": "dark", "sound": "bell"])
            let merged = try await h.rest(.patch, "/me", token: bobToken, body: #"{"settings":{"sound":null}}"#)
            #expect(object(merged)["settings"] as? [String: String] == ["theme": "dark"])

            let seen = try await h.rest(.get, "/users/bob", as: "alice")
            #expect(seen.status == .ok)
            #expect(object(seen)["id"] as? String == "bob")
            #expect(object(seen)["displayName"] as? String == "Bobby")  // set by PATCH below
            #expect(object(seen)["avatarUrl"] is NSNull)
            #expect(object(seen)["email"] == nil)
            let nobody = try await h.rest(.get, "/users/nobody", as: "alice")
            #expect(nobody.status == .notFound)
            #expect(object(nobody)["code"] as? String == "not_found")
        }
    }

    /// Before: a token whose email was over the limit left its user unregistered, retried (and
    /// logged) on every request, and `PATCH /me` refused them as "not registered".
    @Test func aTokenEmailTheServerCannotKeepIsLeftOutNotTheUser() async throws {
        try await Harness.run { h in
            let long = String(repeating: "x", count: 300) + "@example.com"
            let token = try await h.server.tokens.mint(user: "bob", claims: ["email": long, "name": "Bob"])
            let me = object(try await h.rest(.get, "/me", token: token))
            #expect(me["email"] is NSNull)
            #expect(me["displayName"] as? String == "Bob")
            let patched = try await h.rest(.patch, "/me", token: token, body: #"{"displayName":"Bobby"}"#)
            #expect(patched.status == .ok)
            #expect(object(patched)["displayName"] as? String == "Bobby")
        }
    }

    @Test func aProfilePatchRefusesWhatCannotBeAProfile() async throws {
        try await Harness.run { h in
            _ = try await h.rest(.get, "/me", as: "bob")  // registers bob before the count
            let before = try h.head()
            for (body, code, field) in [
                (#"{"displayName":5}"#, "wrong_type", "displayName"),
                (#"{"displayName":""}"#, "invalid_field", "displayName"),
                (#"{"displayName":"\#(String(repeating: "x", count: 101))"}"#, "invalid_field", "displayName"),
                (#"{"settings":"dark"}"#, "wrong_type", "settings"),
                (#"{"settings":{"theme":1}}"#, "wrong_type", "settings"),
                (#"{"email":"me@example.com"}"#, "unknown_field", "email"),
            ] {
                let answer = try await h.rest(.patch, "/me", as: "bob", body: body)
                #expect(answer.status == .badRequest, "\(body)")
                #expect(object(answer)["code"] as? String == code, "\(body)")
                #expect(object(answer)["field"] as? String == field, "\(body)")
            }
            #expect(try h.head() == before, "a refused patch appends nothing")
        }
    }

    @Test func theDirectoryListsExactIdsAndPeopleYouShareWithOnly() async throws {
        try await Harness.run { h in
            let bob = try await h.server.tokens.mint(user: "bob", claims: ["name": "Bobby"])
            _ = try await h.rest(.get, "/me", token: bob)
            _ = try await h.rest(.get, "/me", as: "carol")
            _ = try await h.rest(.get, "/me", as: "bora")
            _ = try await h.rest(.post, "/timers/shared", as: "alice", body: #"{"timerId":"t1","userIds":["bob"],"timer":{"id":"t1","name":"Tea","totalDuration":"PT3M"}}"#)
            func ids(_ query: String) async throws -> [String] {
                let answer = try await h.rest(.get, "/users?query=\(query)", as: "alice")
                #expect(answer.status == .ok)
                return (answer.json as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            }
            #expect(try await ids("bo") == ["bob"])  // bora exists but shares nothing with alice
            #expect(try await ids("BOBB") == ["bob"])  // by display name, any case
            #expect(try await ids("car") == [])
            #expect(try await ids("carol") == ["carol"])  // an exact id
            let missing = try await h.rest(.get, "/users", as: "alice")
            #expect(missing.status == .badRequest)
            #expect(object(missing)["code"] as? String == "missing_field")
        }
    }

    @Test func theInboxPagesReadsAndCounts() async throws {
        try await Harness.run { h in
            let seed = try await h.socket("bob", device: "laptop")
            for i in 1...3 {
                _ = try await h.rest(.post, "/timers/shared", as: "alice", body: #"{"timerId":"t\#(i)","userIds":["bob"],"timer":{"id":"t\#(i)","name":"T\#(i)","totalDuration":"PT3M"}}"#)
                _ = try await seed.next(ofType("notification"))
            }
            let all = object(try await h.rest(.get, "/me/notifications", as: "bob"))
            let list = try #require(all["notifications"] as? [[String: Any]])
            #expect(list.map { $0["timerId"] as? String } == ["t3", "t2", "t1"])  // newest first
            #expect(all["unread"] as? Int == 3)
            let ids = list.compactMap { $0["id"] as? Int }
            let page = object(try await h.rest(.get, "/me/notifications?limit=1&before=\(ids[0])", as: "bob"))
            #expect((page["notifications"] as? [[String: Any]])?.map { $0["timerId"] as? String } == ["t2"])

            let read = try await h.rest(.post, "/me/notifications/\(ids[1])/read", as: "bob")
            #expect(read.status == .ok)
            #expect(object(read)["read"] as? Bool == true)
            let unread = object(try await h.rest(.get, "/me/notifications?unread=true", as: "bob"))
            #expect((unread["notifications"] as? [[String: Any]])?.map { $0["timerId"] as? String } == ["t3", "t1"])
            #expect(unread["unread"] as? Int == 2)
            // The user's other sockets hear of it.
            let seen = try await seed.next(ofType("notificationsRead"))
            #expect(seen["ids"] as? [Int] == [ids[1]])

            let everything = try await h.rest(.post, "/me/notifications/read-all", as: "bob")
            #expect(object(everything)["read"] as? Int == 2)
            #expect(object(try await h.rest(.get, "/me/notifications", as: "bob"))["unread"] as? Int == 0)
            // A reconnecting seed client gets the count in its snapshot.
            _ = try await h.rest(.post, "/timers/shared", as: "alice", body: #"{"timerId":"t4","userIds":["bob"],"timer":{"id":"t4","name":"T4","totalDuration":"PT3M"}}"#)
            let again = try await h.socket("bob", device: "tablet", waitForInitialState: false)
            #expect(try await again.next(ofType("snapshot"))["unreadNotifications"] as? Int == 1)
            // A resuming one in its `resumed` frame (inbox entries are not replayed as frames).
            let head = try await h.client.execute(uri: "/health", method: .get) { r in
                ((try? JSONSerialization.jsonObject(with: Data(buffer: r.body))) as? [String: Any])?["seq"] as? Int ?? 0
            }
            let resumed = try await h.socket("bob", device: "phone", query: "?since=\(head)")
            #expect(try await resumed.next(ofType("resumed"))["unreadNotifications"] as? Int == 1)
            await resumed.close()

            let unknown = try await h.rest(.post, "/me/notifications/999999/read", as: "bob")
            #expect(unknown.status == .notFound)
            #expect(object(unknown)["code"] as? String == "not_found")
            let notANumber = try await h.rest(.post, "/me/notifications/abc/read", as: "bob")
            #expect(notANumber.status == .badRequest)
            #expect(object(notANumber)["code"] as? String == "invalid_field")
            // bob's notification does not exist for carol.
            let someoneElses = try await h.rest(.post, "/me/notifications/\(ids[0])/read", as: "carol")
            #expect(someoneElses.status == .notFound)
            for query in ["limit=0", "limit=201", "before=0", "unread=maybe"] {
                let answer = try await h.rest(.get, "/me/notifications?\(query)", as: "bob")
                #expect(answer.status == .badRequest, "\(query)")
                #expect(object(answer)["code"] as? String == "invalid_field", "\(query)")
            }
            await seed.close()
            await again.close()
        }
    }

    // DELETE /me: the user leaves, and what the log holds of them can no longer be read.
    @Test func aDeletedUserIsUnreadableInViewsAndLogWhileTheLogStillVerifies() async throws {
        let directory = TemporaryDirectory("erase")
        let email = "bob.secret@example.com"
        try await Harness.run(directory: directory) { h in
            let bob = try await h.server.tokens.mint(user: "bob", claims: ["email": email, "name": "Bob"])
            #expect(object(try await h.rest(.get, "/me", token: bob))["email"] as? String == email)
            let socket = try await h.socket("bob", device: "laptop")
            let alice = try await h.socket("alice", device: "phone")
            _ = try await h.rest(.post, "/timers/shared", as: "alice", body: #"{"timerId":"a1","userIds":["bob"],"timer":{"id":"a1","name":"Alice's","totalDuration":"PT3M"}}"#)
            _ = try await h.rest(.post, "/timers/shared", token: bob, body: #"{"timerId":"b1","userIds":["alice"],"timer":{"id":"b1","name":"Bob's","totalDuration":"PT3M"}}"#)
            _ = try await h.rest(.post, "/device-tokens", token: bob, body: #"{"deviceId":"laptop","fcmToken":"tok"}"#)

            let deleted = try await h.rest(.delete, "/me", token: bob)
            #expect(deleted.status == .ok)
            #expect(object(deleted)["result"] as? String == "deleted")
            // His socket is closed; alice hears his timer stop and her share lose him.
            _ = try await alice.next(isTimerFrame("b1"))
            try await Task.sleep(for: .milliseconds(200))
            #expect(socket.closeCode == 4003)
            let hers = object(try await h.rest(.get, "/timers/a1", as: "alice"))
            #expect((hers["sharedWith"] as? [String]) == [])
            #expect(try await h.rest(.get, "/users/bob", as: "alice").status == .notFound)

            let store = h.server.state.store
            try store.read { txn in
                #expect(try store.keys.key(of: "bob", txn) == nil)
                #expect(try store.views.userState("bob", txn) == .initial)
                #expect(try store.views.notifications(of: "bob", before: nil, unreadOnly: false, limit: 10, txn).isEmpty)
                // The registration is still in the log, unchanged, and can no longer be opened.
                var sealedEmail: Sealed?
                try store.log.history(of: .user("bob"), txn) { e in
                    if case .userRegistered(_, let email, _) = e.event { sealedEmail = email }
                    return true
                }
                #expect(sealedEmail != nil)
                #expect(try store.log.verify(txn).isValid)
            }
            let report = try Replay.verify(environment: store.environment, log: store.log, views: store.views)
            #expect(report.differences.isEmpty, "\(report.differences)")
            await alice.close()
        }
        // Not one byte of the address was ever written: the data file holds it sealed only.
        let file = try Data(contentsOf: URL(fileURLWithPath: directory.path + "/data.mdb"))
        #expect(file.range(of: Data(email.utf8)) == nil)
    }
}
