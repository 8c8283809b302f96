import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TimerDomain
import BubbleCore
@testable import BubbleServer

/// `GET /me/export.json|csv`: everything of the caller's, nobody else's personal data.
@Suite struct ExportTests {
    static func download(_ h: Harness, _ path: String, token: String) async throws -> (status: HTTPResponse.Status, body: String, headers: HTTPFields) {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(token)"
        return try await h.client.execute(uri: path, method: .get, headers: headers) { ($0.status, String(buffer: $0.body), $0.headers) }
    }

    /// Alice (with an email) owns `tea`, shared with Bob (with an email and a name), with a
    /// reminder, a push device, and a long history; Bob shares a timer with her.
    static func scenario(_ h: Harness, updates: Int) async throws -> (alice: String, bob: String) {
        let alice = try await h.server.tokens.mint(user: "alice", claims: ["email": "alice@example.org"])
        let bob = try await h.server.tokens.mint(user: "bob", claims: ["email": "bob@example.org", "name": "Bob B"])
        #expect(try await h.rest(.get, "/me", token: bob).status == .ok)
        let tea = #"{"name":"Tea","totalDuration":"PT3M","endTime":"2099-01-01T10:00:00Z"}"#
        #expect(try await h.rest(.post, "/timers/tea", token: alice, body: tea).status == .ok)
        #expect(try await h.rest(.post, "/timers/tea/shares", token: alice, body: #"{"userId":"bob"}"#).status == .ok)
        #expect(try await h.rest(.post, "/timers/tea/reminders", token: alice, body: #"{"before":"PT1M"}"#).status == .created)
        #expect(try await h.rest(.post, "/me/devices", token: alice, body: #"{"deviceId":"phone","provider":"expo","token":"ExponentPushToken[x]"}"#).status == .created)
        #expect(try await h.rest(.post, "/timers/b1", token: bob, body: #"{"name":"Bob's","totalDuration":"PT1M","remainingDuration":"PT1M"}"#).status == .ok)
        #expect(try await h.rest(.post, "/timers/b1/shares", token: bob, body: #"{"userId":"alice"}"#).status == .ok)
        let store = h.server.state.store
        // Many in flight at once: group commit makes them a few synced commits, not hundreds.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<updates {
                group.addTask {
                    let snapshot = TimerSnapshot(id: "tea", name: "Tea \(i)", totalDuration: "PT3M", end: "2099-01-01T10:00:00Z")
                    _ = try await store.execute(CommandRequest(.timer(.update(snapshot)), actor: Actor(userID: "alice", deviceID: "phone")))
                }
            }
            try await group.waitForAll()
        }
        return (alice, bob)
    }

    @Test func theJSONExportHoldsEveryKindOfRecordAndTheWholeHistoryPageByPage() async throws {
        try await Harness.run(configure: { $0.push.enabled = false }) { h in
            let updates = ExportPages.pageSize + 20
            let (alice, _) = try await Self.scenario(h, updates: updates)
            let answer = try await Self.download(h, "/me/export.json", token: alice)
            #expect(answer.status == .ok)
            #expect(answer.headers[.contentDisposition] == "attachment; filename=\"bubble-timer-export.json\"")
            let body = try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])
            #expect(body["userId"] as? String == "alice")
            let records = try #require(body["records"] as? [[String: Any]])
            let kinds = Set(records.compactMap { $0["recordType"] as? String })
            #expect(kinds == ["user", "timer", "share", "reminder", "device", "notification", "event"])
            let user = try #require(records.first { $0["recordType"] as? String == "user" })
            #expect((user["detail"] as? [String: Any])?["email"] as? String == "alice@example.org")
            // Bob by id and display name only.
            let share = try #require(records.first { $0["recordType"] as? String == "share" && $0["timerId"] as? String == "tea" })
            #expect(share["actor"] as? String == "bob")
            #expect(share["name"] as? String == "Bob B")
            #expect(!answer.body.contains("bob@example.org"))
            // Every event of tea's stream, in order, past one page.
            let store = h.server.state.store
            let logged = try store.read { try store.log.streamSeqs(.timer("tea"), $0) }
            let exported = records.filter { $0["recordType"] as? String == "event" && $0["timerId"] as? String == "tea" }.compactMap { $0["seq"] as? UInt64 ?? ($0["seq"] as? Int).map(UInt64.init) }
            #expect(exported == logged)
            #expect(exported.count > ExportPages.pageSize)
            // Alice's own stream is in it too (her registration), and Bob's timer she shares.
            #expect(records.contains { $0["type"] as? String == "user_registered" && $0["actor"] as? String == "alice" })
            #expect(records.contains { $0["recordType"] as? String == "timer" && $0["id"] as? String == "b1" && $0["type"] as? String == "shared_with_me" })
            // Bob's timer's history from when it was shared with her, not before.
            let b1 = records.filter { $0["recordType"] as? String == "event" && $0["timerId"] as? String == "b1" }.compactMap { $0["type"] as? String }
            #expect(b1 == ["timer_shared"])
        }
    }

    @Test func theCSVExportHasOneRowPerRecordWithARecordTypeColumn() async throws {
        try await Harness.run(configure: { $0.push.enabled = false }) { h in
            let (alice, _) = try await Self.scenario(h, updates: 3)
            let json = try await Self.download(h, "/me/export.json", token: alice)
            let records = try #require((try JSONSerialization.jsonObject(with: Data(json.body.utf8)) as? [String: Any])?["records"] as? [Any])
            let csv = try await Self.download(h, "/me/export.csv", token: alice)
            #expect(csv.status == .ok)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            let lines = csv.body.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(lines.first == "recordType,id,timerId,seq,time,type,name,actor,device,detail")
            #expect(lines.count == records.count + 1)
            #expect(lines.dropFirst().allSatisfy { line in ExportRecord.Kind.allCases.contains { line.hasPrefix($0.rawValue + ",") } })
            #expect(!csv.body.contains("bob@example.org"))
            #expect(try await h.rest(.get, "/me/export.csv", token: "nope").status == .unauthorized)
        }
    }

    @Test func csvCellsAreQuotedAndFormulasDefused() {
        #expect(ExportRecord.csvCell("plain") == "plain")
        #expect(ExportRecord.csvCell("a,b") == "\"a,b\"")
        #expect(ExportRecord.csvCell("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(ExportRecord.csvCell("=HYPERLINK(1)") == "'=HYPERLINK(1)")
        #expect(ExportRecord.csvCell("-5") == "-5")
        #expect(ExportRecord.csvCell("-cmd") == "'-cmd")
    }
}
