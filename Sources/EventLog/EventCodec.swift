public import TimerDomain

/// One byte tag per ``Event`` case, then its fields in declaration order. Tags are never
/// reused: a new event gets a new tag, so old logs stay readable.
public enum EventCodec {
    enum Tag: UInt8 {
        case timerCreated = 1, timerUpdated, timerStopped, timerShared, timerUnshared
        case deviceConnected, deviceDisconnected, pushTokenRegistered, pushTokenRemoved, serverStarted
        case logSalvaged
        /// Creates and updates whose local end the server resolved: the snapshot, then the instant.
        case timerCreatedResolved, timerUpdatedResolved
        case timerStarted, timerPaused, timerResumed, timerReset, timerTimeAdded, timerRemainingSet
        case timerCompleted, timerEndResolved, reminderSet, reminderCancelled, reminderFired
        case userTimeZoneSet, deviceTimeZoneSet, schedulerEnabled
        case userRegistered, userEmailSet, userDisplayNameSet, userSettingsSet, userErased
        case pushDeviceRegistered, notificationCreated, notificationsRead, pushDelivered, pushFailed, pushAbandoned
        case notificationPreferencesSet, messageSent, userAvatarSet
        case signInCodeIssued, signInFailed, sessionStarted, sessionRefreshed, sessionsEnded, userDisabled, userEnabled
        case publicLinkCreated, publicLinkRevoked
    }

