public import TimerDomain

/// Every view held in dictionaries: what replay folds into before writing out, and what
/// `--verify` compares with the live views.
public struct MemoryViewStore: ViewStore, Equatable, Sendable {
    /// A timer's decider state and view row side by side, so a fold step hashes its id once.
    public struct TimerEntry: Equatable, Sendable {
        public var state: TimerState = .unknown
        public var view: TimerViewRow?
        /// What of `state` the due index depends on, kept up to date by the fold.
        public var schedule = DueIndex.Schedule(.unknown)
    }

    public var timers: [TimerID: TimerEntry] = [:]
    public var userStates: [UserID: UserState] = [:]
    /// user → timer → seq it was shared at.
    public var sharesByUser: [UserID: [TimerID: UInt64]] = [:]
    /// owner → timer → seq it was created at.
    public var ownedByUser: [UserID: [TimerID: UInt64]] = [:]
    public var connections: [UserID: [DeviceID: ConnectionRow]] = [:]
    /// user → notification id → row.
    public var inbox: [UserID: [UInt64: NotificationRow]] = [:]
    public var outbox: [OutboxKey: OutboxEntry] = [:]
    /// user → message id → their copy.
    public var messages: [UserID: [UInt64: MessageRow]] = [:]
    public var avatars: [UserID: AvatarRow] = [:]
    /// Public link token → timer.
    public var publicLinks: [String: TimerID] = [:]
    public var epoch: UInt64 = 0
    public var applied: UInt64 = 0
    /// The due index and reminder index as read from LMDB (`loadAll`); a fold derives them
    /// from each timer's schedule instead (no set to keep while folding millions of events).
    public var loadedDue: Set<DueEntry>?
    public var loadedReminders: [String: TimerID]?
    /// The scheduler's first start (`scheduler_enabled`).
    public var enabledSince: Int64?

    public init() {}

    /// Decider state by timer (stopped timers included).
    public var timerStates: [TimerID: TimerState] { timers.mapValues(\.state) }
    /// View rows by timer (live timers only).
    public var timerViews: [TimerID: TimerViewRow] { timers.compactMapValues(\.view) }

    public func timerState(_ id: TimerID) -> TimerState { timers[id]?.state ?? .unknown }
    public func userState(_ id: UserID) -> UserState { userStates[id] ?? .initial }

    public mutating func updateTimer(_ id: TimerID, rescheduling: Bool, _ body: (inout TimerState, inout TimerViewRow?) -> Void) {
        // Mutated where it lies in the dictionary: one hash, no copies of rows or sets.
        var forgotten = false
        modify(&timers[id, default: TimerEntry()]) { entry in
            body(&entry.state, &entry.view)
            if rescheduling { entry.schedule = DueIndex.Schedule(entry.state) }
            if case .unknown = entry.state { forgotten = entry.view == nil }
        }
        if forgotten { timers[id] = nil }
    }

    public mutating func updateUser(_ id: UserID, _ body: (inout UserState) -> Void) {
        body(&userStates[id, default: .initial])
        if userStates[id] == .initial { userStates[id] = nil }
    }

    public mutating func apply(_ change: ShareChange) {
        switch change {
        case .add(let user, let timer, let seq): sharesByUser[user, default: [:]][timer] = seq
        case .remove(let user, let timer): Self.remove(&sharesByUser, user, timer)
        }
    }

    public mutating func apply(_ change: OwnershipChange) {
        switch change {
        case .add(let owner, let timer, let seq): ownedByUser[owner, default: [:]][timer] = seq
        case .remove(let owner, let timer): Self.remove(&ownedByUser, owner, timer)
        }
    }

    public mutating func apply(_ change: ConnectionChange) {
        switch change {
        case .set(let user, let device, let row): connections[user, default: [:]][device] = row
        case .remove(let user, let device): Self.remove(&connections, user, device)
        case .clearAll: connections = [:]
        }
    }

