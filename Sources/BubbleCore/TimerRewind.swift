public import LMDB
public import TimerDomain
public import EventLog
public import Projections

/// A timer's view row as it was just before a seq, worked out backwards from its current row:
/// the cost follows the events after that seq, not the timer's age. Resume needs this for
/// every timer it replays; folding each timer from its creation made reconnecting to a
/// long-lived timer (100k updates) cost ~100 ms of reading (docs/benchmarks.md).
public enum TimerRewind {
    /// Only `timer`, `owner` and `sharedWith` are exact; the bookkeeping fields
    /// (`createdSeq`, `createdAt`, `updatedAt`, `updatedBy`, `lastSeq`) come from the nearest
    /// event at hand, which is what frames need (they render only the first three).
    public static func row(of id: TimerID, before seq: UInt64, log: EventLog, views: ViewTables, _ txn: ReadTransaction) throws -> TimerViewRow? {
        guard var cursor = try log.streamHead(.timer(id), txn)?.lastSeq else { return nil }
        var newer: [EventEnvelope] = []  // at or after `seq`, newest first
        var base: EventEnvelope?  // the newest event before `seq`
        while cursor != 0 {
            guard let e = try log.envelope(at: cursor, txn) else { throw LogError.corrupt(seq: cursor, reason: "missing from the chain of timer \(id)") }
            if e.seq < seq { base = e; break }
            newer.append(e)
            cursor = e.previousInStream
        }
        guard let base else { return nil }  // it did not exist yet
        if case .timerStopped = base.event { return nil }

        // Who owned and shared it then: the current row, with later share changes undone.
        let current = try views.timer(id, txn)
        var owner = current?.owner
        var shared = Set(current?.sharedWith ?? [])
        for e in newer {
            switch e.event {
            case .timerStopped(_, let stopOwner, let sharedWith):
                // Stopped since: the stop event recorded the shares it ended.
                owner = stopOwner
                shared = Set(sharedWith)
            case .timerShared(_, let user): shared.remove(user)
            case .timerUnshared(_, let user): shared.insert(user)
            default: break
            }
        }
        // Its fields then: the newest create or update before `seq`.
        var fields = base
        while true {
            if case .timerCreated(_, let creator) = fields.event { owner = owner ?? creator; break }
            if case .timerUpdated = fields.event { break }
            guard fields.previousInStream != 0, let previous = try log.envelope(at: fields.previousInStream, txn) else { return nil }
            fields = previous
        }
        let timer: TimerSnapshot
        switch fields.event {
        case .timerCreated(let t, _), .timerUpdated(let t): timer = t
        default: return nil
        }
        guard let owner else { return nil }
        return TimerViewRow(
            timer: timer, owner: owner, sharedWith: shared.sorted(), createdSeq: current?.createdSeq ?? fields.seq,
            lastSeq: base.seq, createdAt: current?.createdAt ?? fields.timestamp, updatedAt: base.timestamp, updatedBy: base.actor
        )
    }
}
