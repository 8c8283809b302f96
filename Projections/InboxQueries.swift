public import LMDB
public import TimerDomain

/// Reads of the inbox and the push outbox.
extension ViewTables {
    /// A user's notifications, newest first: those with an id below `before` (all when
    /// `nil`), only unread ones with `unreadOnly`, at most `limit`.
    public func notifications(of user: UserID, before: UInt64?, unreadOnly: Bool, limit: Int, _ txn: ReadTransaction) throws -> [(id: UInt64, row: NotificationRow)] {
        try newest(notifications, of: user, before: before, limit: limit, txn) { id, raw in
            let row = try RowCodec.notification(raw, at: "notifications[\(user)/\(id)]")
            return !unreadOnly || !row.read ? row : nil
        }
    }

    /// Rows of `user NUL seq` tables, newest first below `before`: those `decode` keeps, at most `limit`.
    private func newest<Row>(
        _ db: Database, of user: UserID, before: UInt64?, limit: Int, _ txn: ReadTransaction,
        _ decode: (UInt64, UnsafeRawBufferPointer) throws -> Row?
    ) throws -> [(id: UInt64, row: Row)] {
        var out: [(id: UInt64, row: Row)] = []
        guard limit > 0, before != 0 else { return [] }
        let prefix = CompositeKey.prefix(user)
        try txn.scan(db, from: InboxKey.make(user, (before ?? UInt64.max) &- 1), reverse: true) { k, v in
            guard CompositeKey.hasPrefix(k, prefix), let (_, id) = InboxKey.split(k) else { return false }
            if let row = try decode(id, v) { out.append((id, row)) }
            return out.count < limit
        }
        return out
    }

    /// One of the user's notifications.
    public func notification(of user: UserID, id: UInt64, _ txn: ReadTransaction) throws -> NotificationRow? {
        try txn.get(notifications, key: InboxKey.make(user, id)) { try RowCodec.notification($0, at: "notifications[\(user)/\(id)]") }
    }

    /// Ids of the user's unread notifications.
    public func unreadNotifications(of user: UserID, _ txn: ReadTransaction) throws -> Set<UInt64> {
        var out = Set<UInt64>()
        let prefix = CompositeKey.prefix(user)
        try txn.scan(notifications, from: prefix) { k, v in
            guard CompositeKey.hasPrefix(k, prefix), let (_, id) = InboxKey.split(k) else { return false }
            if try !RowCodec.notification(v, at: "notifications[\(user)/\(id)]").read { out.insert(id) }
            return true
        }
        return out
    }

    /// A user's messages (sent and received), newest first: with `peer` only those between
    /// the two, below `before`, at most `limit`.
    public func messages(of user: UserID, with peer: UserID?, before: UInt64?, limit: Int, _ txn: ReadTransaction) throws -> [(id: UInt64, row: MessageRow)] {
        try newest(messages, of: user, before: before, limit: limit, txn) { id, raw in
            let row = try RowCodec.message(raw, at: "messages[\(user)/\(id)]")
            return peer == nil || row.message.from == peer || row.to == peer ? row : nil
        }
    }

    public func message(of user: UserID, id: UInt64, _ txn: ReadTransaction) throws -> MessageRow? {
        try txn.get(messages, key: InboxKey.make(user, id)) { try RowCodec.message($0, at: "messages[\(user)/\(id)]") }
    }

    public func avatar(of user: UserID, _ txn: ReadTransaction) throws -> AvatarRow? {
        try txn.get(avatars, key: Array(user.utf8)) { try RowCodec.avatar($0, at: "avatars[\(user)]") }
    }

    public func outboxEntry(_ key: OutboxKey, _ txn: ReadTransaction) throws -> OutboxEntry? {
        try txn.get(outbox, key: key.key) { try RowCodec.outboxEntry($0, at: "push_outbox[\(key.notification)]") }
    }

    /// Pushes due at or before `now` in the order they may be tried (at most `limit`), and
    /// when the first one not yet due may be.
    public func duePushes(now: Int64, limit: Int, _ txn: ReadTransaction) throws -> (due: [(key: OutboxKey, entry: OutboxEntry)], next: Int64?) {
        var keys: [OutboxKey] = []
        var next: Int64?
        try txn.scan(outboxDue) { k, _ in
            guard let at = OutboxKey.dueInstant(k), let key = OutboxKey(dueKey: k) else { return true }
            if at > now || keys.count == limit {
                next = at
                return false
            }
            keys.append(key)
            return true
        }
        return (try keys.compactMap { key in try outboxEntry(key, txn).map { (key, $0) } }, next)
    }

    /// Pushes waiting in the outbox, and the creation time of the oldest one's notification.
    public func outboxDepth(_ txn: ReadTransaction) throws -> (count: Int, oldest: Int64?) {
        let count = try txn.statistics(outbox).entries
        var oldest: Int64?
        try txn.scan(outbox) { k, _ in
            if let key = OutboxKey(key: k) { oldest = try notification(of: key.user, id: key.notification, txn)?.createdAt }
            return false
        }
        return (count, oldest)
    }
}
