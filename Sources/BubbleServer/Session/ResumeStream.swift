internal import TimerDomain
internal import EventLog
internal import Projections
internal import BubbleCore
internal import LMDB
internal import Sockets
internal import NIOCore

/// What a reconnecting seed client (`?since=<seq>`) is sent before live frames: the commands
/// after `since` that concerned the user, rendered exactly as live fan-out renders them (one
/// frame per command and timer), oldest first, then `resumed`.
///
/// The missed frames are read from the log a page at a time, and the next page only once the
/// kernel has taken the last one, so a client any distance behind (within
/// ``ServerConfiguration/resumeWindow``) is caught up, never closed as a slow consumer for
/// frames the server queued itself. Runs on the socket's event loop, driven by its writes.
final class ResumeStream {
    let since: UInt64
    /// Missed events read per page (one read transaction each).
    static let pageEvents = 512
    private var cursor: Catchup.Cursor
    private var count = 0
    private let store: EventStore
    private let connection: Connection
    private var done: ((Result<Void, any Error>) -> Void)?

    /// Whether `since` can be resumed: not ahead of the log and at most `window` events back.
    /// Otherwise the client gets a snapshot marked `resumed: false`.
    static func isResumable(since: UInt64, head: UInt64, window: UInt64) -> Bool {
        since <= head && head - since <= window
    }

    init(since: UInt64, store: EventStore, connection: Connection) {
        self.since = since
        self.store = store
        self.connection = connection
        cursor = Catchup.Cursor(after: since, for: connection.actor)
    }

    /// Streams every page, then releases the held broadcasts (reading on when they
    /// overflowed meanwhile) and writes `resumed`; `done` is called once, on the loop, with
    /// the failure if the log could not be read or the socket went away.
    func run(_ done: @escaping (Result<Void, any Error>) -> Void) {
        self.done = done
        step()
    }

    private func step() {
        let actor = connection.actor
        var page: [ByteBuffer] = []
        let reachedHead: Bool
        do {
            let style = connection.style
            reachedHead = try store.read { txn in
                try cursor.next(limit: Self.pageEvents, log: store.log, views: store.views, txn) { notice, seq, timestamp in
                    if let bytes = OutboundFrame.notice(notice, to: actor.userID, seq: seq, timestamp: timestamp, style: style).bytes { page.append(bytes) }
                }
            }
        } catch {
            return finish(.failure(error))
        }
        count += page.count
        connection.write(page) { [self] written in
            guard written else { return finish(.failure(SocketGone())) }
            guard reachedHead, connection.socket.release(after: cursor.position) else { return step() }
            do {
                // Inbox entries are not replayed as frames: the count tells the client to read them.
                let unread = try store.read { try store.views.unreadNotifications(of: actor.userID, $0).count }
                connection.send(.resumed(since: since, seq: cursor.position, count: count, unread: unread))
                finish(.success(()))
            } catch {
                finish(.failure(error))
            }
        }
    }

    private func finish(_ result: Result<Void, any Error>) {
        let done = done
        self.done = nil
        done?(result)
    }

    struct SocketGone: Error {}
}
