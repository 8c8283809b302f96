internal import Foundation
internal import NIOCore
internal import Sockets
internal import TimerDomain
internal import BubbleCore

/// One anonymous viewer of a public link: gets the timer now and each change after; may
/// send nothing (pings are answered by the socket layer). Loop-confined like every delegate.
final class ViewerSession: SocketDelegate {
    let server: ServerState
    let token: String
    let timer: TimerID
    private var registered = false

    init(server: ServerState, token: String, timer: TimerID) {
        self.server = server
        self.token = token
        self.timer = timer
    }

    func socketOpened(_ socket: Socket) {
        // Registered before the state is read: a commit after the read is published after this
        // (synchronous) call and so reaches the socket after the first frame.
        guard server.publicViewers.add(socket, token: token, timer: timer) else {
            return socket.close(code: 1008, reason: "too many viewers on this link")
        }
        registered = true
        guard let (_, row) = try? server.store.read({ try PublicTimer.lookup(token, store: server.store, $0) }) else {
            return socket.close(code: 4004, reason: "link revoked")
        }
        socket.send(ByteBuffer(bytes: JSON.data(PublicTimer.frame(row))))
        _ = socket.release(after: .max)
    }

    func socket(_ socket: Socket, received message: SocketMessage) {
        socket.send(ByteBuffer(bytes: JSON.data(["type": "error", "code": "read_only", "message": "a public link's socket is read-only: it can send nothing but pings"])))
        socket.close(code: 1008, reason: "read-only socket")
    }

    func socketClosed(_ socket: Socket, reason: CloseReason) {
        if registered { server.publicViewers.remove(socket, timer: timer) }
    }
}
