internal import TimerDomain
internal import EventLog
internal import LMDB

/// Binary rows of the views. Each starts with a version byte and ends with a CRC-32C of
/// everything before it, so a damaged row is an error, never data served to a client. Views
/// can always be rebuilt from the log, so a version bump means "replay", never a migration
/// (a writable open rebuilds views of another version by itself).
enum RowCodec {
    /// 2: rows end with a CRC-32C. 3: timers carry their instant end, completion and
    /// reminders; users their zones. 4: users carry their profile and push providers.
    /// 5: users carry their sign-in state (pending code, sessions, disabled); timers their
    /// public links.
    static let version: UInt8 = 5

    static func encode(_ state: TimerState) -> [UInt8] {
        var w = ByteWriter(capacity: 160)
        w.u8(version)
        switch state {
        case .unknown:
            w.u8(0)
        case .active(let active):
            w.u8(1)
            w.string(active.owner)
            snapshot(active.timer, into: &w)
            w.strings(active.sharedWith.sorted())
            optional(active.completedAt, into: &w)
            w.varint(UInt64(active.reminders.count))
            for reminder in active.reminders {
                w.string(reminder.id)
                w.string(reminder.user)
                switch reminder.trigger {
                case .before(let lead): w.u8(0); w.signed(lead)
                case .at(let instant): w.u8(1); w.signed(instant)
                }
            }
            w.strings(active.links)
        case .stopped(let owner):
            w.u8(2)
            w.string(owner)
        }
        return sealed(w)
    }

    static func timerState(_ raw: UnsafeRawBufferPointer, at row: @autoclosure () -> String) throws(ViewError) -> TimerState {
        try decode(raw, at: row()) { r in
            switch try r.u8() {
            case 0: return .unknown
            case 1:
                let owner = try r.string()
                let timer = try snapshot(&r)
                var active = ActiveTimer(owner: owner, timer: timer, sharedWith: Set(try r.strings()))
                active.completedAt = try optional(&r)
                for _ in 0..<(try r.varint()) {
                    let id = try r.string()
                    let user = try r.string()
                    let kind = try r.u8()
                    let value = try r.signed()
                    active.reminders.append(Reminder(id: id, user: user, trigger: kind == 0 ? .before(value) : .at(value)))
                }
                active.links = try r.strings()
                return .active(active)
            case 2: return .stopped(owner: try r.string())
            case let tag: throw DecodeFailure.malformed("timer state tag \(tag)")
            }
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
        w.varint(UInt64(state.pushTargets.count))
        for (device, target) in state.pushTargets.sorted(by: { $0.key < $1.key }) {
            w.string(device)
            w.u8(target.provider.rawValue)
            w.string(target.token)
            w.u8(target.app ? 1 : 0)
        }
        w.optionalString(state.timeZone)
        w.varint(UInt64(state.deviceZones.count))
        for (device, zone) in state.deviceZones.sorted(by: { $0.key < $1.key }) {
            w.string(device)
            w.string(zone)
        }
        if let profile = state.profile {
            w.u8(1)
            w.optionalBlob(profile.email?.bytes)
            w.optionalBlob(profile.displayName?.bytes)
            w.stringMap(profile.settings)
        } else {
            w.u8(0)
        }
        EventCodec.encode(state.preferences, into: &w)
        w.u8(state.avatar?.rawValue ?? 0)
        encode(state.account, into: &w)
        return sealed(w)
    }

    static func encode(_ account: AccountState, into w: inout ByteWriter) {
        if let code = account.pendingCode {
            w.u8(1)
            w.blob(code.hash)
            w.blob(code.salt)
            w.signed(code.expiresAt)
        } else {
            w.u8(0)
        }
        w.varint(UInt64(account.failedAttempts))
        w.varint(UInt64(account.sessions.count))
        for session in account.sessions {
            EventCodec.encode(session.grant, into: &w)
            w.optionalBlob(session.previousHash)
        }
        w.u8(account.disabled ? 1 : 0)
    }

    static func account(_ r: inout ByteReader) throws(DecodeFailure) -> AccountState {
        var account = AccountState()
        if try r.u8() == 1 { account.pendingCode = SignInCode(hash: try r.blob(), salt: try r.blob(), expiresAt: try r.signed()) }
        account.failedAttempts = Int(try r.varint())
        for _ in 0..<(try r.varint()) {
            account.sessions.append(AccountState.Session(grant: try EventCodec.grant(&r), previousHash: try r.optionalBlob()))
        }
        account.disabled = try r.u8() == 1
        return account
    }

    static func userState(_ raw: UnsafeRawBufferPointer, at row: @autoclosure () -> String) throws(ViewError) -> UserState {
        try decode(raw, at: row()) { r in
            var state = UserState()
            for _ in 0..<(try r.varint()) {
                let device = try r.string()
                state.connections[device] = .init(connectionID: try r.string(), epoch: try r.varint())
            }
            for _ in 0..<(try r.varint()) {
                let device = try r.string()
                let raw = try r.u8()
                guard let provider = PushProvider(rawValue: raw) else { throw DecodeFailure.malformed("push provider \(raw)") }
                state.pushTargets[device] = PushTarget(provider: provider, token: try r.string(), app: try r.u8() == 1)
            }
            state.timeZone = try r.optionalString()
            for _ in 0..<(try r.varint()) {
                let device = try r.string()
                state.deviceZones[device] = try r.string()
            }
            if try r.u8() == 1 {
                state.profile = Profile(
                    email: try r.optionalBlob().map(Sealed.init), displayName: try r.optionalBlob().map(Sealed.init), settings: try r.stringMap()
                )
            }
            state.preferences = try EventCodec.preferences(&r)
            state.avatar = ImageType(rawValue: try r.u8())
            state.account = try account(&r)
            return state
        }
    }

    static func encode(_ row: TimerViewRow) -> [UInt8] {
        var w = ByteWriter(capacity: 192)
        w.u8(version)
        snapshot(row.timer, into: &w)
        w.string(row.owner)
        w.strings(row.sharedWith)
        w.u64(row.createdSeq)
        w.u64(row.lastSeq)
        w.u64(UInt64(bitPattern: row.createdAt))
        w.u64(UInt64(bitPattern: row.updatedAt))
        w.string(row.updatedBy.userID)
        w.string(row.updatedBy.deviceID)
        optional(row.completedAt, into: &w)
        return sealed(w)
    }

    static func timerView(_ raw: UnsafeRawBufferPointer, at row: @autoclosure () -> String) throws(ViewError) -> TimerViewRow {
        try decode(raw, at: row()) { r in
            var row = TimerViewRow(
                timer: try snapshot(&r), owner: try r.string(), sharedWith: try r.strings(),
                createdSeq: try r.u64(), lastSeq: try r.u64(),
                createdAt: Int64(bitPattern: try r.u64()), updatedAt: Int64(bitPattern: try r.u64()),
                updatedBy: Actor(userID: try r.string(), deviceID: try r.string())
            )
            row.completedAt = try optional(&r)
            return row
        }
    }

    static func encode(_ row: ConnectionRow) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.u8(version)
        w.string(row.connectionID)
        w.u64(UInt64(bitPattern: row.connectedAt))
        w.u64(row.seq)
        return sealed(w)
    }

