public import LMDB
public import TimerDomain
internal import EventLog

/// The views in LMDB, written inside the append's write transaction so that after any
/// crash they equal the fold of the log. Call ``flush()`` before the transaction commits.
public struct LMDBViewStore: ViewStore {
    public let tables: ViewTables
    let txn: WriteTransaction
    private var applied: UInt64
    private var epoch: UInt64

    public init(tables: ViewTables, txn: WriteTransaction) throws {
        self.tables = tables
        self.txn = txn
        applied = try tables.appliedSeq(txn)
        epoch = try tables.serverEpoch(txn)
    }

    public func timerState(_ id: TimerID) throws -> TimerState {
        try txn.get(tables.timerState, key: Array(id.utf8)) { try RowCodec.timerState($0, at: "timer_state[\(id)]") } ?? .unknown
    }

    public func userState(_ id: UserID) throws -> UserState {
        try txn.get(tables.userState, key: Array(id.utf8)) { try RowCodec.userState($0, at: "user_state[\(id)]") } ?? .initial
    }

    public func timerView(_ id: TimerID) throws -> TimerViewRow? {
        try txn.get(tables.timerView, key: Array(id.utf8)) { try RowCodec.timerView($0, at: "timer_view[\(id)]") }
    }

    public mutating func updateTimer(_ id: TimerID, rescheduling: Bool, _ body: (inout TimerState, inout TimerViewRow?) -> Void) throws {
        let key = Array(id.utf8)
        var state = try timerState(id)
        var row = try timerView(id)
        let before = rescheduling ? DueIndex.Schedule(state) : nil
        body(&state, &row)
        if let before {
            for change in DueIndex.changes(id, from: before, to: DueIndex.Schedule(state)) { try apply(change) }
        }
        if state == .unknown { try txn.delete(tables.timerState, key: key) }
        else { try txn.put(tables.timerState, key: key, value: RowCodec.encode(state)) }
        if let row { try txn.put(tables.timerView, key: key, value: RowCodec.encode(row)) }
        else { try txn.delete(tables.timerView, key: key) }
    }

    public mutating func updateUser(_ id: UserID, _ body: (inout UserState) -> Void) throws {
        var state = try userState(id)
        body(&state)
        if state == .initial { try txn.delete(tables.userState, key: Array(id.utf8)) }
        else { try txn.put(tables.userState, key: Array(id.utf8), value: RowCodec.encode(state)) }
    }

    public mutating func apply(_ change: ShareChange) throws {
        switch change {
        case .add(let user, let timer, let seq):
            try txn.put(tables.sharesByUser, key: CompositeKey.make(user, timer), value: BigEndianKey.encode(seq))
        case .remove(let user, let timer):
            try txn.delete(tables.sharesByUser, key: CompositeKey.make(user, timer))
        }
    }

    public mutating func apply(_ change: OwnershipChange) throws {
        switch change {
        case .add(let owner, let timer, let seq):
            try txn.put(tables.ownedTimers, key: CompositeKey.make(owner, timer), value: BigEndianKey.encode(seq))
        case .remove(let owner, let timer):
            try txn.delete(tables.ownedTimers, key: CompositeKey.make(owner, timer))
        }
    }

    public mutating func apply(_ change: ConnectionChange) throws {
        switch change {
        case .set(let user, let device, let row):
            try txn.put(tables.connections, key: CompositeKey.make(user, device), value: RowCodec.encode(row))
        case .remove(let user, let device):
            try txn.delete(tables.connections, key: CompositeKey.make(user, device))
        case .clearAll:
            try txn.clear(tables.connections)
        }
    }

