import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TestSupport
import TimerDomain
import BubbleCore
@testable import BubbleServer

/// Issue 10: what a hostile client or an unlucky operator must not be able to do.
@Suite struct HardeningTests {
    @Test func aTokenInTheURLIsRefusedOnRESTAndNeverLogged() async throws {
        let logs = LogCapture()
        try await Harness.run(logs: logs) { h in
            let token = try await h.token("alice")
            let answer = try await h.client.execute(uri: "/timers?token=\(token)", method: .get) { response in
                (response.status, String(buffer: response.body))
            }
            #expect(answer.0 == .unauthorized)
            let body = try JSONSerialization.jsonObject(with: Data(answer.1.utf8)) as? [String: String]
            #expect(body?["code"] == "unauthorized")
            #expect(body?["error"] == "?token= is accepted only on the WebSocket upgrade: send Authorization: Bearer <jwt>")
            // The same token works in the header, and the socket still takes it in the URL.
            #expect(try await h.rest(.get, "/timers", as: "alice").status == .ok)
            let socket = TestSocket()
            try await socket.connect(url: "ws://127.0.0.1:\(h.port)/ws?token=\(token)&deviceId=web", headers: [:])
            _ = try await socket.next(ofType("snapshot"))
            await socket.close()
            let lines = logs.lines
            #expect(lines.contains { $0.contains("/timers?token=REDACTED") })
            let signature = String(token.split(separator: ".").last!)
            #expect(!lines.contains { $0.contains(signature) }, "a log line carries the token")
        }
    }

    @Test func redactionHidesEverySecretParameterAndKeepsTheRest() {
        #expect(Redaction.uri("/ws?since=4&TOKEN=abc.def&deviceId=x") == "/ws?since=4&TOKEN=REDACTED&deviceId=x")
        #expect(Redaction.uri("/timers?refresh_token=r&code=123456") == "/timers?refresh_token=REDACTED&code=REDACTED")
        #expect(Redaction.uri("/timers/tea") == "/timers/tea")
        #expect(Redaction.uri("/x?token") == "/x?token=REDACTED")
    }

    /// Before: 1,024 frames, then `1013 slow consumer` on every retry (the whole resume was
    /// queued before the socket drained any of it).
    @Test func aClientFarBehindIsStreamedEveryMissedCommandThenResumed() async throws {
        // The default window is 100,000 events; the connect itself is one more.
        try await Harness.run(configure: { $0.resumeWindow = 200_000 }) { h in
            let store = h.server.state.store
            let before = try store.read { try store.log.head($0).seq }
            let phone = Actor(userID: "alice", deviceID: "phone")
            let missed = 100_000
            for chunk in stride(from: 0, to: missed, by: 5_000) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for i in chunk..<min(chunk + 5_000, missed) {
                        group.addTask {
                            let timer = TimerSnapshot(id: "t\(i % 50)", name: "n\(i)", totalDuration: "PT5M")
                            _ = try await store.execute(CommandRequest(.timer(.update(timer)), actor: phone))
                        }
                    }
                    try await group.waitForAll()
                }
            }
            let head = try store.read { try store.log.head($0).seq }
            #expect(head - before == UInt64(missed))

            let web = try await h.socket("alice", device: "web", query: "?since=\(before)")
            let resumed = try await web.waitForRawFrame(containing: "\"type\":\"resumed\"", timeout: 120)
            let summary = try #require(resumed.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
            #expect(summary["count"] as? Int == missed)
            // Caught up through its own connect, the one event after the missed ones.
            #expect((summary["seq"] as? NSNumber)?.uint64Value == head + 1)
            // Every missed command once, in log order, and nothing else.
            let seqs = web.rawFrames.compactMap { text -> UInt64? in
                guard text.contains("\"type\":\"timer\"") else { return nil }
                return ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any])?["seq"].flatMap { ($0 as? NSNumber)?.uint64Value }
            }
            #expect(seqs == Array((before + 1)...head))
            // Live again after the resume.
            _ = try await store.execute(CommandRequest(.timer(.update(TimerSnapshot(id: "t1", name: "after", totalDuration: "PT5M"))), actor: phone))
            _ = try await web.next { ($0["timer"] as? [String: Any])?["name"] as? String == "after" }
            #expect(!web.isClosed)
            await web.close()
        }
    }

    /// Before: closeAllConnections waited out its 3 s for a client that never answers the
    /// close handshake, and its disconnect was recorded only if the store was still open.
    @Test func aClientIgnoringTheCloseHandshakeHasItsDisconnectRecordedAtShutdown() async throws {
        try await Harness.run { h in
            let deaf = try StalledClient(port: h.port, token: try await h.token("alice"), device: "deaf")
            #expect(deaf.handshake.hasPrefix("HTTP/1.1 101"))
            for _ in 0..<200 where h.server.state.hub.count == 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(try h.disconnectReason(user: "alice", device: "deaf") == nil)
            await h.server.closeAllConnections()
            #expect(try h.disconnectReason(user: "alice", device: "deaf") == "server shutting down")
        }
    }
}
