internal import TimerDomain
internal import EventLog
internal import Projections
internal import BubbleCore
internal import LMDB

/// What a reconnecting client is sent before live frames, read from the log.
enum Resume {
    /// Seed dialect, `?since=<seq>`: the commands after `since` that concerned the user,
    /// rendered exactly as live fan-out renders them (one frame per command and timer), oldest
    /// first. `nil` when `since` cannot be resumed (ahead of the log, or further back than
    /// `window` events): the client gets a snapshot marked `resumed: false` instead.
    static func frames(
        store: EventStore, actor: Actor, since: UInt64, window: UInt64, style: FrameStyle
    ) throws -> (frames: [[String: Any]], head: UInt64)? {
        try store.read { txn in
            let head = try store.log.head(txn).seq
            guard since <= head, head - since <= window else { return nil }
            var frames: [[String: Any]] = []
            try Catchup.notices(after: since, for: actor, log: store.log, views: store.views, txn) { notice, seq, timestamp in
                frames.append(OutboundFrame.notice(notice, to: actor.userID, seq: seq, timestamp: timestamp, style: style))
            }
            return (frames, head)
        }
    }
}