    public mutating func apply(_ change: InboxChange) {
        switch change {
        case .add(let user, let id, let row): inbox[user, default: [:]][id] = row
        case .markRead(let user, let ids):
            for id in ids {
                inbox[user]?[id]?.read = true
                messages[user]?[id]?.read = true
            }
        case .dropAll(let user):
            inbox[user] = nil
            messages[user] = nil
        case .message(let owner, let id, let row): messages[owner, default: [:]][id] = row
        case .push(let key, let entry): outbox[key] = entry
        case .pushDone(let key): outbox[key] = nil
        }
    }

    public mutating func apply(_ change: AvatarChange) {
        switch change {
        case .set(let user, let row): avatars[user] = row
        case .remove(let user): avatars[user] = nil
        }
    }

    public mutating func apply(_ change: PublicLinkChange) {
        switch change {
        case .set(let token, let timer): publicLinks[token] = timer
        case .remove(let token): publicLinks[token] = nil
        }
    }

    public func isConnected(_ user: UserID, _ device: DeviceID) -> Bool { connections[user]?[device] != nil }

    /// Everything that falls due, from every timer's schedule (or as loaded).
    public var due: Set<DueEntry> {
        if let loadedDue { return loadedDue }
        var out = Set<DueEntry>()
        for (id, entry) in timers { out.formUnion(DueIndex.entries(id, entry.schedule)) }
        return out
    }

    /// Pending reminder id → timer (or as loaded).
    public var reminders: [String: TimerID] {
        if let loadedReminders { return loadedReminders }
        var out: [String: TimerID] = [:]
        for (id, entry) in timers { for r in entry.schedule.reminders { out[r.id] = id } }
        return out
    }

    public func schedulerSince() -> Int64? { enabledSince }
    public mutating func setSchedulerSince(_ since: Int64) { enabledSince = since }

    public func serverEpoch() -> UInt64 { epoch }
    public func appliedSeq() -> UInt64 { applied }
    public mutating func setPositions(applied: UInt64, epoch: UInt64) {
        self.applied = applied
        self.epoch = epoch
    }

    private func modify<T>(_ value: inout T, _ body: (inout T) -> Void) { body(&value) }

    private static func remove<V>(_ map: inout [String: [String: V]], _ a: String, _ b: String) {
        map[a]?[b] = nil
        if map[a]?.isEmpty == true { map[a] = nil }
    }

    /// How these (live) views differ from `other` (the fold of the log), at most `limit` lines.
    public func differences(from other: MemoryViewStore, limit: Int = 20) -> [String] {
        var out: [String] = []
        func compare<K: Comparable, V: Equatable>(_ name: String, _ a: [K: V], _ b: [K: V]) {
            for key in Set(a.keys).union(b.keys).sorted() where out.count < limit && a[key] != b[key] {
                let what = a[key] == nil ? "in the live views but not in the fold of the log" : b[key] == nil ? "missing from the live views" : "differs from the fold of the log"
                out.append("\(name)[\(key)]: \(what)")
            }
        }
        compare("timer_state", other.timerStates, timerStates)
        compare("user_state", other.userStates, userStates)
        compare("timer_view", other.timerViews, timerViews)
        compare("shares_by_user", other.sharesByUser, sharesByUser)
        compare("owned_timers", other.ownedByUser, ownedByUser)
        compare("connections", other.connections, connections)
        compare("reminder_index", other.reminders, reminders)
        compare("notifications", other.inbox, inbox)
        compare("push_outbox", other.outbox, outbox)
        compare("messages", other.messages, messages)
        compare("avatars", other.avatars, avatars)
        compare("public_links", other.publicLinks, publicLinks)
        let mine = due
        for entry in other.due.symmetricDifference(mine).sorted().prefix(max(0, limit - out.count)) {
            out.append("due_index[\(entry.dueAt) \(entry.timer)\(entry.reminder.map { " reminder " + $0 } ?? "")]: \(mine.contains(entry) ? "in the live views but not in the fold of the log" : "missing from the live views")")
        }
        if enabledSince != other.enabledSince, out.count < limit { out.append("scheduler since: \(enabledSince.map(String.init) ?? "never") vs \(other.enabledSince.map(String.init) ?? "never")") }
        if epoch != other.epoch, out.count < limit { out.append("server epoch: \(epoch) vs \(other.epoch)") }
        if applied != other.applied, out.count < limit { out.append("applied seq: \(applied) vs \(other.applied)") }
        return out
    }
}
