public import LMDB
internal import EventLog

/// The LMDB databases that hold the views, next to the log in the same environment.
public struct ViewTables: Sendable {
    public let timerState: Database
    public let userState: Database
    public let timerView: Database
    /// `user NUL timer` → seq (u64 BE).
    public let sharesByUser: Database
    /// `owner NUL timer` → seq (u64 BE).
    public let ownedTimers: Database
    /// `user NUL device` → connection row.
    public let connections: Database
    /// `applied` → seq, `epoch` → seq, `scheduler_since` → ms, `format` → row format.
    public let meta: Database
    /// ``DueEntry/key`` → empty: what falls due when, in due order.
    public let due: Database
    /// reminder id → timer id.
    public let reminders: Database
    /// `user NUL seq (u64 BE)` → notification row: each user's inbox, oldest first.
    public let notifications: Database
    /// ``OutboxKey/key`` → outbox entry: pushes not yet delivered or abandoned.
    public let outbox: Database
    /// ``OutboxKey/dueKey(_:)`` → empty: the outbox by when each push may be tried.
    public let outboxDue: Database
    /// `user NUL seq (u64 BE)` → message row: the messages a user sent or received.
    public let messages: Database
    /// user id → avatar row (format, sealed image, seq).
    public let avatars: Database
    /// public link token → timer id.
    public let publicLinks: Database

    static let appliedKey = Array("applied".utf8)
    static let epochKey = Array("epoch".utf8)
    static let formatKey = Array("format".utf8)
    static let schedulerKey = Array("scheduler_since".utf8)
    /// The row format the views are written in (``RowCodec/version``).
    public static var formatVersion: UInt8 { RowCodec.version }

    public init(environment: Environment) throws {
        timerState = try environment.openDatabase("timer_state")
        userState = try environment.openDatabase("user_state")
        timerView = try environment.openDatabase("timer_view")
        sharesByUser = try environment.openDatabase("shares_by_user")
        ownedTimers = try environment.openDatabase("owned_timers")
        connections = try environment.openDatabase("connections")
        meta = try environment.openDatabase("view_meta")
        due = try environment.openDatabase("due_index")
        reminders = try environment.openDatabase("reminder_index")
        notifications = try environment.openDatabase("notifications")
        outbox = try environment.openDatabase("push_outbox")
        outboxDue = try environment.openDatabase("push_due")
        messages = try environment.openDatabase("messages")
        avatars = try environment.openDatabase("avatars")
        publicLinks = try environment.openDatabase("public_links")
    }

    /// The longest key the views write for ids of `idLength` bytes: two ids and a NUL.
    public static func longestKey(idLength: Int) -> Int { 2 * idLength + 1 }

    var all: [Database] { [timerState, userState, timerView, sharesByUser, ownedTimers, connections, meta, due, reminders, notifications, outbox, outboxDue, messages, avatars, publicLinks] }

    func position(_ key: [UInt8], _ txn: ReadTransaction) throws -> UInt64 {
        (try txn.get(meta, key: key) { BigEndianKey.decode($0) } ?? nil) ?? 0
    }

    /// The row format of the stored views; `nil` for views written before rows had one
    /// (format 1) or none at all.
    public func format(_ txn: ReadTransaction) throws -> UInt8? {
        try txn.get(meta, key: Self.formatKey) { $0.first } ?? nil
    }

    /// Marks freshly written or rebuilt views with this build's row format.
    public func markFormat(_ txn: WriteTransaction) throws {
        try txn.put(meta, key: Self.formatKey, value: [Self.formatVersion])
    }

    /// Seq of the last event the views include.
    public func appliedSeq(_ txn: ReadTransaction) throws -> UInt64 { try position(Self.appliedKey, txn) }
    /// When the scheduler first ran on this log (Unix ms), `nil` before.
    public func schedulerSince(_ txn: ReadTransaction) throws -> Int64? {
        try txn.get(meta, key: Self.schedulerKey) { BigEndianKey.decode($0).map { Int64(bitPattern: $0) } } ?? nil
    }

    /// Seq of the latest server-start marker.
    public func serverEpoch(_ txn: ReadTransaction) throws -> UInt64 { try position(Self.epochKey, txn) }
}
