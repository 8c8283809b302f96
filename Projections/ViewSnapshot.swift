internal import Foundation
public import LMDB
internal import TimerDomain
internal import EventLog

extension ViewTables {
    /// Replaces every view with `store` in one transaction, writing keys in sorted order with
    /// `MDB_APPEND` (replay's output step).
    public func replaceAll(with store: MemoryViewStore, _ txn: WriteTransaction) throws {
        for db in all { try txn.clear(db) }
        // Keys are sorted on their own and rows looked up by key while writing, so rows are
        // never copied into intermediate arrays.
        for id in lmdbOrdered(store.timers.keys) {
            let entry = store.timers[id]!
            let key = Array(id.utf8)
            try txn.put(timerState, key: key, value: RowCodec.encode(entry.state), flags: .append)
            if let row = entry.view { try txn.put(timerView, key: key, value: RowCodec.encode(row), flags: .append) }
        }
        for id in lmdbOrdered(store.userStates.keys) {
            try txn.put(userState, key: Array(id.utf8), value: RowCodec.encode(store.userStates[id]!), flags: .append)
        }
        func pairs<V>(_ map: [String: [String: V]], into db: Database, _ encode: (V) -> [UInt8]) throws {
            for a in lmdbOrdered(map.keys) {
                let inner = map[a]!
                for b in lmdbOrdered(inner.keys) { try txn.put(db, key: CompositeKey.make(a, b), value: encode(inner[b]!), flags: .append) }
            }
        }
        try pairs(store.sharesByUser, into: sharesByUser, BigEndianKey.encode)
        try pairs(store.ownedByUser, into: ownedTimers, BigEndianKey.encode)
        try pairs(store.connections, into: connections, RowCodec.encode)
        for key in store.due.map(\.key).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            try txn.put(due, key: key, value: [], flags: .append)
        }
        let pending = store.reminders
        for id in lmdbOrdered(pending.keys) {
            try txn.put(reminders, key: Array(id.utf8), value: Array(pending[id]!.utf8), flags: .append)
        }
        for user in lmdbOrdered(store.inbox.keys) {
            let rows = store.inbox[user]!
            for id in rows.keys.sorted() { try txn.put(notifications, key: InboxKey.make(user, id), value: RowCodec.encode(rows[id]!), flags: .append) }
        }
        for user in lmdbOrdered(store.avatars.keys) {
            try txn.put(avatars, key: Array(user.utf8), value: RowCodec.encode(store.avatars[user]!), flags: .append)
        }
        for token in lmdbOrdered(store.publicLinks.keys) {
            try txn.put(publicLinks, key: Array(token.utf8), value: Array(store.publicLinks[token]!.utf8), flags: .append)
        }
        for user in lmdbOrdered(store.messages.keys) {
            let rows = store.messages[user]!
            for id in rows.keys.sorted() { try txn.put(messages, key: InboxKey.make(user, id), value: RowCodec.encode(rows[id]!), flags: .append) }
        }
        for key in store.outbox.keys.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            try txn.put(outbox, key: key.key, value: RowCodec.encode(store.outbox[key]!), flags: .append)
        }
        for due in store.outbox.map({ $0.key.dueKey($0.value.notBefore) }).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            try txn.put(outboxDue, key: due, value: [], flags: .append)
        }
        if let since = store.enabledSince {
            try txn.put(meta, key: Self.schedulerKey, value: BigEndianKey.encode(UInt64(bitPattern: since)))
        }
        try txn.put(meta, key: Self.appliedKey, value: BigEndianKey.encode(store.applied))
        try txn.put(meta, key: Self.epochKey, value: BigEndianKey.encode(store.epoch))
        try txn.put(meta, key: Self.formatKey, value: [Self.formatVersion])
    }

    /// Reads every view into memory (for `replay --verify` and `inspector verify`).
    public func loadAll(_ txn: ReadTransaction) throws -> (store: MemoryViewStore, problems: [String]) {
        var store = MemoryViewStore()
        var problems: [String] = []
        /// A damaged row is reported and left out (the comparison then names it too).
        func row<T>(_ decode: () throws -> T) throws -> T? {
            do { return try decode() } catch let error as ViewError {
                problems.append(error.description)
                return nil
            }
        }
        try txn.scan(timerState) { k, v in
            let id = String(decoding: k, as: UTF8.self)
            if let state = try row({ try RowCodec.timerState(v, at: "timer_state[\(id)]") }) { store.timers[id, default: .init()].state = state }
            return true
        }
        try txn.scan(userState) { k, v in
            let id = String(decoding: k, as: UTF8.self)
            if let state = try row({ try RowCodec.userState(v, at: "user_state[\(id)]") }) { store.userStates[id] = state }
            return true
        }
        try txn.scan(timerView) { k, v in
            let id = String(decoding: k, as: UTF8.self)
            if let view = try row({ try RowCodec.timerView(v, at: "timer_view[\(id)]") }) { store.timers[id, default: .init()].view = view }
            return true
        }
        try txn.scan(sharesByUser) { k, v in
            guard let (user, timer) = CompositeKey.split(k), let seq = BigEndianKey.decode(v) else { return true }
            store.sharesByUser[user, default: [:]][timer] = seq
            return true
        }
        try txn.scan(ownedTimers) { k, v in
            guard let (owner, timer) = CompositeKey.split(k), let seq = BigEndianKey.decode(v) else { return true }
            store.ownedByUser[owner, default: [:]][timer] = seq
            return true
        }
        try txn.scan(connections) { k, v in
            guard let (user, device) = CompositeKey.split(k) else { return true }
            if let connection = try row({ try RowCodec.connection(v, at: "connections[\(user)/\(device)]") }) { store.connections[user, default: [:]][device] = connection }
            return true
        }
        var loadedDue = Set<DueEntry>()
        try txn.scan(due) { k, _ in
            if let entry = DueEntry(key: k) { loadedDue.insert(entry) } else { problems.append("due_index has an unreadable key of \(k.count) bytes") }
            return true
        }
        var loadedReminders: [String: TimerID] = [:]
        try txn.scan(reminders) { k, v in
            loadedReminders[String(decoding: k, as: UTF8.self)] = String(decoding: v, as: UTF8.self)
            return true
        }
        try txn.scan(notifications) { k, v in
            guard let (user, id) = InboxKey.split(k) else {
                problems.append("notifications has an unreadable key of \(k.count) bytes")
                return true
            }
            if let entry = try row({ try RowCodec.notification(v, at: "notifications[\(user)/\(id)]") }) { store.inbox[user, default: [:]][id] = entry }
            return true
        }
        try txn.scan(avatars) { k, v in
            let user = String(decoding: k, as: UTF8.self)
            if let entry = try row({ try RowCodec.avatar(v, at: "avatars[\(user)]") }) { store.avatars[user] = entry }
            return true
        }
        try txn.scan(publicLinks) { k, v in
            store.publicLinks[String(decoding: k, as: UTF8.self)] = String(decoding: v, as: UTF8.self)
            return true
        }
        try txn.scan(messages) { k, v in
            guard let (user, id) = InboxKey.split(k) else {
                problems.append("messages has an unreadable key of \(k.count) bytes")
                return true
            }
            if let entry = try row({ try RowCodec.message(v, at: "messages[\(user)/\(id)]") }) { store.messages[user, default: [:]][id] = entry }
            return true
        }
        try txn.scan(outbox) { k, v in
            guard let key = OutboxKey(key: k) else {
                problems.append("push_outbox has an unreadable key of \(k.count) bytes")
                return true
            }
            if let entry = try row({ try RowCodec.outboxEntry(v, at: "push_outbox[\(key.notification)/\(key.user)/\(key.device)]") }) { store.outbox[key] = entry }
            return true
        }
        // The due order must list exactly the outbox (a push missing from it would never go).
        var dueKeys = 0
        try txn.scan(outboxDue) { k, _ in
            dueKeys += 1
            if let key = OutboxKey(dueKey: k), let at = OutboxKey.dueInstant(k), store.outbox[key]?.notBefore == at { return true }
            problems.append("push_due has an entry the outbox does not match")
            return true
        }
        if dueKeys != store.outbox.count { problems.append("push_due lists \(dueKeys) pushes, the outbox \(store.outbox.count)") }
        store.loadedDue = loadedDue
        store.loadedReminders = loadedReminders
        store.enabledSince = try schedulerSince(txn)
        store.applied = try appliedSeq(txn)
        store.epoch = try serverEpoch(txn)
        return (store, problems)
    }
}

