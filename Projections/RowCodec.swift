internal import TimerDomain
internal import EventLog

/// Binary rows of the views. Each starts with a version byte; views can always be rebuilt
/// from the log, so a version bump means "replay", never a migration.
enum RowCodec {
    static let version: UInt8 = 1

    static func encode(_ state: TimerState) -> [UInt8] {
        var w = ByteWriter(capacity: 160)
        w.u8(version)
        switch state {
        case .unknown:
            w.u8(0)
        case .active(let active):
            w.u8(1)
            w.string(active.owner)
            EventCodec.encode(active.timer, into: &w)
            w.strings(active.sharedWith.sorted())
        case .stopped(let owner):
            w.u8(2)
            w.string(owner)
        }
        return w.bytes
    }

    static func timerState(_ raw: UnsafeRawBufferPointer) throws -> TimerState {
        var r = try reader(raw)
        switch try r.u8() {
        case 0: return .unknown
        case 1:
            let owner = try r.string()
            let timer = try EventCodec.timer(&r)
            return .active(ActiveTimer(owner: owner, timer: timer, sharedWith: Set(try r.strings())))
        case 2: return .stopped(owner: try r.string())
        case let tag: throw DecodeFailure.malformed("timer state tag \(tag)")
        }
    }

    static func encode(_ state: UserState) -> [UInt8] {
        var w = ByteWriter(capacity: 96)
        w.u8(version)
        w.varint(UInt64(state.connections.count))
        for (device, c) in state.connections.sorted(by: { $0.key < $1.key }) {
            w.string(device)
            w.string(c.connectionID)
            w.varint(c.epoch)
        }
        w.varint(UInt64(state.pushTokens.count))
        for (device, token) in state.pushTokens.sorted(by: { $0.key < $1.key }) {
            w.string(device)
            w.string(token)
        }
        return w.bytes
    }

    static func userState(_ raw: UnsafeRawBufferPointer) throws -> UserState {
        var r = try reader(raw)
        var state = UserState()
        for _ in 0..<(try r.varint()) {
            let device = try r.string()
            state.connections[device] = .init(connectionID: try r.string(), epoch: try r.varint())
        }
        for _ in 0..<(try r.varint()) {
            let device = try r.string()
            state.pushTokens[device] = try r.string()
        }
        return state
    }

    static func encode(_ row: TimerViewRow) -> [UInt8] {
        var w = ByteWriter(capacity: 192)
        w.u8(version)
        EventCodec.encode(row.timer, into: &w)
        w.string(row.owner)
        w.strings(row.sharedWith)
        w.u64(row.createdSeq)
        w.u64(row.lastSeq)
        w.u64(UInt64(bitPattern: row.createdAt))
        w.u64(UInt64(bitPattern: row.updatedAt))
        w.string(row.updatedBy.userID)
        w.string(row.updatedBy.deviceID)
        return w.bytes
    }

    static func timerView(_ raw: UnsafeRawBufferPointer) throws -> TimerViewRow {
        var r = try reader(raw)
        return TimerViewRow(
            timer: try EventCodec.timer(&r), owner: try r.string(), sharedWith: try r.strings(),
            createdSeq: try r.u64(), lastSeq: try r.u64(),
            createdAt: Int64(bitPattern: try r.u64()), updatedAt: Int64(bitPattern: try r.u64()),
            updatedBy: Actor(userID: try r.string(), deviceID: try r.string())
        )
    }

    static func encode(_ row: ConnectionRow) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.u8(version)
        w.string(row.connectionID)
        w.u64(UInt64(bitPattern: row.connectedAt))
        w.u64(row.seq)
        return w.bytes
    }

    static func connection(_ raw: UnsafeRawBufferPointer) throws -> ConnectionRow {
        var r = try reader(raw)
        return ConnectionRow(connectionID: try r.string(), connectedAt: Int64(bitPattern: try r.u64()), seq: try r.u64())
    }

    private static func reader(_ raw: UnsafeRawBufferPointer) throws -> ByteReader {
        var r = ByteReader(raw)
        let v = try r.u8()
        guard v == version else { throw DecodeFailure.malformed("view row version \(v); run bubble-replay to rebuild the views") }
        return r
    }
}

/// Composite keys `a NUL b`: ids cannot contain NUL (validation refuses it), so prefix scans
/// on `a NUL` list exactly a's entries.
enum CompositeKey {
    static func make(_ a: String, _ b: String) -> [UInt8] { Array(a.utf8) + [0] + Array(b.utf8) }
    static func prefix(_ a: String) -> [UInt8] { Array(a.utf8) + [0] }

    static func split(_ raw: UnsafeRawBufferPointer) -> (String, String)? {
        guard let nul = raw.firstIndex(of: 0) else { return nil }
        return (String(decoding: raw[..<nul], as: UTF8.self), String(decoding: raw[(nul + 1)...], as: UTF8.self))
    }

    static func hasPrefix(_ raw: UnsafeRawBufferPointer, _ prefix: [UInt8]) -> Bool {
        raw.count >= prefix.count && raw.prefix(prefix.count).elementsEqual(prefix)
    }
}