    static func connection(_ raw: UnsafeRawBufferPointer, at row: @autoclosure () -> String) throws(ViewError) -> ConnectionRow {
        try decode(raw, at: row()) { r in
            ConnectionRow(connectionID: try r.string(), connectedAt: Int64(bitPattern: try r.u64()), seq: try r.u64())
        }
    }

    static func encode(_ row: NotificationRow) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.u8(version)
        EventCodec.encode(row.notification, into: &w)
        w.signed(row.createdAt)
        w.u8(row.read ? 1 : 0)
        return sealed(w)
    }

    static func notification(_ raw: UnsafeRawBufferPointer, at row: @autoclosure () -> String) throws(ViewError) -> NotificationRow {
        try decode(raw, at: row()) { r in
            NotificationRow(notification: try EventCodec.notification(&r), createdAt: try r.signed(), read: try r.u8() == 1)
        }
    }

    static func encode(_ row: MessageRow) -> [UInt8] {
        var w = ByteWriter(capacity: 96)
        w.u8(version)
        w.string(row.to)
        EventCodec.encode(row.message, into: &w)
        w.signed(row.createdAt)
        w.u8(row.read ? 1 : 0)
        return sealed(w)
    }

    static func message(_ raw: UnsafeRawBufferPointer, at row: @autoclosure () -> String) throws(ViewError) -> MessageRow {
        try decode(raw, at: row()) { r in
            let to = try r.string()
            return MessageRow(message: try EventCodec.message(&r), to: to, createdAt: try r.signed(), read: try r.u8() == 1)
        }
    }

    static func encode(_ row: AvatarRow) -> [UInt8] {
        var w = ByteWriter(capacity: row.avatar.image.bytes.count + 24)
        w.u8(version)
        w.u8(row.avatar.type.rawValue)
        w.blob(row.avatar.image.bytes)
        w.u64(row.seq)
        return sealed(w)
    }

    static func avatar(_ raw: UnsafeRawBufferPointer, at row: @autoclosure () -> String) throws(ViewError) -> AvatarRow {
        try decode(raw, at: row()) { r in
            let rawType = try r.u8()
            guard let type = ImageType(rawValue: rawType) else { throw DecodeFailure.malformed("image type \(rawType)") }
            return AvatarRow(avatar: Avatar(type: type, image: Sealed(try r.blob())), seq: try r.u64())
        }
    }

    static func encode(_ entry: OutboxEntry) -> [UInt8] {
        var w = ByteWriter(capacity: 16)
        w.u8(version)
        w.varint(UInt64(entry.attempt))
        w.signed(entry.notBefore)
        return sealed(w)
    }

    static func outboxEntry(_ raw: UnsafeRawBufferPointer, at row: @autoclosure () -> String) throws(ViewError) -> OutboxEntry {
        try decode(raw, at: row()) { r in OutboxEntry(attempt: Int(truncatingIfNeeded: try r.varint()), notBefore: try r.signed()) }
    }

    /// A snapshot as the log writes it, then its instant end (which rows always spell out).
    private static func snapshot(_ timer: TimerSnapshot, into w: inout ByteWriter) {
        EventCodec.encode(timer, into: &w)
        optional(timer.endsAt, into: &w)
    }

    private static func snapshot(_ r: inout ByteReader) throws(DecodeFailure) -> TimerSnapshot {
        var timer = try EventCodec.timer(&r)
        timer.endsAt = try optional(&r)
        return timer
    }

    private static func optional(_ value: Int64?, into w: inout ByteWriter) {
        if let value { w.u8(1); w.signed(value) } else { w.u8(0) }
    }

    private static func optional(_ r: inout ByteReader) throws(DecodeFailure) -> Int64? {
        try r.u8() == 0 ? nil : try r.signed()
    }

    private static func sealed(_ w: ByteWriter) -> [UInt8] {
        var bytes = w.bytes
        let crc = bytes.withUnsafeBytes { CRC32C.checksum($0) }
        withUnsafeBytes(of: crc.littleEndian) { bytes += $0 }
        return bytes
    }

    /// Decodes the row's payload with `body` once its version and checksum are right.
    private static func decode<T>(_ raw: UnsafeRawBufferPointer, at row: String, _ body: (inout ByteReader) throws -> T) throws(ViewError) -> T {
        guard raw.count >= 5 else { throw ViewError(row: row, reason: "it is \(raw.count) bytes, too short for a row") }
        guard raw[0] == version else { throw ViewError(row: row, reason: "its version is \(raw[0]), this build writes \(version)") }
        let payload = UnsafeRawBufferPointer(rebasing: raw[..<(raw.count - 4)])
        let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: raw.count - 4, as: UInt32.self))
        guard stored == CRC32C.checksum(payload) else { throw ViewError(row: row, reason: "checksum mismatch (the row is damaged)") }
        var r = ByteReader(UnsafeRawBufferPointer(rebasing: payload[1...]))
        do { return try body(&r) } catch { throw ViewError(row: row, reason: "\(error)") }
    }
}

/// A view row that cannot be read. Views are derived data: `bubble-replay` rebuilds them.
public struct ViewError: Error, Equatable, CustomStringConvertible {
    /// `table[key]`.
    public let row: String
    public let reason: String
    public var description: String { "view row \(row) is unreadable: \(reason); run bubble-replay to rebuild the views" }
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

/// Inbox keys `user NUL seq (u64 BE)`: a user's entries are one range, oldest first.
enum InboxKey {
    static func make(_ user: UserID, _ id: UInt64) -> [UInt8] { CompositeKey.prefix(user) + BigEndianKey.encode(id) }

    static func split(_ raw: UnsafeRawBufferPointer) -> (UserID, UInt64)? {
        guard raw.count > 9, raw[raw.count - 9] == 0, let id = BigEndianKey.decode(UnsafeRawBufferPointer(rebasing: raw[(raw.count - 8)...])) else { return nil }
        return (String(decoding: raw[..<(raw.count - 9)], as: UTF8.self), id)
    }
}