    static func encode(_ event: Event, into w: inout ByteWriter) {
        switch event {
        case .timerCreated(let timer, let owner):
            // The older tag whenever the end's string says all (records stay as they were).
            let resolved = isResolved(timer)
            w.u8(resolved ? Tag.timerCreatedResolved.rawValue : Tag.timerCreated.rawValue)
            encode(timer, into: &w)
            w.string(owner)
            if resolved { w.signed(timer.endsAt ?? 0) }
        case .timerUpdated(let timer):
            let resolved = isResolved(timer)
            w.u8(resolved ? Tag.timerUpdatedResolved.rawValue : Tag.timerUpdated.rawValue)
            encode(timer, into: &w)
            if resolved { w.signed(timer.endsAt ?? 0) }
        case .timerCountdown(let id, let action, let result):
            let tag: Tag = switch action {
            case .start: .timerStarted
            case .pause: .timerPaused
            case .resume: .timerResumed
            case .reset: .timerReset
            case .add: .timerTimeAdded
            case .set: .timerRemainingSet
            }
            w.u8(tag.rawValue)
            w.string(id)
            switch action {
            case .add(let amount), .set(let amount): w.signed(amount)
            default: break
            }
            switch result {
            case .running(let end): w.u8(0); w.signed(end)
            case .paused(let remaining): w.u8(1); w.signed(remaining)
            case .completed(let ended): w.u8(2); w.signed(ended)
            }
        case .timerCompleted(let id, let dueAt, let firedAt, let kind):
            w.u8(Tag.timerCompleted.rawValue)
            w.string(id)
            w.signed(dueAt)
            w.signed(firedAt)
            w.u8(kind.rawValue)
        case .timerEndResolved(let id, let endsAt):
            w.u8(Tag.timerEndResolved.rawValue)
            w.string(id)
            w.signed(endsAt)
        case .reminderSet(let id, let reminder):
            w.u8(Tag.reminderSet.rawValue)
            w.string(id)
            w.string(reminder.id)
            w.string(reminder.user)
            switch reminder.trigger {
            case .before(let lead): w.u8(0); w.signed(lead)
            case .at(let instant): w.u8(1); w.signed(instant)
            }
        case .reminderCancelled(let id, let reminder, let user):
            w.u8(Tag.reminderCancelled.rawValue)
            w.string(id)
            w.string(reminder)
            w.string(user)
        case .reminderFired(let id, let reminder, let user, let dueAt, let firedAt, let kind):
            w.u8(Tag.reminderFired.rawValue)
            w.string(id)
            w.string(reminder)
            w.string(user)
            w.signed(dueAt)
            w.signed(firedAt)
            w.u8(kind.rawValue)
        case .userTimeZoneSet(let user, let zone):
            w.u8(Tag.userTimeZoneSet.rawValue)
            w.string(user)
            w.optionalString(zone)
        case .deviceTimeZoneSet(let user, let device, let zone):
            w.u8(Tag.deviceTimeZoneSet.rawValue)
            w.string(user)
            w.string(device)
            w.string(zone)
        case .schedulerEnabled(let since):
            w.u8(Tag.schedulerEnabled.rawValue)
            w.signed(since)
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
        case .userRegistered(let user, let email, let name):
            w.u8(Tag.userRegistered.rawValue)
            w.string(user)
            w.optionalBlob(email?.bytes)
            w.optionalBlob(name?.bytes)
        case .userEmailSet(let user, let email):
            w.u8(Tag.userEmailSet.rawValue)
            w.string(user)
            w.optionalBlob(email?.bytes)
        case .userDisplayNameSet(let user, let name):
            w.u8(Tag.userDisplayNameSet.rawValue)
            w.string(user)
            w.optionalBlob(name?.bytes)
        case .userSettingsSet(let user, let settings):
            w.u8(Tag.userSettingsSet.rawValue)
            w.string(user)
            w.stringMap(settings)
        case .userErased(let user):
            w.u8(Tag.userErased.rawValue)
            w.string(user)
        case .pushDeviceRegistered(let user, let device, let target):
            w.u8(Tag.pushDeviceRegistered.rawValue)
            w.string(user)
            w.string(device)
            w.u8(target.provider.rawValue)
            w.string(target.token)
            w.u8(target.app ? 1 : 0)
        case .notificationCreated(let user, let n):
            w.u8(Tag.notificationCreated.rawValue)
            w.string(user)
            encode(n, into: &w)
        case .userAvatarSet(let user, let avatar):
            w.u8(Tag.userAvatarSet.rawValue)
            w.string(user)
            w.u8(avatar?.type.rawValue ?? 0)
            if let avatar { w.blob(avatar.image.bytes) }
        case .messageSent(let user, let m):
            w.u8(Tag.messageSent.rawValue)
            w.string(user)
            encode(m, into: &w)
        case .notificationPreferencesSet(let user, let preferences):
            w.u8(Tag.notificationPreferencesSet.rawValue)
            w.string(user)
            encode(preferences, into: &w)
        case .notificationsRead(let user, let ids):
            w.u8(Tag.notificationsRead.rawValue)
            w.string(user)
            w.varint(UInt64(ids.count))
            for id in ids { w.varint(id) }
        case .pushDelivered(let user, let notification, let device):
            w.u8(Tag.pushDelivered.rawValue)
            w.string(user)
            w.varint(notification)
            w.string(device)
        case .pushFailed(let user, let notification, let device, let attempt, let retryAt, let reason):
            w.u8(Tag.pushFailed.rawValue)
            w.string(user)
            w.varint(notification)
            w.string(device)
            w.varint(UInt64(attempt))
            w.signed(retryAt)
            w.string(reason)
        case .pushAbandoned(let user, let notification, let device, let reason):
            w.u8(Tag.pushAbandoned.rawValue)
            w.string(user)
            w.varint(notification)
            w.string(device)
            w.string(reason)
        case .signInCodeIssued(let user, let code):
            w.u8(Tag.signInCodeIssued.rawValue)
            w.string(user)
            w.blob(code.hash)
            w.blob(code.salt)
            w.signed(code.expiresAt)
        case .signInFailed(let user):
            w.u8(Tag.signInFailed.rawValue)
            w.string(user)
        case .sessionStarted(let user, let grant):
            w.u8(Tag.sessionStarted.rawValue)
            w.string(user)
            encode(grant, into: &w)
        case .sessionRefreshed(let user, let grant):
            w.u8(Tag.sessionRefreshed.rawValue)
            w.string(user)
            encode(grant, into: &w)
        case .sessionsEnded(let user, let ids, let reason):
            w.u8(Tag.sessionsEnded.rawValue)
            w.string(user)
            w.strings(ids)
            w.string(reason)
        case .userDisabled(let user, let reason):
            w.u8(Tag.userDisabled.rawValue)
            w.string(user)
            w.string(reason)
        case .userEnabled(let user):
            w.u8(Tag.userEnabled.rawValue)
            w.string(user)
        case .publicLinkCreated(let id, let token):
            w.u8(Tag.publicLinkCreated.rawValue)
            w.string(id)
            w.string(token)
        case .publicLinkRevoked(let id, let token):
            w.u8(Tag.publicLinkRevoked.rawValue)
            w.string(id)
            w.string(token)
        }
    }

    public static func encode(_ grant: SessionGrant, into w: inout ByteWriter) {
        w.string(grant.id)
        w.varint(grant.generation)
        w.blob(grant.tokenHash)
        w.signed(grant.expiresAt)
        w.string(grant.device)
    }

