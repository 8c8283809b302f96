public import LMDB
public import TimerDomain
public import EventLog

/// A timer's history with what each event changed: the inspector's `history` and the
/// participants' timeline (`GET /timers/{id}/history`) read the same entries.
public enum TimerHistory {
    /// One page of a participant's timeline, newest first.
    public struct Page: Sendable {
        public var entries: [HistoryEntry]
        /// Pass as `before` for the next (older) page; `nil` on the last one.
        public var older: UInt64?
        /// The first seq this reader may see: 0 for the owner, their first share for an invitee.
        public var visibleFrom: UInt64
    }

    /// Every event of a timer, oldest first.
    public static func all(of id: TimerID, log: EventLog, _ txn: ReadTransaction) throws -> [HistoryEntry] {
        var out: [HistoryEntry] = []
        try fold(id, log: log, txn) { entry, _ in out.append(entry) }
        return out
    }

    /// The page of `reader`'s timeline ending before `before` (newest first, at most `limit`),
    /// or `nil` when `reader` is not a participant: the owner or someone it is shared with —
    /// for a stopped timer, at its stop. An invitee sees it from their first share on.
    ///
    /// Each entry's changes need the state before it, so this folds the stream from its
    /// start: the cost follows the timer's length, not the page's (docs/benchmarks.md).
    public static func page(of id: TimerID, for reader: UserID, before: UInt64?, limit: Int, log: EventLog, _ txn: ReadTransaction) throws -> Page? {
        var window = Window(limit: limit)
        var owner: UserID?
        var participants: Set<UserID> = []
        var firstShare: UInt64?
        try fold(id, log: log, txn) { entry, state in
            let e = entry.envelope
            switch e.event {
            case .timerShared(_, let user) where user == reader && firstShare == nil: firstShare = e.seq
            case .timerStopped(_, let stopOwner, let shared): participants = Set(shared).union([stopOwner])
            default: break
            }
            if let active = state.active {
                owner = active.owner
                participants = Set(active.sharedWith).union([active.owner])
            }
            if before.map({ e.seq < $0 }) ?? true { window.append(entry) }
        }
        guard participants.contains(reader) else { return nil }
        let from: UInt64 = reader == owner ? 0 : firstShare ?? 0
        let (entries, more) = window.newestFirst(from: from)
        return Page(entries: entries, older: more ? entries.last?.envelope.seq : nil, visibleFrom: from)
    }

    private static func fold(_ id: TimerID, log: EventLog, _ txn: ReadTransaction, _ body: (HistoryEntry, TimerState) throws -> Void) throws {
        var state = TimerState.unknown
        try log.history(of: .timer(id), txn) { e in
            let next = TimerState.evolve(state, e.event)
            try body(HistoryEntry(envelope: e, changes: diff(state, next)), next)
            state = next
            return true
        }
    }

    /// The newest `limit` entries seen, kept in a ring so a long stream costs no more memory
    /// than a page.
    private struct Window {
        let limit: Int
        var ring: [HistoryEntry] = []
        var next = 0
        /// The newest entry pushed out (they go oldest first).
        var dropped: UInt64?

        init(limit: Int) { self.limit = max(1, limit) }

        mutating func append(_ entry: HistoryEntry) {
            if ring.count < limit { ring.append(entry); return }
            dropped = ring[next].envelope.seq
            ring[next] = entry
            next = (next + 1) % limit
        }

        /// The entries at or after `from`, newest first, and whether a visible one is older.
        func newestFirst(from: UInt64) -> ([HistoryEntry], Bool) {
            let ordered = Array(ring[next...] + ring[..<next])
            let visible = ordered.filter { $0.envelope.seq >= from }
            let more = visible.count == ordered.count && (dropped.map { $0 >= from } ?? false)
            return (visible.reversed(), more)
        }
    }

    static func diff(_ old: TimerState, _ new: TimerState) -> [FieldChange] {
        func status(_ s: TimerState) -> String? {
            switch s {
            case .unknown: nil
            case .active(let a): a.completedAt != nil ? "completed" : a.timer.isRunning ? "running" : "paused"
            case .stopped: "stopped"
            }
        }
        let a = old.active, b = new.active
        var out: [FieldChange] = []
        func field(_ name: String, _ x: String?, _ y: String?) {
            if x != y { out.append(FieldChange(field: name, old: x, new: y)) }
        }
        field("status", status(old), status(new))
        field("owner", a?.owner, b?.owner)
        field("name", a?.timer.name, b?.timer.name)
        field("totalDuration", a?.timer.totalDuration, b?.timer.totalDuration)
        field("remainingDuration", a?.timer.remainingDuration, b?.timer.remainingDuration)
        field("timerEnd", a?.timer.end, b?.timer.end)
        field("endsAt", a?.timer.endsAt.map(ISO8601.format), b?.timer.endsAt.map(ISO8601.format))
        field("completedAt", a?.completedAt.map(ISO8601.format), b?.completedAt.map(ISO8601.format))
        func reminders(_ t: ActiveTimer?) -> String? {
            guard let t, !t.reminders.isEmpty else { return nil }
            return t.reminders.map { r in
                switch r.trigger {
                case .before(let lead): "\(r.id)@\(r.user) \(ISO8601.formatDuration(milliseconds: lead)) before"
                case .at(let at): "\(r.id)@\(r.user) at \(ISO8601.format(milliseconds: at))"
                }
            }.joined(separator: ",")
        }
        field("reminders", reminders(a), reminders(b))
        func list(_ items: [String]?) -> String? { items.flatMap { $0.isEmpty ? nil : $0.joined(separator: ",") } }
        field("tags", list(a?.timer.tags), list(b?.timer.tags))
        field("sharedWith", list(a?.sharedWith.sorted()), list(b?.sharedWith.sorted()))
        if case .stopped = new, case .active = old { out.removeAll { $0.field != "status" } }
        return out
    }
}
