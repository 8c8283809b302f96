public import LMDB
public import TimerDomain
public import EventLog
public import Projections

/// What a reconnecting device missed, read from the log (so it survives restarts): the
/// commands since a seq as the notices a live device would have had, and the timers it could
/// see then and cannot see now.
public enum Catchup {
    /// Calls `body` for every command after `since` that concerned `actor`'s user, oldest
    /// first, with what that user learns from it: the same per-command notices live fan-out
    /// sends. Commands from `actor`'s own device are skipped (it was answered then).
    public static func notices(
        after since: UInt64, for actor: Actor, log: EventLog, views: ViewTables, _ txn: ReadTransaction,
        _ body: (_ notice: Notice, _ seq: UInt64, _ timestamp: Int64) throws -> Void
    ) throws {
        var cursor = Cursor(after: since, for: actor)
        _ = try cursor.next(limit: .max, log: log, views: views, txn, body)
    }

    /// A catch-up read in pages, so a client far behind is sent its missed commands at the
    /// pace its socket drains rather than all at once. Each page may use its own read
    /// transaction: the log only grows, so what was folded stays true.
    ///
    /// Each timer's row is rewound to just before the first missed event that concerns the
    /// user, then folded forward, so the cost follows the number of missed events.
    public struct Cursor: Sendable {
        public let actor: Actor
        /// The last seq read; the next page starts after it.
        public private(set) var position: UInt64
        private var rows: [TimerID: TimerViewRow?] = [:]

        public init(after since: UInt64, for actor: Actor) {
            self.actor = actor
            position = since
        }

        /// Reads whole commands after ``position`` until at least `limit` events are read or
        /// the log ends; returns `true` when it reached the log's head in `txn`.
        public mutating func next(
            limit: Int, log: EventLog, views: ViewTables, _ txn: ReadTransaction,
            _ body: (_ notice: Notice, _ seq: UInt64, _ timestamp: Int64) throws -> Void
        ) throws -> Bool {
            var command: [EventEnvelope] = []
            var read = 0
            var reachedHead = true
            let actor = actor
            func flush(_ rows: [TimerID: TimerViewRow?]) throws {
                defer { command.removeAll(keepingCapacity: true) }
                guard let first = command.first, first.actor != actor else { return }
                for group in FanOut.timerGroups(command) where group.events.contains(where: { $0.audience.contains(actor.userID) }) {
                    guard let notices = FanOut.notices(of: group.events, timerAfter: rows[group.id] ?? nil, commandEnd: position),
                          let mine = notices.recipients.first(where: { $0.user == actor.userID }) else { continue }
                    try body(mine.notice, notices.seq, notices.timestamp)
                }
            }
            try log.scan(from: position + 1, txn) { e in
                if case .timer(let id) = e.stream {
                    if rows[id] == nil, e.audience.contains(actor.userID) {
                        rows[id] = .some(try TimerRewind.row(of: id, before: e.seq, log: log, views: views, txn))
                    }
                    if var row = rows[id] {
                        TimerView.apply(e, to: &row)
                        rows[id] = .some(row)
                    }
                    command.append(e)
                }
                position = e.seq
                read += 1
                guard e.lastInCommand else { return true }
                try flush(rows)
                if read >= limit {
                    reachedHead = false
                    return false
                }
                return true
            }
            try flush(rows)
            // A page that stopped exactly at the head has nothing after it.
            if !reachedHead, try log.head(txn).seq == position { reachedHead = true }
            return reachedHead
        }
    }

    /// The seq at which `actor`'s device was last known to go away: its last disconnect, or
    /// the first server start after its last connect (the process died under it). `nil` for
    /// a device never seen. Walks the user's stream back from its head.
    public static func lastSeen(_ actor: Actor, log: EventLog, _ txn: ReadTransaction) throws -> UInt64? {
        guard var cursor = try log.streamHead(.user(actor.userID), txn)?.lastSeq else { return nil }
        while cursor != 0 {
            guard let e = try log.envelope(at: cursor, txn) else { throw LogError.corrupt(seq: cursor, reason: "missing from the chain of user \(actor.userID)") }
            switch e.event {
            case .deviceDisconnected(_, let device, _, _) where device == actor.deviceID:
                return e.seq
            case .deviceConnected(_, let device, _, _) where device == actor.deviceID:
                return try firstServerStart(after: e.seq, log: log, txn) ?? log.head(txn).seq
            default:
                cursor = e.previousInStream
            }
        }
        return nil
    }

    private static func firstServerStart(after seq: UInt64, log: EventLog, _ txn: ReadTransaction) throws -> UInt64? {
        var found: UInt64?
        var cursor = try log.streamHead(.server, txn)?.lastSeq ?? 0
        while cursor > seq {
            found = cursor
            guard let e = try log.envelope(at: cursor, txn) else { break }
            cursor = e.previousInStream
        }
        return found
    }

    /// Timers `user` could see at `since` and cannot see now (stopped, or unshared from them),
    /// in the order they went. Only timers with an event after `since` that concerned the
    /// user can have changed that, so this is a scan of the log's tail.
    public static func vanishedTimers(for user: UserID, since: UInt64, log: EventLog, views: ViewTables, _ txn: ReadTransaction) throws -> [TimerID] {
        var firstSeq: [TimerID: UInt64] = [:]
        var order: [TimerID] = []
        try log.scan(from: since + 1, txn) { e in
            if let id = e.event.timerID, e.audience.contains(user), firstSeq[id] == nil {
                firstSeq[id] = e.seq
                order.append(id)
            }
            return true
        }
        return try order.filter { id in
            let then = try TimerRewind.row(of: id, before: firstSeq[id]!, log: log, views: views, txn)
            let now = try views.timer(id, txn)
            return then.map { canSee(user, $0) } == true && now.map { canSee(user, $0) } != true
        }
    }

    private static func canSee(_ user: UserID, _ row: TimerViewRow) -> Bool { row.owner == user || row.sharedWith.contains(user) }
}
