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
        try txn.put(meta, key: Self.appliedKey, value: BigEndianKey.encode(store.applied))
        try txn.put(meta, key: Self.epochKey, value: BigEndianKey.encode(store.epoch))
    }

    /// Reads every view into memory (for `replay --verify` and `inspector verify`).
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