    public mutating func apply(_ change: InboxChange) throws {
        switch change {
        case .add(let user, let id, let row):
            try txn.put(tables.notifications, key: InboxKey.make(user, id), value: RowCodec.encode(row))
        case .markRead(let user, let ids):
            for id in ids {
                let key = InboxKey.make(user, id)
                if var row = try txn.get(tables.notifications, key: key, { try RowCodec.notification($0, at: "notifications[\(user)/\(id)]") }), !row.read {
                    row.read = true
                    try txn.put(tables.notifications, key: key, value: RowCodec.encode(row))
                }
                // A message is its own inbox entry: reading one reads the other.
                if var row = try txn.get(tables.messages, key: key, { try RowCodec.message($0, at: "messages[\(user)/\(id)]") }), !row.read {
                    row.read = true
                    try txn.put(tables.messages, key: key, value: RowCodec.encode(row))
                }
            }
        case .dropAll(let user):
            let prefix = CompositeKey.prefix(user)
            for table in [tables.notifications, tables.messages] {
                var keys: [[UInt8]] = []
                try txn.scan(table, from: prefix) { k, _ in
                    guard CompositeKey.hasPrefix(k, prefix) else { return false }
                    keys.append(Array(k))
                    return true
                }
                for key in keys { _ = try txn.delete(table, key: key) }
            }
        case .message(let owner, let id, let row):
            try txn.put(tables.messages, key: InboxKey.make(owner, id), value: RowCodec.encode(row))
        case .push(let key, let entry):
            if let old = try tables.outboxEntry(key, txn) { _ = try txn.delete(tables.outboxDue, key: key.dueKey(old.notBefore)) }
            try txn.put(tables.outbox, key: key.key, value: RowCodec.encode(entry))
            try txn.put(tables.outboxDue, key: key.dueKey(entry.notBefore), value: [])
        case .pushDone(let key):
            guard let old = try tables.outboxEntry(key, txn) else { return }
            _ = try txn.delete(tables.outboxDue, key: key.dueKey(old.notBefore))
            _ = try txn.delete(tables.outbox, key: key.key)
        }
    }

    public mutating func apply(_ change: AvatarChange) throws {
        switch change {
        case .set(let user, let row): try txn.put(tables.avatars, key: Array(user.utf8), value: RowCodec.encode(row))
        case .remove(let user): _ = try txn.delete(tables.avatars, key: Array(user.utf8))
        }
    }

    public mutating func apply(_ change: PublicLinkChange) throws {
        switch change {
        case .set(let token, let timer): try txn.put(tables.publicLinks, key: Array(token.utf8), value: Array(timer.utf8))
        case .remove(let token): _ = try txn.delete(tables.publicLinks, key: Array(token.utf8))
        }
    }

    public func isConnected(_ user: UserID, _ device: DeviceID) throws -> Bool {
        try txn.get(tables.connections, key: CompositeKey.make(user, device)) { _ in true } ?? false
    }

    mutating func apply(_ change: DueChange) throws {
        switch change {
        case .add(let entry): try txn.put(tables.due, key: entry.key, value: [])
        case .remove(let entry): _ = try txn.delete(tables.due, key: entry.key)
        case .addReminder(let reminder, let timer): try txn.put(tables.reminders, key: Array(reminder.utf8), value: Array(timer.utf8))
        case .removeReminder(let reminder): _ = try txn.delete(tables.reminders, key: Array(reminder.utf8))
        }
    }

    public func schedulerSince() throws -> Int64? { try tables.schedulerSince(txn) }

    public mutating func setSchedulerSince(_ since: Int64) throws {
        try txn.put(tables.meta, key: ViewTables.schedulerKey, value: BigEndianKey.encode(UInt64(bitPattern: since)))
    }

    public func serverEpoch() -> UInt64 { epoch }
    public func appliedSeq() -> UInt64 { applied }

    public mutating func setPositions(applied: UInt64, epoch: UInt64) {
        self.applied = applied
        self.epoch = epoch
    }

    /// Records the positions once per transaction rather than once per event.
    public func flush() throws {
        try txn.put(tables.meta, key: ViewTables.appliedKey, value: BigEndianKey.encode(applied))
        try txn.put(tables.meta, key: ViewTables.epochKey, value: BigEndianKey.encode(epoch))
    }
}
