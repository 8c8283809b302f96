import Foundation
import Testing
@testable import BubbleServer

/// RFC 6455 where it is strict, through a real socket: each protocol error closes with its
/// own code, the disconnect is recorded, and nothing else is appended.
extension HeavyLoad {
@Suite(.serialized) struct WebSocketProtocolTests {
    /// Opens a raw socket, reads its snapshot, does `misbehave`, and returns the close code
    /// the server sent.
    private func closeCode(_ h: Harness, device: String, _ misbehave: (RawWebSocket) -> Void) async throws -> UInt16? {
        let socket = try await RawWebSocket.open(port: h.port, token: try await h.token("alice"), device: device)
        let snapshot = try #require(try await socket.next())
        #expect(snapshot.text.contains("\"snapshot\""))
        let before = try h.head()
        misbehave(socket)
        let (close, texts) = try await socket.untilClose()
        #expect(texts.isEmpty, "\(device)")
        // Only the disconnect was appended.
        var reason: String?
        for _ in 0..<100 where reason == nil {
            reason = try h.disconnectReason(user: "alice", device: device)
            if reason == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(try h.head() == before + 1, "\(device)")
        return close?.closeCode
    }

    @Test func eachProtocolErrorClosesWithItsOwnCode() async throws {
        try await Harness.run(configure: { $0.maxFrameBytes = 1024 }) { h in
            let cases: [(device: String, expected: UInt16, misbehave: (RawWebSocket) -> Void)] = [
                ("unmasked", 1002, { $0.send(opcode: 0x1, Array("{\"type\":\"ping\"}".utf8), masked: false) }),
                ("latin1", 1007, { $0.send(opcode: 0x1, [0x7B, 0xE9, 0x7D]) }),
                ("stray", 1002, { $0.send(opcode: 0x0, Array("x".utf8)) }),
                ("opcode", 1002, { $0.send(opcode: 0x3, Array("x".utf8)) }),
                ("rsv", 1002, { $0.send(opcode: 0x1, Array("{}".utf8), rsv1: true) }),
                ("badclose", 1002, { $0.send(opcode: 0x8, [0x03, 0xE7]) }),
                ("fragments", 1009, { s in
                    s.sendText(String(repeating: "a", count: 800), fin: false)
                    s.send(opcode: 0x0, Array(String(repeating: "b", count: 800).utf8))
                }),
            ]
            for c in cases {
                let code = try await closeCode(h, device: c.device, c.misbehave)
                #expect(code == c.expected, "\(c.device)")
            }
        }
    }

    @Test func aFragmentedMessageIsOneFrameAndPingsInsideItAreAnswered() async throws {
        try await Harness.run { h in
            let socket = try await RawWebSocket.open(port: h.port, token: try await h.token("alice"), device: "phone")
            _ = try await socket.next()
            socket.sendText("{\"type\":\"ping\",", fin: false)
            socket.send(opcode: 0x9, [1, 2])
            socket.send(opcode: 0x0, Array("\"requestId\":\"f1\"}".utf8))
            let pong = try #require(try await socket.next())
            #expect(pong.opcode == 0xA)
            #expect(pong.payload == [1, 2])
            let answer = try #require(try await socket.next())
            #expect(answer.text.contains("\"pong\""))
            #expect(answer.text.contains("\"f1\""))
        }
    }

    @Test func binaryFramesAreRefusedAndChargedLikeText() async throws {
        try await Harness.run(configure: { c in
            c.messagesPerSecond = 0.001
            c.messageBurst = 2
        }) { h in
            let socket = try await RawWebSocket.open(port: h.port, token: try await h.token("alice"), device: "phone")
            _ = try await socket.next()
            let before = try h.head()
            for _ in 0..<3 { socket.send(opcode: 0x2, [1, 2, 3]) }
            var codes: [String] = []
            for _ in 0..<3 {
                let frame = try #require(try await socket.next())
                let object = try #require(try JSONSerialization.jsonObject(with: Data(frame.payload)) as? [String: Any])
                codes.append(object["code"] as? String ?? "")
            }
            #expect(codes == ["unsupported_frame", "unsupported_frame", "rate_limited"])
            #expect(try h.head() == before)
        }
    }

    @Test func aClientThatStopsAnsweringPingsIsClosedAndItsDisconnectRecorded() async throws {
        try await Harness.run(configure: { $0.pingInterval = 0.2 }) { h in
            let socket = try await RawWebSocket.open(port: h.port, token: try await h.token("alice"), device: "silent")
            // Never answers: the server's ping, then at the next tick the connection ends.
            var sawPing = false
            while let frame = try await socket.next() { if frame.opcode == 0x9 { sawPing = true } }
            #expect(sawPing)
            var reason: String?
            for _ in 0..<100 where reason == nil {
                reason = try h.disconnectReason(user: "alice", device: "silent")
                if reason == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(reason?.contains("ping timeout") == true)
        }
    }
}
}

/// What an upgrade that does not become a socket is answered, before any 101.
@Suite struct UpgradeRefusalTests {
    private func upgrade(_ h: Harness, path: String, version: String = "13", auth: String) async throws -> (status: Int, json: [String: Any]?) {
        let (status, body) = try await rawExchange(port: h.port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: \(version)\r\n"
            + "Authorization: Bearer \(auth)\r\nDeviceId: phone\r\n\r\n")
        return (status, (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any])
    }

    @Test func anotherPathOrAnUnreadableUpgradeIsRefusedWithItsStatusAndBody() async throws {
        try await Harness.run { h in
            let token = try await h.token("alice")
            let before = try h.head()
            let elsewhere = try await upgrade(h, path: "/sockets", auth: token)
            #expect(elsewhere.status == 404)
            #expect(elsewhere.json?["code"] as? String == "not_found")
            #expect((elsewhere.json?["error"] as? String)?.contains("/ws") == true)
            // An upgrade NIO cannot take (version 8) is answered, not dropped.
            let old = try await upgrade(h, path: "/ws", version: "8", auth: token)
            #expect(old.status == 400)
            #expect(old.json?["code"] as? String == "bad_upgrade")
            #expect(try h.head() == before)
        }
    }

    @Test func anUpgradeOverTheUsersRateIsRefusedWith429() async throws {
        try await Harness.run(configure: { c in
            c.messagesPerSecond = 0.001
            c.messageBurst = 1
        }) { h in
            let token = try await h.token("alice")
            let first = try await RawWebSocket.open(port: h.port, token: token, device: "one")
            _ = try await first.next()
            let second = try await upgrade(h, path: "/ws", auth: token)
            #expect(second.status == 429)
            #expect(second.json?["code"] as? String == "rate_limited")
        }
    }
}
