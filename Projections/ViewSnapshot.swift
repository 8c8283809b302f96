internal import Foundation
public import LMDB
internal import TimerDomain
internal import EventLog

extension ViewTables {
    /// Replaces every view with `store` in one transaction, writing keys in sorted order with
    /// `MDB_APPEND` (replay's output step).
    public func replaceAll(with store: MemoryViewStore, _ txn: WriteTransaction) throws {
        for db in all { try txn.clear(db) }
        func single<V>(_ map: [String: V]) -> [(key: [UInt8], value: V)] {
            lmdbOrdered(map.map { (order: ($0.key, ""), value: $0.value) }) { Array($0.0.utf8) }
        }
        func pairs<V>(_ map: [String: [String: V]]) -> [(key: [UInt8], value: V)] {
            lmdbOrdered(map.flatMap { a, inner in inner.map { (order: (a, $0.key), value: $0.value) } }) { CompositeKey.make($0.0, $0.1) }
        }
        let timers = single(store.timers)
        for (k, v) in timers { try txn.put(timerState, key: k, value: RowCodec.encode(v.state), flags: .append) }
        for (k, v) in timers { if let row = v.view { try txn.put(timerView, key: k, value: RowCodec.encode(row), flags: .append) } }
        for (k, v) in single(store.userStates) { try txn.put(userState, key: k, value: RowCodec.encode(v), flags: .append) }
        for (k, v) in pairs(store.sharesByUser) { try txn.put(sharesByUser, key: k, value: BigEndianKey.encode(v), flags: .append) }
        var byTimer: [String: [String: UInt64]] = [:]
        for (user, timers) in store.sharesByUser { for (timer, seq) in timers { byTimer[timer, default: [:]][user] = seq } }
        for (k, v) in pairs(byTimer) { try txn.put(sharesByTimer, key: k, value: BigEndianKey.encode(v), flags: .append) }
        for (k, v) in pairs(store.ownedByUser) { try txn.put(ownedTimers, key: k, value: BigEndianKey.encode(v), flags: .append) }
        for (k, v) in pairs(store.connections) { try txn.put(connections, key: k, value: RowCodec.encode(v), flags: .append) }
        try txn.put(meta, key: Self.appliedKey, value: BigEndianKey.encode(store.applied))
        try txn.put(meta, key: Self.epochKey, value: BigEndianKey.encode(store.epoch))
    }

    /// Reads every view into memory (for `replay --verify` and `inspector verify`). Also
    /// checks that the two directions of the share index agree.
    public func loadAll(_ txn: ReadTransaction) throws -> (store: MemoryViewStore, problems: [String]) {
        var store = MemoryViewStore()
        var problems: [String] = []
        try txn.scan(timerState) { k, v in
            store.timers[String(decoding: k, as: UTF8.self), default: .init()].state = try RowCodec.timerState(v)
            return true
        }
        try txn.scan(userState) { k, v in
            store.userStates[String(decoding: k, as: UTF8.self)] = try RowCodec.userState(v)
            return true
        }
        try txn.scan(timerView) { k, v in
            store.timers[String(decoding: k, as: UTF8.self), default: .init()].view = try RowCodec.timerView(v)
            return true
        }
        try txn.scan(sharesByUser) { k, v in
            guard let (user, timer) = CompositeKey.split(k), let seq = BigEndianKey.decode(v) else { return true }
            store.sharesByUser[user, default: [:]][timer] = seq
            return true
        }
        var reverse: [String: [String: UInt64]] = [:]
        try txn.scan(sharesByTimer) { k, v in
            guard let (timer, user) = CompositeKey.split(k), let seq = BigEndianKey.decode(v) else { return true }
            reverse[user, default: [:]][timer] = seq
            return true
        }
        if reverse != store.sharesByUser { problems.append("shares_by_timer does not mirror shares_by_user") }
        try txn.scan(ownedTimers) { k, v in
            guard let (owner, timer) = CompositeKey.split(k), let seq = BigEndianKey.decode(v) else { return true }
            store.ownedByUser[owner, default: [:]][timer] = seq
            return true
        }
        try txn.scan(connections) { k, v in
            guard let (user, device) = CompositeKey.split(k) else { return true }
            store.connections[user, default: [:]][device] = try RowCodec.connection(v)
            return true
        }
        store.applied = try appliedSeq(txn)
        store.epoch = try serverEpoch(txn)
        return (store, problems)
    }
}

/// Rows in LMDB's key order (`memcmp`), which `MDB_APPEND` requires. The keys are packed
/// into one buffer and an index array is sorted against it, so comparing costs a `memcmp`
/// and no reference counting.
func lmdbOrdered<V>(_ items: [(order: (String, String), value: V)], key: ((String, String)) -> [UInt8]) -> [(key: [UInt8], value: V)] {
    var blob: [UInt8] = []
    var offsets: [Int] = []
    var lengths: [Int] = []
    offsets.reserveCapacity(items.count)
    lengths.reserveCapacity(items.count)
    for item in items {
        let k = key(item.order)
        offsets.append(blob.count)
        lengths.append(k.count)
        blob += k
    }
    let order: [Int] = blob.withUnsafeBufferPointer { b in
        offsets.withUnsafeBufferPointer { off in
            lengths.withUnsafeBufferPointer { len in
                guard let base = b.baseAddress else { return Array(items.indices) }
                return items.indices.sorted { i, j in
                    let n = min(len[i], len[j])
                    let c = n == 0 ? 0 : memcmp(base + off[i], base + off[j], n)
                    return c != 0 ? c < 0 : len[i] < len[j]
                }
            }
        }
    }
    return order.map { i in (key: Array(blob[offsets[i]..<(offsets[i] + lengths[i])]), value: items[i].value) }
}

/// LMDB's key order (`memcmp`, shorter first on a tie), which `MDB_APPEND` requires.
func bytewiseLess(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.withUnsafeBufferPointer { x in
        b.withUnsafeBufferPointer { y in
            let n = min(x.count, y.count)
            let c = n == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, n)
            return c != 0 ? c < 0 : x.count < y.count
        }
    }
}

