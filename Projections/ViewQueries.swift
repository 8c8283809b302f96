public import LMDB
public import TimerDomain
public import EventLog

/// Reads the server and tools need, each a point lookup or a prefix range scan.
extension ViewTables {
    public func timer(_ id: TimerID, _ txn: ReadTransaction) throws -> TimerViewRow? {
        try txn.get(timerView, key: Array(id.utf8)) { try RowCodec.timerView($0, at: "timer_view[\(id)]") }
    }

    public func timerState(_ id: TimerID, _ txn: ReadTransaction) throws -> TimerState {
        try txn.get(timerState, key: Array(id.utf8)) { try RowCodec.timerState($0, at: "timer_state[\(id)]") } ?? .unknown
    }

    public func userState(_ id: UserID, _ txn: ReadTransaction) throws -> UserState {
        try txn.get(userState, key: Array(id.utf8)) { try RowCodec.userState($0, at: "user_state[\(id)]") } ?? .initial
    }

    /// The timer a public link token was made for (whether it still works is the timer's say).
    public func publicLinkTimer(_ token: String, _ txn: ReadTransaction) throws -> TimerID? {
        try txn.get(publicLinks, key: Array(token.utf8)) { String(decoding: $0, as: UTF8.self) }
    }

    /// The seq at which `timer` was (last) shared with `user`, `nil` when it is not shared with them.
    public func sharedAt(timer: TimerID, user: UserID, _ txn: ReadTransaction) throws -> UInt64? {
        try txn.get(sharesByUser, key: CompositeKey.make(user, timer)) { BigEndianKey.decode($0) } ?? nil
    }

    /// Every user's state in id order (the operator's listing), until `body` returns `false`.
    public func eachUserState(_ txn: ReadTransaction, _ body: (UserID, UserState) throws -> Bool) throws {
        try txn.scan(userState) { key, value in
            let id = String(decoding: key, as: UTF8.self)
            return try body(id, try RowCodec.userState(value, at: "user_state[\(id)]"))
        }
    }

    /// Ids of the live timers `owner` owns, sorted.
    public func timersOwned(by owner: UserID, _ txn: ReadTransaction) throws -> [TimerID] {
        try secondParts(ownedTimers, prefix: owner, txn)
    }

    /// Ids of the live timers shared with `user`, sorted.
    public func timersShared(with user: UserID, _ txn: ReadTransaction) throws -> [TimerID] {
        try secondParts(sharesByUser, prefix: user, txn)
    }

    /// Every timer `user` can see: owned first, then shared with them.
    public func visibleTimers(for user: UserID, _ txn: ReadTransaction) throws -> [TimerViewRow] {
        try (timersOwned(by: user, txn) + timersShared(with: user, txn)).compactMap { try timer($0, txn) }
    }

    /// What falls due at or before `instant`, in due order (at most `limit`), and the due
    /// instant of the first entry after those (when the scheduler should look again).
    public func due(through instant: Int64, limit: Int, _ txn: ReadTransaction) throws -> (entries: [DueEntry], next: Int64?) {
        var entries: [DueEntry] = []
        var next: Int64?
        try txn.scan(due) { k, _ in
            guard let entry = DueEntry(key: k) else { return true }
            if entry.dueAt > instant || entries.count == limit {
                next = entry.dueAt
                return false
            }
            entries.append(entry)
            return true
        }
        return (entries, next)
    }

    /// Live timers the server completed (a scan of the timer view: for tools).
    public func completedTimerCount(_ txn: ReadTransaction) throws -> Int {
        var count = 0
        try txn.scan(timerView) { k, v in
            if try RowCodec.timerView(v, at: "timer_view[\(String(decoding: k, as: UTF8.self))]").completedAt != nil { count += 1 }
            return true
        }
        return count
    }

    /// The timer a reminder is on, while it is pending.
    public func timerOfReminder(_ id: String, _ txn: ReadTransaction) throws -> TimerID? {
        try txn.get(reminders, key: Array(id.utf8)) { String(decoding: $0, as: UTF8.self) }
    }

    /// Live timers whose local end no server resolved yet (written before it kept time), with
    /// their owner and end.
    public func unresolvedEnds(_ txn: ReadTransaction) throws -> [(timer: TimerID, owner: UserID, end: String)] {
        var out: [(timer: TimerID, owner: UserID, end: String)] = []
        try txn.scan(timerState) { k, v in
            let id = String(decoding: k, as: UTF8.self)
            if let active = try RowCodec.timerState(v, at: "timer_state[\(id)]").active, active.timer.needsResolving, let end = active.timer.end {
                out.append((id, active.owner, end))
            }
            return true
        }
        return out
    }

    /// Whether the server knows `user`: they have a stream of their own (connected a device or
    /// registered a push token), or own or share a live timer.
    public func isKnownUser(_ user: UserID, log: EventLog, _ txn: ReadTransaction) throws -> Bool {
        if try log.streamHead(.user(user), txn) != nil { return true }
        return try hasPrefix(ownedTimers, user, txn) || hasPrefix(sharesByUser, user, txn)
    }

    private func hasPrefix(_ db: Database, _ a: String, _ txn: ReadTransaction) throws -> Bool {
        let prefix = CompositeKey.prefix(a)
        var found = false
        try txn.scan(db, from: prefix) { k, _ in
            found = CompositeKey.hasPrefix(k, prefix)
            return false
        }
        return found
    }

    /// The recorded live connections of `user`, by device.
    public func connections(of user: UserID, _ txn: ReadTransaction) throws -> [(device: DeviceID, row: ConnectionRow)] {
        var out: [(DeviceID, ConnectionRow)] = []
        let prefix = CompositeKey.prefix(user)
        try txn.scan(connections, from: prefix) { k, v in
            guard CompositeKey.hasPrefix(k, prefix), let (_, device) = CompositeKey.split(k) else { return false }
            out.append((device, try RowCodec.connection(v, at: "connections[\(user)/\(device)]")))
            return true
        }
        return out
    }

    private func secondParts(_ db: Database, prefix a: String, _ txn: ReadTransaction) throws -> [String] {
        var out: [String] = []
        let prefix = CompositeKey.prefix(a)
        try txn.scan(db, from: prefix) { k, _ in
            guard CompositeKey.hasPrefix(k, prefix), let (_, b) = CompositeKey.split(k) else { return false }
            out.append(b)
            return true
        }
        return out
    }
}
