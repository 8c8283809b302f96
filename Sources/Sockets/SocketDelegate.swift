public import NIOCore

/// What a socket tells the protocol on top of it. Every call comes on the socket's event
/// loop, one at a time, so a delegate may keep its state without locks.
public protocol SocketDelegate: AnyObject {
    /// The upgrade is done; broadcasts are held until ``Socket/release(after:)``.
    func socketOpened(_ socket: Socket)
    /// One whole message (fragments joined): text already checked to be UTF-8.
    func socket(_ socket: Socket, received message: SocketMessage)
    /// The socket is gone, for the reason given; nothing more will be called.
    func socketClosed(_ socket: Socket, reason: CloseReason)
}

public enum SocketMessage {
    case text(ByteBuffer)
    case binary(ByteBuffer)
}
