public import TimerDomain
internal import LMDB

/// One thing the scheduler must do at an instant: end a timer, or fire one of its reminders.
public struct DueEntry: Hashable, Comparable, Sendable {
    public var dueAt: Int64
    public var timer: TimerID
    /// `nil` for the timer's end.
    public var reminder: String?

    public init(dueAt: Int64, timer: TimerID, reminder: String? = nil) {
        self.dueAt = dueAt
        self.timer = timer
        self.reminder = reminder
    }

    /// Due order; at one instant reminders before ends (a reminder "0 s before" precedes the
    /// end it announces), then by id. The same order as the keys.
    public static func < (a: DueEntry, b: DueEntry) -> Bool { a.key.lexicographicallyPrecedes(b.key) }

    /// `due (8 bytes, order-preserving) · kind (0 reminder, 1 end) · timer [· NUL · reminder]`.
    public var key: [UInt8] {
        var key = BigEndianKey.encode(UInt64(bitPattern: dueAt) ^ (1 << 63))
        key.append(reminder == nil ? 1 : 0)
        key += timer.utf8
        if let reminder { key.append(0); key += reminder.utf8 }
        return key
    }

    public init?(key raw: UnsafeRawBufferPointer) {
        guard raw.count > 9, let biased = BigEndianKey.decode(UnsafeRawBufferPointer(rebasing: raw[0..<8])) else { return nil }
        dueAt = Int64(bitPattern: biased ^ (1 << 63))
        let rest = UnsafeRawBufferPointer(rebasing: raw[9...])
        if raw[8] == 1 {
            timer = String(decoding: rest, as: UTF8.self)
            reminder = nil
        } else {
            guard let nul = rest.firstIndex(of: 0) else { return nil }
            timer = String(decoding: rest[..<nul], as: UTF8.self)
            reminder = String(decoding: rest[(nul + 1)...], as: UTF8.self)
        }
    }
}

/// One change to the due index or to the reminder index (reminder id → timer).
public enum DueChange: Equatable, Sendable {
    case add(DueEntry)
    case remove(DueEntry)
    case addReminder(String, timer: TimerID)
    case removeReminder(String)
}

/// The due index as a function of a timer's state: what is due, and when. Projections keep
/// it by diffing the state before and after each event, so replay rebuilds it exactly.
public enum DueIndex {
    /// What of a timer's state the index depends on: its running end (none while paused or
    /// completed) and its reminders. Cheap to take (no parsing, no copies) on replay's hot path.
    public struct Schedule: Equatable, Sendable {
        public var runningEnd: Int64?
        public var reminders: [Reminder]

        @inlinable
        public init(_ state: TimerState) {
            let (end, reminders) = state.schedule
            self.init(runningEnd: end, reminders: reminders)
        }

        @usableFromInline
        init(runningEnd: Int64?, reminders: [Reminder]) {
            self.runningEnd = runningEnd
            self.reminders = reminders
        }
    }

    static func entries(_ id: TimerID, _ schedule: Schedule) -> [DueEntry] {
        var out: [DueEntry] = []
        if let end = schedule.runningEnd { out.append(DueEntry(dueAt: end, timer: id)) }
        for reminder in schedule.reminders {
            if let due = reminder.dueAt(runningEnd: schedule.runningEnd) { out.append(DueEntry(dueAt: due, timer: id, reminder: reminder.id)) }
        }
        return out
    }

    public static func changes(_ id: TimerID, from before: Schedule, to after: Schedule) -> [DueChange] {
        // Most events move nothing: the same end and no reminders either side.
        if before.reminders.isEmpty, after.reminders.isEmpty {
            guard before.runningEnd != after.runningEnd else { return [] }
            var out: [DueChange] = []
            if let old = before.runningEnd { out.append(.remove(DueEntry(dueAt: old, timer: id))) }
            if let new = after.runningEnd { out.append(.add(DueEntry(dueAt: new, timer: id))) }
            return out
        }
        let old = entries(id, before), new = entries(id, after)
        var out: [DueChange] = []
        for entry in old where !new.contains(entry) { out.append(.remove(entry)) }
        for entry in new where !old.contains(entry) { out.append(.add(entry)) }
        let oldReminders = before.reminders.map(\.id)
        let newReminders = after.reminders.map(\.id)
        for r in oldReminders where !newReminders.contains(r) { out.append(.removeReminder(r)) }
        for r in newReminders where !oldReminders.contains(r) { out.append(.addReminder(r, timer: id)) }
        return out
    }

    /// Whether an event can move anything in the index (the rest skip the diff).
    @inlinable
    public static func concerns(_ event: Event) -> Bool {
        switch event {
        case .timerShared: false
        case .timerCreated(let timer, _): timer.endsAt != nil
        default: event.timerID != nil
        }
    }
}
