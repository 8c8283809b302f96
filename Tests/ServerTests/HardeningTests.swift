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

    /// Before: closeAllConnections waited out its 3 s for a client that never answers the
    /// close handshake, and its disconnect was recorded only if the store was still open.
    @Test func aClientIgnoringTheCloseHandshakeHasItsDisconnectRecordedAtShutdown() async throws {
        try await Harness.run { h in
            let deaf = try await StalledClient.open(port: h.port, token: try await h.token("alice"), device: "deaf")
            #expect(deaf.handshake.hasPrefix("HTTP/1.1 101"))
            for _ in 0..<200 where h.server.state.hub.count == 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(try h.disconnectReason(user: "alice", device: "deaf") == nil)
            await h.server.closeAllConnections()
            #expect(try h.disconnectReason(user: "alice", device: "deaf") == "server shutting down")
        }
    }

    /// Before: a connection that sent half a request head stayed open for good.
    @Test func aConnectionWithoutACompleteRequestHeadIsClosedAtTheHeaderTimeout() async throws {
        let logs = LogCapture()
        try await Harness.run(logs: logs, configure: { $0.headerTimeout = 0.5 }) { h in
            // The test client's own idle connection times out too: let it, then count ours.
            let timeouts = { h.server.state.metrics.value(of: "bubble_header_timeouts_total") ?? 0 }
            try await Task.sleep(for: .seconds(1))
            let before = timeouts()
            let silent = try RawConnection(port: h.port)
            let dribbling = try RawConnection(port: h.port)
            dribbling.send("GET /health HTTP/1.1\r\nHost: x\r\n")
            #expect(try await silent.readUntilClosed(within: 15) == ("", true))
            #expect(try await dribbling.readUntilClosed(within: 15) == ("", true))
            #expect(timeouts() == before + 2)
            // Before: hummingbird-websocket logged each such close as an error.
            #expect(!logs.lines.contains { $0.hasPrefix("error") }, "\(logs.lines.filter { $0.hasPrefix("error") })")
        }
    }

    /// Before: an idle keep-alive connection stayed open for good.
    @Test func anIdleKeepAliveConnectionIsClosedAtTheIdleTimeout() async throws {
        try await Harness.run(configure: { $0.idleTimeout = 0.5 }) { h in
            let client = try RawConnection(port: h.port)
            client.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            let answer = try await client.readUntilClosed(within: 15)
            #expect(answer.text.hasPrefix("HTTP/1.1 200"))
            #expect(answer.closed)
        }
    }

    /// Before: nothing capped connections; at the file limit `/health` went unanswered.
    @Test func connectionsOverTheCapsAreClosedAtOnceAndCounted() async throws {
        try await Harness.run(configure: { $0.maxConnectionsPerAddress = 3 }) { h in
            // The test client's connection is one of them: make sure it is open first.
            #expect(try await h.rest(.get, "/timers", as: "alice").status == .ok)
            let before = h.server.state.connectionLimits.open
            let held = try (before..<3).map { _ in try RawConnection(port: h.port) }
            for _ in 0..<100 where h.server.state.connectionLimits.open < 3 { try await Task.sleep(for: .milliseconds(10)) }
            let refused = try RawConnection(port: h.port)
            #expect(try await refused.readUntilClosed(within: 15) == ("", true))
            withExtendedLifetime(held) {}
        }
        try await Harness.run(configure: { $0.maxConnections = 2; $0.trustedProxies = ["127.0.0.1"] }) { h in
            #expect(try await h.rest(.get, "/timers", as: "alice").status == .ok)
            let held = try (h.server.state.connectionLimits.open..<2).map { _ in try RawConnection(port: h.port) }
            for _ in 0..<100 where h.server.state.connectionLimits.open < 2 { try await Task.sleep(for: .milliseconds(10)) }
            let counted = { h.server.state.metrics.value(of: "bubble_connections_refused_total{reason=\"total\"}") ?? 0 }
            let before = counted()
            let refused = try RawConnection(port: h.port)
            #expect(try await refused.readUntilClosed(within: 15) == ("", true))
            #expect(counted() == before + 1)
            withExtendedLifetime(held) {}
        }
    }

    @Test func behindATrustedProxyTheForwardedClientIsCapped() async throws {
        try await Harness.run(configure: { $0.maxConnectionsPerAddress = 1; $0.trustedProxies = ["127.0.0.1"] }) { h in
            func open(_ device: String, from address: String) async throws -> TestSocket {
                var headers = HTTPFields()
                headers[.authorization] = "Bearer \(try await h.token("alice"))"
                headers[HTTPField.Name("DeviceId")!] = device
                headers[HTTPField.Name("X-Forwarded-For")!] = "10.9.9.9, \(address)"
                let socket = TestSocket()
                try await socket.connect(url: "ws://127.0.0.1:\(h.port)/ws", headers: headers)
                return socket
            }
            let first = try await open("a", from: "203.0.113.7")
            _ = try await first.next(ofType("snapshot"))
            let second = try await open("b", from: "203.0.113.7")
            for _ in 0..<300 where !second.isClosed { try await Task.sleep(for: .milliseconds(10)) }
            #expect(second.closeCode == 1008, "\(second.rawFrames)")
            let other = try await open("c", from: "198.51.100.1")
            _ = try await other.next(ofType("snapshot"))
            await first.close()
            await other.close()
        }
    }

    @Test func theForwardedAddressIsBelievedOnlyFromATrustedProxy() {
        let trusted: Set<String> = ["10.0.0.2", "10.0.0.3"]
        #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: "1.2.3.4, 5.6.7.8, 10.0.0.3", trustedProxies: trusted) == "5.6.7.8")
        #expect(ClientAddress.resolve(peer: "9.9.9.9", forwardedFor: "1.2.3.4", trustedProxies: trusted) == "9.9.9.9")
        #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: nil, trustedProxies: trusted) == "10.0.0.2")
        #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: " , ", trustedProxies: trusted) == "10.0.0.2")
    }

    /// Defect 9. Before: an empty query id was a 500 (a zero-length LMDB key), an id over
    /// the documented length was accepted, and a known path with another method was a 404.
    @Test func noInputReachesStorageUncheckedAndAKnownPathAnswers405() async throws {
        try await Harness.run { h in
            let empty = try await h.rest(.delete, "/timers/shared?timerId=", as: "alice")
            #expect(empty.status == .badRequest)
            #expect(empty.json as? [String: String] == ["code": "invalid_field", "field": "timerId", "error": "invalid timerId: is required and must not be empty"])
            let long = try await h.rest(.delete, "/timers/" + String(repeating: "x", count: 129), as: "alice")
            #expect(long.status == .badRequest)
            #expect(long.json as? [String: String] == ["code": "invalid_field", "field": "timerId", "error": "invalid timerId: is 129 bytes long; the limit is 128"])
            var headers = HTTPFields()
            headers[.authorization] = "Bearer \(try await h.token("alice"))"
            let put = try await h.client.execute(uri: "/timers/tea", method: .put, headers: headers) { response in
                (response.status, response.headers[.allow], try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: String])
            }
            #expect(put.0 == .methodNotAllowed)
            #expect(put.1 == "DELETE, GET, POST")
            #expect(put.2 == ["code": "method_not_allowed", "error": "PUT is not allowed on /timers/tea; allowed: DELETE, GET, POST"])
            // A user id with '@', '/' and non-ASCII, percent-encoded in the path, is decoded.
            #expect(try await h.rest(.post, "/timers/tea", as: "alice", body: #"{"name":"Tea","totalDuration":"PT5M","shareWith":["b\u00f6b/x@y"]}"#).status == .ok)
            let removed = try await h.rest(.delete, "/timers/tea/shares/b%C3%B6b%2Fx%40y", as: "alice")
            #expect(removed.status == .ok)
            #expect((removed.json as? [String: Any])?["userId"] as? String == "b\u{f6}b/x@y")
            #expect((removed.json as? [String: Any])?["changed"] as? Bool == true)
        }
    }
}

extension HeavyLoad {
    /// 100,000 events appended and streamed: it loads the machine, so it runs apart.
    @Suite struct ResumeStreamTests {
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
                // Caught up through its registration (alice's first sign-in) and its own connect,
                // the two events after the missed ones.
                #expect((summary["seq"] as? NSNumber)?.uint64Value == head + 2)
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
    }
}