/// Ids in LMDB's key order (`memcmp` of their UTF-8), which `MDB_APPEND` requires. The
/// bytes are packed into one buffer and an index array sorted against it, so a comparison
/// costs a `memcmp` and no reference counting. Composite keys `a NUL b` sort as (a, b) with
/// both parts in this order, because ids contain no NUL.
func lmdbOrdered(_ ids: some Collection<String>) -> [String] {
    let ids = Array(ids)
    var blob: [UInt8] = []
    var offsets: [Int] = []
    var lengths: [Int] = []
    offsets.reserveCapacity(ids.count)
    lengths.reserveCapacity(ids.count)
    for id in ids {
        offsets.append(blob.count)
        let before = blob.count
        blob.append(contentsOf: id.utf8)
        lengths.append(blob.count - before)
    }
    let order: [Int] = blob.withUnsafeBufferPointer { b in
        offsets.withUnsafeBufferPointer { off in
            lengths.withUnsafeBufferPointer { len in
                guard let base = b.baseAddress else { return Array(ids.indices) }
                return ids.indices.sorted { i, j in
                    let n = min(len[i], len[j])
                    let c = n == 0 ? 0 : memcmp(base + off[i], base + off[j], n)
                    return c != 0 ? c < 0 : len[i] < len[j]
                }
            }
        }
    }
    return order.map { ids[$0] }
}
