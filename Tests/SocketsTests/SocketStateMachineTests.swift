import Testing
import NIOCore
@testable import Sockets

/// The socket's rules without a channel: what is held, what goes out, when it closes.
@Suite struct SocketStateMachineTests {
    private func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
    private func at(_ position: UInt64, _ text: String) -> Broadcast { .init(position: position, bytes: bytes(text)) }

    @Test func broadcastsAreHeldUntilReleaseAndThoseTheStateCoveredAreDropped() {
        var machine = SocketStateMachine(limit: 1000)
        #expect(machine.deliver([at(5, "five"), at(7, "seven")], buffered: 0) == .none)
        // The session's own frames are never held.
        #expect(machine.send([bytes("snapshot")], buffered: 0) == .write([bytes("snapshot")]))
        // The snapshot covered up to 5: only 7 goes out, in one write.
        #expect(machine.release(after: 5, buffered: 0) == .live(.write([bytes("seven")])))
        #expect(machine.state == .open)
        // Live from here; a late broadcast at or below the covered seq is dropped.
        #expect(machine.deliver([at(4, "four"), at(8, "eight"), at(9, "nine")], buffered: 0) == .write([bytes("eight"), bytes("nine")]))
    }

    @Test func moreHeldThanTheLimitAsksTheSessionToReadOnFromTheLog() {
        var machine = SocketStateMachine(limit: 10)
        _ = machine.deliver([at(1, "123456"), at(2, "123456")], buffered: 0)
        #expect(machine.release(after: 0, buffered: 0) == .readOn)
        // Still holding, with nothing held: the session read on to 2 and releases again.
        #expect(machine.deliver([at(3, "three")], buffered: 0) == .none)
        #expect(machine.release(after: 2, buffered: 0) == .live(.write([bytes("three")])))
    }

    @Test func aWriteThatWouldPassTheByteLimitClosesAsSlowConsumer() {
        var machine = SocketStateMachine(limit: 100)
        _ = machine.release(after: 0, buffered: 0)
        #expect(machine.deliver([at(1, String(repeating: "x", count: 60))], buffered: 30) == .write([bytes(String(repeating: "x", count: 60))]))
        let reason = CloseReason(code: 1013, reason: "slow consumer: outbound queue full")
        #expect(machine.deliver([at(2, String(repeating: "y", count: 60))], buffered: 90) == .abort(reason))
        #expect(machine.state == .closing(reason))
        // Nothing more is written; the close reports why.
        #expect(machine.send([bytes("late")], buffered: 0) == .none)
        #expect(machine.closed() == reason)
    }

    @Test func oneFrameLargerThanTheLimitStillGoesToASocketThatKeepsUp() {
        var machine = SocketStateMachine(limit: 10)
        let big = bytes(String(repeating: "s", count: 50))
        #expect(machine.send([big], buffered: 0) == .write([big]))
    }

    @Test func ourCloseIsSentOnceAndThePeersAnswerEndsIt() {
        var machine = SocketStateMachine(limit: 100)
        let reason = CloseReason(code: 4001, reason: "token expired")
        #expect(machine.close(reason) == .sendClose(reason))
        #expect(machine.close(CloseReason(code: 1000, reason: "again")) == .none)
        let answer = machine.peerClosed(code: 4001)
        #expect(answer.echo == nil)
        #expect(answer.reason == reason)
        #expect(machine.closed() == reason)
    }

    @Test func thePeersCloseIsEchoedWithItsCode() {
        var machine = SocketStateMachine(limit: 100)
        let answer = machine.peerClosed(code: 1001)
        #expect(answer.echo == 1001)
        #expect(answer.reason == CloseReason(code: 1001, reason: "client closed"))
        // A bare close (no code) is answered with 1000, never with 1005.
        var bare = SocketStateMachine(limit: 100)
        #expect(bare.peerClosed(code: nil).echo == 1000)
    }

    @Test func aPeerThatMissesAPingIsClosedAndOneThatAnswersIsNot() {
        var machine = SocketStateMachine(limit: 100)
        #expect(machine.pingDue() == .ping)
        machine.heard()
        #expect(machine.pingDue() == .ping)
        #expect(machine.pingDue() == .abort(CloseReason(code: 1001, reason: "ping timeout: the client stopped answering")))
        #expect(machine.pingDue() == .none)
    }

    @Test func aProtocolViolationFailsTheConnectionWithoutWaiting() {
        var machine = SocketStateMachine(limit: 100)
        let reason = CloseReason(code: 1007, reason: "text frame is not valid UTF-8")
        #expect(machine.violation(reason) == .fail(reason))
        #expect(machine.violation(CloseReason(code: 1002, reason: "again")) == .none)
        #expect(machine.closed() == reason)
    }

    @Test func aChannelThatDiesWithoutACloseReportsTheClientGone() {
        var machine = SocketStateMachine(limit: 100)
        #expect(machine.closed() == CloseReason(code: 1006, reason: "client closed"))
    }

    @Test func closeCodesAPeerMaySend() {
        #expect(WebSocketConnectionHandler.isValidCloseCode(1000))
        #expect(WebSocketConnectionHandler.isValidCloseCode(4999))
        #expect(!WebSocketConnectionHandler.isValidCloseCode(1005))
        #expect(!WebSocketConnectionHandler.isValidCloseCode(1006))
        #expect(!WebSocketConnectionHandler.isValidCloseCode(999))
        #expect(!WebSocketConnectionHandler.isValidCloseCode(2000))
    }
}
