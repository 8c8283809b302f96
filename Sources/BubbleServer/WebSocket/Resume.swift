internal import TimerDomain
internal import EventLog
internal import Projections
internal import BubbleCore
internal import LMDB

/// What a reconnecting seed client (`?since=<seq>`) is sent before live frames: the commands
/// after `since` that concerned the user, rendered exactly as live fan-out renders them (one
/// frame per command and timer), oldest first, then `resumed`.
///
/// The missed frames are read from the log a page at a time and written as the socket drains
/// them, so a client any distance behind (within ``ServerConfiguration/resumeWindow``) is
/// caught up, never closed as a slow consumer for frames the server queued itself.
struct Resume {
    let since: UInt64
    /// Missed events read per page (one read transaction each).
    static let pageEvents = 512

    /// Whether `since` can be resumed: not ahead of the log and at most `window` events back.
    /// Otherwise the client gets a snapshot marked `resumed: false`.
    static func isResumable(since: UInt64, head: UInt64, window: UInt64) -> Bool {
        since <= head && head - since <= window
    }

    /// Streams the missed frames through `write` (which waits for the socket) until the
    /// connection can be released at the seq reached (`release` returns `false` when live
    /// broadcasts overflowed meanwhile: then it reads on), then the `resumed` frame.
    func stream(
        store: EventStore, actor: Actor, style: () -> FrameStyle,
        write: (String) async throws -> Void, release: (UInt64) -> Bool
    ) async throws {
        var cursor = Catchup.Cursor(after: since, for: actor)
        var count = 0
        while true {
            var page: [String] = []
            let reachedHead = try store.read { txn in
                let style = style()
                return try cursor.next(limit: Self.pageEvents, log: store.log, views: store.views, txn) { notice, seq, timestamp in
                    if let frame = OutboundFrame.notice(notice, to: actor.userID, seq: seq, timestamp: timestamp, style: style) { page.append(JSON.text(frame)) }
                }
            }
            for text in page { try await write(text) }
            count += page.count
            if reachedHead, release(cursor.position) { break }
        }
        // Inbox entries are not replayed as frames: the count tells the client to read them.
        let unread = try store.read { try store.views.unreadNotifications(of: actor.userID, $0).count }
        try await write(JSON.text(["type": "resumed", "since": since, "seq": cursor.position, "count": count, "unreadNotifications": unread]))
    }
}