    public static func grant(_ r: inout ByteReader) throws(DecodeFailure) -> SessionGrant {
        SessionGrant(id: try r.string(), generation: try r.varint(), tokenHash: try r.blob(), expiresAt: try r.signed(), device: try r.string())
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
        case .timerCreatedResolved:
            var t = try timer(&r)
            let owner = try r.string()
            t.endsAt = try r.signed()
            return .timerCreated(t, owner: owner)
        case .timerUpdatedResolved:
            var t = try timer(&r)
            t.endsAt = try r.signed()
            return .timerUpdated(t)
        case .timerStarted, .timerPaused, .timerResumed, .timerReset, .timerTimeAdded, .timerRemainingSet:
            let id = try r.string()
            let action: CountdownAction = switch tag {
            case .timerStarted: .start
            case .timerPaused: .pause
            case .timerResumed: .resume
            case .timerReset: .reset
            case .timerTimeAdded: .add(try r.signed())
            default: .set(try r.signed())
            }
            let kind = try r.u8()
            let value = try r.signed()
            let result: Countdown
            switch kind {
            case 0: result = .running(endsAt: value)
            case 1: result = .paused(remaining: value)
            case 2: result = .completed(endedAt: value)
            default: throw .malformed("unknown countdown state \(kind)")
            }
            return .timerCountdown(id, action, result: result)
        case .timerCompleted:
            return .timerCompleted(try r.string(), dueAt: try r.signed(), firedAt: try r.signed(), kind: try firingKind(&r))
        case .timerEndResolved:
            return .timerEndResolved(try r.string(), endsAt: try r.signed())
        case .reminderSet:
            let id = try r.string()
            let reminder = try r.string()
            let user = try r.string()
            let kind = try r.u8()
            let value = try r.signed()
            let trigger: Reminder.Trigger
            switch kind {
            case 0: trigger = .before(value)
            case 1: trigger = .at(value)
            default: throw .malformed("unknown reminder trigger \(kind)")
            }
            return .reminderSet(id, Reminder(id: reminder, user: user, trigger: trigger))
        case .reminderCancelled:
            return .reminderCancelled(try r.string(), reminderID: try r.string(), user: try r.string())
        case .reminderFired:
            return .reminderFired(
                try r.string(), reminderID: try r.string(), user: try r.string(),
                dueAt: try r.signed(), firedAt: try r.signed(), kind: try firingKind(&r)
            )
        case .userTimeZoneSet:
            return .userTimeZoneSet(try r.string(), zone: try r.optionalString())
        case .deviceTimeZoneSet:
            return .deviceTimeZoneSet(try r.string(), device: try r.string(), zone: try r.string())
        case .schedulerEnabled:
            return .schedulerEnabled(since: try r.signed())
        case .userRegistered:
            return .userRegistered(try r.string(), email: try r.optionalBlob().map(Sealed.init), displayName: try r.optionalBlob().map(Sealed.init))
        case .userEmailSet:
            return .userEmailSet(try r.string(), try r.optionalBlob().map(Sealed.init))
        case .userDisplayNameSet:
            return .userDisplayNameSet(try r.string(), try r.optionalBlob().map(Sealed.init))
        case .userSettingsSet:
            return .userSettingsSet(try r.string(), try r.stringMap())
        case .userErased:
            return .userErased(try r.string())
        case .pushDeviceRegistered:
            let user = try r.string()
            let device = try r.string()
            let raw = try r.u8()
            guard let provider = PushProvider(rawValue: raw) else { throw .malformed("unknown push provider \(raw)") }
            let token = try r.string()
            return .pushDeviceRegistered(user, device: device, PushTarget(provider: provider, token: token, app: try r.u8() == 1))
        case .notificationCreated:
            return .notificationCreated(try r.string(), try notification(&r))
        case .notificationPreferencesSet:
            return .notificationPreferencesSet(try r.string(), try preferences(&r))
        case .messageSent:
            return .messageSent(try r.string(), try message(&r))
        case .signInCodeIssued:
            let user = try r.string()
            return .signInCodeIssued(user, SignInCode(hash: try r.blob(), salt: try r.blob(), expiresAt: try r.signed()))
        case .signInFailed:
            return .signInFailed(try r.string())
        case .sessionStarted:
            return .sessionStarted(try r.string(), try grant(&r))
        case .sessionRefreshed:
            return .sessionRefreshed(try r.string(), try grant(&r))
        case .sessionsEnded:
            return .sessionsEnded(try r.string(), ids: try r.strings(), reason: try r.string())
        case .userDisabled:
            return .userDisabled(try r.string(), reason: try r.string())
        case .userEnabled:
            return .userEnabled(try r.string())
        case .publicLinkCreated:
            return .publicLinkCreated(try r.string(), token: try r.string())
        case .publicLinkRevoked:
            return .publicLinkRevoked(try r.string(), token: try r.string())
        case .userAvatarSet:
            let user = try r.string()
            let raw = try r.u8()
            guard raw != 0 else { return .userAvatarSet(user, nil) }
            guard let type = ImageType(rawValue: raw) else { throw .malformed("unknown image type \(raw)") }
            return .userAvatarSet(user, Avatar(type: type, image: Sealed(try r.blob())))
        case .notificationsRead:
            let user = try r.string()
            let count = try r.varint()
            guard count <= UInt64(r.bytes.count - r.offset) else { throw .truncated }
            var ids: [UInt64] = []
            for _ in 0..<count { ids.append(try r.varint()) }
            return .notificationsRead(user, ids: ids)
        case .pushDelivered:
            return .pushDelivered(try r.string(), notification: try r.varint(), device: try r.string())
        case .pushFailed:
            return .pushFailed(
                try r.string(), notification: try r.varint(), device: try r.string(),
                attempt: Int(truncatingIfNeeded: try r.varint()), retryAt: try r.signed(), reason: try r.string()
            )
        case .pushAbandoned:
            return .pushAbandoned(try r.string(), notification: try r.varint(), device: try r.string(), reason: try r.string())
        }
    }

    /// Whether the snapshot's instant end is something its end string does not say (a local
    /// end the server resolved): then the record carries it.
    private static func isResolved(_ timer: TimerSnapshot) -> Bool {
        timer.endsAt != timer.end.flatMap(ISO8601.instantMilliseconds)
    }

    private static func firingKind(_ r: inout ByteReader) throws(DecodeFailure) -> FiringKind {
        let raw = try r.u8()
        guard let kind = FiringKind(rawValue: raw) else { throw .malformed("unknown firing kind \(raw)") }
        return kind
    }

    /// `u8 kind, str timer, str timer name, optstr from, u8 silenced` (the view row too).
    public static func encode(_ n: InboxNotification, into w: inout ByteWriter) {
        w.u8(n.kind.rawValue)
        w.string(n.timer)
        w.string(n.timerName)
        w.optionalString(n.from)
        w.u8(n.silenced?.rawValue ?? 0)
    }

    public static func notification(_ r: inout ByteReader) throws(DecodeFailure) -> InboxNotification {
        let raw = try r.u8()
        guard let kind = InboxNotification.Kind(rawValue: raw) else { throw .malformed("unknown notification kind \(raw)") }
        var n = InboxNotification(kind: kind, timer: try r.string(), timerName: try r.string(), from: try r.optionalString())
        n.silenced = try silence(&r)
        return n
    }

    /// `str from, optstr timer, blob content, u8 silenced` (the view row too).
    public static func encode(_ m: Message, into w: inout ByteWriter) {
        w.string(m.from)
        w.optionalString(m.timer)
        w.blob(m.content.bytes)
        w.u8(m.silenced?.rawValue ?? 0)
    }

    public static func message(_ r: inout ByteReader) throws(DecodeFailure) -> Message {
        var m = Message(from: try r.string(), timer: try r.optionalString(), content: Sealed(try r.blob()))
        m.silenced = try silence(&r)
        return m
    }

    private static func silence(_ r: inout ByteReader) throws(DecodeFailure) -> InboxNotification.Silence? {
        let raw = try r.u8()
        guard raw != 0 else { return nil }
        guard let why = InboxNotification.Silence(rawValue: raw) else { throw .malformed("unknown silence \(raw)") }
        return why
    }

    /// `u8 count, that many u8 kinds; u8 0, or 1 then LEB128 start and end minutes`.
    public static func encode(_ p: NotificationPreferences, into w: inout ByteWriter) {
        let kinds = p.muted.map(\.rawValue).sorted()
        w.u8(UInt8(kinds.count))
        for k in kinds { w.u8(k) }
        if let quiet = p.quietHours {
            w.u8(1)
            w.varint(UInt64(quiet.start))
            w.varint(UInt64(quiet.end))
        } else {
            w.u8(0)
        }
    }

    public static func preferences(_ r: inout ByteReader) throws(DecodeFailure) -> NotificationPreferences {
        var p = NotificationPreferences()
        for _ in 0..<(try r.u8()) {
            let raw = try r.u8()
            guard let kind = InboxNotification.Kind(rawValue: raw) else { throw .malformed("unknown notification kind \(raw)") }
            p.muted.insert(kind)
        }
        if try r.u8() == 1 {
            p.quietHours = QuietHours(start: Int(truncatingIfNeeded: try r.varint()), end: Int(truncatingIfNeeded: try r.varint()))
        }
        return p
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
