public import TimerDomain

/// One byte tag per ``Event`` case, then its fields in declaration order. Tags are never
/// reused: a new event gets a new tag, so old logs stay readable.
public enum EventCodec {
    enum Tag: UInt8 {
        case timerCreated = 1, timerUpdated, timerStopped, timerShared, timerUnshared
        case deviceConnected, deviceDisconnected, pushTokenRegistered, pushTokenRemoved, serverStarted
        case logSalvaged
    }

    static func encode(_ event: Event, into w: inout ByteWriter) {
        switch event {
        case .timerCreated(let timer, let owner):
            w.u8(Tag.timerCreated.rawValue)
            encode(timer, into: &w)
            w.string(owner)
        case .timerUpdated(let timer):
            w.u8(Tag.timerUpdated.rawValue)
            encode(timer, into: &w)
        case .timerStopped(let id, let owner, let sharedWith):
            w.u8(Tag.timerStopped.rawValue)
            w.string(id)
            w.string(owner)
            w.strings(sharedWith)
        case .timerShared(let id, let user):
            w.u8(Tag.timerShared.rawValue)
            w.string(id)
            w.string(user)
        case .timerUnshared(let id, let user):
            w.u8(Tag.timerUnshared.rawValue)
            w.string(id)
            w.string(user)
        case .deviceConnected(let user, let device, let connection, let epoch):
            w.u8(Tag.deviceConnected.rawValue)
            w.string(user)
            w.string(device)
            w.string(connection)
            w.varint(epoch)
        case .deviceDisconnected(let user, let device, let connection, let reason):
            w.u8(Tag.deviceDisconnected.rawValue)
            w.string(user)
            w.string(device)
            w.string(connection)
            w.string(reason)
        case .pushTokenRegistered(let user, let device, let token):
            w.u8(Tag.pushTokenRegistered.rawValue)
            w.string(user)
            w.string(device)
            w.string(token)
        case .pushTokenRemoved(let user, let device):
            w.u8(Tag.pushTokenRemoved.rawValue)
            w.string(user)
            w.string(device)
        case .serverStarted(let version):
            w.u8(Tag.serverStarted.rawValue)
            w.string(version)
        case .logSalvaged(let seq, let reason):
            w.u8(Tag.logSalvaged.rawValue)
            w.varint(seq)
            w.string(reason)
        }
    }

    static func decode(_ r: inout ByteReader) throws(DecodeFailure) -> Event {
        let raw = try r.u8()
        guard let tag = Tag(rawValue: raw) else { throw .malformed("unknown event type \(raw)") }
        switch tag {
        case .timerCreated:
            return .timerCreated(try timer(&r), owner: try r.string())
        case .timerUpdated:
            return .timerUpdated(try timer(&r))
        case .timerStopped:
            return .timerStopped(try r.string(), owner: try r.string(), sharedWith: try r.strings())
        case .timerShared:
            return .timerShared(try r.string(), with: try r.string())
        case .timerUnshared:
            return .timerUnshared(try r.string(), user: try r.string())
        case .deviceConnected:
            return .deviceConnected(try r.string(), device: try r.string(), connectionID: try r.string(), epoch: try r.varint())
        case .deviceDisconnected:
            return .deviceDisconnected(try r.string(), device: try r.string(), connectionID: try r.string(), reason: try r.string())
        case .pushTokenRegistered:
            return .pushTokenRegistered(try r.string(), device: try r.string(), token: try r.string())
        case .pushTokenRemoved:
            return .pushTokenRemoved(try r.string(), device: try r.string())
        case .serverStarted:
            return .serverStarted(version: try r.string())
        case .logSalvaged:
            return .logSalvaged(skippedSeq: try r.varint(), reason: try r.string())
        }
    }

    public static func encode(_ timer: TimerSnapshot, into w: inout ByteWriter) {
        w.string(timer.id)
        w.string(timer.name)
        w.string(timer.totalDuration)
        w.optionalString(timer.remainingDuration)
        w.optionalString(timer.end)
        w.strings(timer.tags)
    }

    public static func timer(_ r: inout ByteReader) throws(DecodeFailure) -> TimerSnapshot {
        TimerSnapshot(
            id: try r.string(), name: try r.string(), totalDuration: try r.string(),
            remainingDuration: try r.optionalString(), end: try r.optionalString(), tags: try r.strings()
        )
    }
}
