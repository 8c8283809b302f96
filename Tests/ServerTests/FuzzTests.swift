import Foundation
import HTTPTypes
import Hummingbird
import Testing
import TestSupport
@testable import BubbleServer
@testable import BubbleCore

/// Hostile input at volume against a live server: every frame is answered with an error,
/// nothing is appended for any of them, no attacker ever hears of a timer they cannot see,
/// and the server stays up.
extension HeavyLoad {
@Suite(.serialized) struct FuzzTests {
    typealias Rng = SeededRandom

    /// A frame that must be refused: 12 families of malformed, truncated, oversized-inside,
    /// wrongly typed, foreign and invalid input, in both dialects.
    static func hostileFrame(_ rng: inout Rng) -> String {
        let valid = #"{"type":"timer","action":"update","timer":{"id":"mine","name":"n","totalDuration":"PT1M"}}"#
        switch rng.int(12) {
        case 0: return String((0..<(1 + rng.int(200))).map { _ in Character(UnicodeScalar(UInt8(32 + rng.int(95)))) })
        case 1: return String(valid.prefix(rng.int(valid.count - 1)))
        case 2: let d = 600 + rng.int(1500); return String(repeating: "[", count: d) + String(repeating: "]", count: d)
        case 3: return #"{"type":"\#(String(repeating: "x", count: 1000 + rng.int(30_000)))"}"#
        case 4: return [#"{"type":5}"#, #"{"type":"timer","action":"update","timer":"x"}"#, #"{"type":"timer","action":"update","timer":{"id":1,"name":"n","totalDuration":"PT1M"}}"#, #"{"type":"share","action":"add","timerId":["x"],"sharedWithUser":"y"}"#, "[]", "null", "42", #""str""#][rng.int(8)]
        case 5: return [#"{"type":"timer","action":"update","timer":{"id":"secret","name":"mine now","totalDuration":"PT1M"}}"#, #"{"type":"timer","action":"stop","timerId":"secret"}"#, #"{"type":"share","action":"add","timerId":"secret","sharedWithUser":"mallory"}"#, #"{"type":"share","action":"remove","timerId":"secret","sharedWithUser":"alice"}"#][rng.int(4)]
        case 6: return [#"{"type":"timer","action":"update","timer":{"id":"v","name":"","totalDuration":"PT1M"}}"#, #"{"type":"timer","action":"update","timer":{"id":"\#(String(repeating: "i", count: 200))","name":"n","totalDuration":"PT1M"}}"#, #"{"type":"timer","action":"update","timer":{"id":"a\u0000b","name":"n","totalDuration":"PT1M"}}"#, #"{"type":"timer","action":"update","timer":{"id":"v","name":"n","totalDuration":"PT1M","timerEnd":"tomorrow"}}"#][rng.int(4)]
        case 7: return [#"{"action":"sendmessage","data":"x"}"#, #"{"action":"sendmessage","data":{"type":"teleport"}}"#, #"{"action":"sendmessage","data":{"type":"updateTimer","timer":{"id":"x"}}}"#, #"{"action":"sendmessage","data":{"type":"stopTimer"}}"#, #"{"action":"sendmessage","data":{"type":"updateTimer","timer":{"id":"secret","name":"x","totalDuration":"PT1M"}}}"#][rng.int(5)]
        case 8: return #"{"type":"\#(["teleport", "", "TIMER", "share "][rng.int(4)])"}"#
        case 9: return #"{"type":"timer","action":"\#(["explode", "", "Update"][rng.int(3)])","timerId":"x"}"#
        case 10: return #"{"type":"timer","action":"update","timer":{"id":"v","name":"n","totalDuration":"PT1M","tags":[\#((0..<40).map { _ in "\"t\"" }.joined(separator: ","))]}}"#
        default: return #"{"type":"share","action":"add","timerId":"nonexistent-\#(rng.int(1000))","sharedWithUser":"x"}"#
        }
    }

    @Test func oneHundredThousandHostileFramesAreEachRefusedAndAppendNothing() async throws {
        try await Harness.run(configure: { c in
            c.removeRateLimits()
            c.outboundQueueBytes = 100 << 20
            // A debug-build client reading 25k answers can lag past a ping; this test is about input.
            c.pingInterval = 600
        }) { h in
            let alice = try await h.socket("alice", device: "phone")
            alice.send(["type": "timer", "action": "update", "timer": ["id": "secret", "name": "Secret", "totalDuration": "PT5M"], "requestId": "s0"])
            _ = try await alice.next(reply("s0"))
            let before = try h.server.state.store.read { try h.server.state.store.log.head($0).seq }

            let perSocket = 25_000
            var attackers: [TestSocket] = []
            for i in 0..<4 { attackers.append(try await h.socket("mallory", device: "m\(i)", android: i % 2 == 1)) }
            let connectEvents = try h.server.state.store.read { try h.server.state.store.log.head($0).seq } - before
            for (i, socket) in attackers.enumerated() {
                var rng = Rng(seed: UInt64(i + 1))
                for _ in 0..<perSocket { socket.sendRaw(Self.hostileFrame(&rng)) }
            }
            // The victim keeps using her timer meanwhile.
            for n in 1...20 {
                alice.send(["type": "timer", "action": "update", "timer": ["id": "secret", "name": "Secret \(n)", "totalDuration": "PT5M"], "requestId": "s\(n)"])
                _ = try await alice.next(timeout: 60, reply("s\(n)"))
            }
            for socket in attackers {
                let answered = try await socket.waitForErrors(perSocket, timeout: 120)
                #expect(answered == perSocket)
                #expect(socket.countFrames { $0.contains("secret") && $0.contains("\"seq\"") } == 0, "an attacker heard of alice's timer")
                #expect(!socket.isClosed, "closed with \(socket.closeCode.map(String.init) ?? "none")")
            }
            // Nothing appended for any hostile frame: only alice's 20 updates and the attackers' connects.
            let after = try h.server.state.store.read { try h.server.state.store.log.head($0).seq }
            #expect(after - before == connectEvents + 20)
            #expect(try await h.client.execute(uri: "/health", method: .get) { $0.status } == .ok)
            for s in attackers + [alice] { await s.close() }
        }
    }

    @Test func hostileRESTRequestsGetClientErrorsNeverSuccessOrCrash() async throws {
        try await Harness.run(configure: { c in
            c.removeRateLimits()
            c.maxFrameBytes = 8192
        }) { h in
            _ = try await h.rest(.post, "/timers/secret", as: "alice", body: #"{"name":"Secret","totalDuration":"PT5M"}"#)
            var rng = Rng(seed: 99)
            let mallory = try await h.token("mallory")
            let expired = try await h.server.tokens.mint(user: "mallory", lifetime: -3600)
            var statuses: [HTTPResponse.Status: Int] = [:]
            for _ in 0..<2000 {
                let body = Self.hostileFrame(&rng)
                let (method, path): (HTTPRequest.Method, String) = [
                    (.post, "/timers/secret"), (.delete, "/timers/secret"), (.post, "/timers/secret/shares"),
                    (.delete, "/timers/secret/shares/alice"), (.post, "/timers/shared"), (.post, "/timers/x"), (.post, "/device-tokens"),
                    (.get, "/timers/secret"), (.delete, "/timers/shared"),
                ][rng.int(9)]
                var headers = HTTPFields()
                switch rng.int(5) {
                case 0: headers[.authorization] = "Bearer \(expired)"
                case 1: headers[.authorization] = "Bearer garbage.\(rng.int(100)).x"
                default: headers[.authorization] = "Bearer \(mallory)"
                }
                let status = try await h.client.execute(uri: path, method: method, headers: headers, body: ByteBuffer(string: body)) { $0.status }
                // A body that happens to be a valid wrapped timer creates mallory's own timer x;
                // what she then does to her own timer may succeed.
                let ownTimer = path == "/timers/x" || body.contains("\"timerId\":\"x\"")
                if status == .ok, ownTimer, headers[.authorization] == "Bearer \(mallory)" { continue }
                statuses[status, default: 0] += 1
            }
            #expect(statuses.keys.allSatisfy { [400, 401, 403, 404, 409, 413].contains($0.code) }, "\(statuses)")
            let secret = try await h.rest(.get, "/timers/secret", as: "alice")
            #expect((secret.json as? [String: Any])?["name"] as? String == "Secret")
            #expect((secret.json as? [String: Any])?["sharedWith"] as? [String] == [])
        }
    }

    /// Idle and slow-header floods (issue 10): each flood connection is closed at the header
    /// timeout, and `/health` on a fresh connection answers while they are held.
    @Test func idleAndSlowHeaderFloodsAreClosedWhileHealthAnswers() async throws {
        try await Harness.run(configure: { c in
            c.headerTimeout = 1
            c.maxConnectionsPerAddress = 10_000
        }) { h in
            let timeouts = { h.server.state.metrics.value(of: "bubble_header_timeouts_total") ?? 0 }
            try await Task.sleep(for: .milliseconds(1500))  // the test client's idle connection goes first
            let before = timeouts()
            let idle = try (0..<150).map { _ in try RawConnection(port: h.port) }
            let slow = try (0..<150).map { _ in try RawConnection(port: h.port) }
            for byte in ["G", "E", "T"] {
                for connection in slow { connection.send(byte) }
                let health = try await rawExchange(port: h.port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                #expect(health.status == 200)
                try await Task.sleep(for: .milliseconds(200))
            }
            for connection in idle + slow { #expect(try await connection.readUntilClosed(within: 15) == ("", true)) }
            #expect(timeouts() == before + 300)
        }
    }
}
}
