internal import TimerDomain
internal import EventLog
internal import Projections
internal import BubbleCore
internal import LMDB

/// Resume after reconnect (seed dialect, `?since=<seq>`): the events after `since` that
/// concerned the user — read from each record's audience — rendered as the broadcasts the
/// client would have received, oldest first. Served from the log, so it survives restarts.
enum Resume {
    /// `nil` when `since` cannot be resumed (ahead of the log, or further back than `window`
    /// events): the client gets a snapshot marked `resumed: false` instead.
    static func frames(
        store: EventStore, actor: Actor, since: UInt64, window: UInt64, dialect: Dialect
    ) throws -> (frames: [[String: Any]], head: UInt64)? {
        try store.read { txn in
            let head = try store.log.head(txn).seq
            guard since <= head, head - since <= window else { return nil }
            // Timer rows as of the event being rendered, rewound lazily for timers that matter.
            var rows: [TimerID: TimerViewRow?] = [:]
            var frames: [[String: Any]] = []
            try store.log.scan(from: since + 1, txn) { e in
                guard case .timer(let id) = e.stream else { return true }
                let concerns = e.audience.contains(actor.userID)
                if rows[id] == nil {
                    guard concerns else { return true }
                    rows[id] = .some(try TimerRewind.row(of: id, before: e.seq, log: store.log, views: store.views, txn))
                }
                var row = rows[id]!
                TimerView.apply(e, to: &row)
                rows[id] = .some(row)
                // The device that sent a command was answered then; it did not miss it.
                guard concerns, e.actor != actor else { return true }
                let committed = CommittedEvent(envelope: e, audience: e.audience, timerAfter: row)
                if let frame = OutboundFrame.broadcast(committed, to: actor.userID, dialect: dialect, timer: row) { frames.append(frame) }
                return true
            }
            return (frames, head)
        }
    }
}
