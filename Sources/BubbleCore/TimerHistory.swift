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
        var final = TimerState.unknown
        var stop: (owner: UserID, shared: [UserID])?
        var firstShare: UInt64?
        try fold(id, log: log, txn) { entry, state in
            let e = entry.envelope
            switch e.event {
            case .timerShared(_, let user) where user == reader && firstShare == nil: firstShare = e.seq
            case .timerStopped(_, let owner, let shared): stop = (owner, shared)
            default: break
            }
            final = state
            if before.map({ e.seq < $0 }) ?? true { window.append(entry) }
        }
        // Who is on it now, or was when it stopped.
        guard let (owner, shared) = final.active.map({ ($0.owner, Array($0.sharedWith)) }) ?? stop,
              owner == reader || shared.contains(reader) else { return nil }
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
        // Compared as values, rendered only when they differ: a page folds the whole stream.
        func field<T: Equatable>(_ name: String, _ x: T?, _ y: T?, _ text: (T) -> String?) {
            guard x != y else { return }
            let (before, after) = (x.flatMap(text), y.flatMap(text))
            if before != after { out.append(FieldChange(field: name, old: before, new: after)) }
        }
        let same = { (s: String) -> String? in s }
        field("status", status(old), status(new), same)
        field("owner", a?.owner, b?.owner, same)
        field("name", a?.timer.name, b?.timer.name, same)
        field("totalDuration", a?.timer.totalDuration, b?.timer.totalDuration, same)
        field("remainingDuration", a?.timer.remainingDuration, b?.timer.remainingDuration, same)
        field("timerEnd", a?.timer.end, b?.timer.end, same)
        field("endsAt", a?.timer.endsAt, b?.timer.endsAt) { ISO8601.format(milliseconds: $0) }
        field("completedAt", a?.completedAt, b?.completedAt) { ISO8601.format(milliseconds: $0) }
        field("reminders", a?.reminders, b?.reminders) { reminders in
            reminders.isEmpty ? nil : reminders.map { r in
                switch r.trigger {
                case .before(let lead): "\(r.id)@\(r.user) \(ISO8601.formatDuration(milliseconds: lead)) before"
                case .at(let at): "\(r.id)@\(r.user) at \(ISO8601.format(milliseconds: at))"
                }
            }.joined(separator: ",")
        }
        field("tags", a?.timer.tags, b?.timer.tags) { $0.isEmpty ? nil : $0.joined(separator: ",") }
        field("sharedWith", a?.sharedWith, b?.sharedWith) { $0.isEmpty ? nil : $0.sorted().joined(separator: ",") }
        if case .stopped = new, case .active = old { out.removeAll { $0.field != "status" } }
        return out
    }
}
