internal import Foundation
public import TimerDomain
public import EventLog
public import BubbleCore

/// `--json` output: plain dictionaries serialised with sorted keys, one document per command.
public enum JSONOutput {
    public static func print(_ value: Any) {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data("null".utf8)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    /// One line per document, for `tail -f --json`.
    public static func printLine(_ value: Any) {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("null".utf8)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    /// How a sealed personal field is shown: never its text (tool output ends up in
    /// terminals and tickets), only whether its owner's key still exists.
    public typealias SealedField = @Sendable (UserID, Sealed) -> String
    public static let sealedUnknown: SealedField = { _, _ in "(sealed)" }

    /// `(sealed)` while the owner's key exists, `(erased)` once it is deleted.
    public static func sealedFields(of inspector: Inspector) -> SealedField {
        { user, value in inspector.personal(user, value) == .erased ? "(erased)" : "(sealed)" }
    }

    public static func envelope(_ e: EventEnvelope, sealed: SealedField = sealedUnknown) -> [String: Any] {
        var out: [String: Any] = [
            "seq": e.seq, "time": ISO8601.format(milliseconds: e.timestamp), "timestamp": e.timestamp,
            "type": e.event.name, "stream": e.stream.description,
            "user": e.actor.userID, "device": e.actor.deviceID, "data": data(e.event, sealed: sealed),
            "audience": e.audience, "lastInCommand": e.lastInCommand,
        ]
        if let id = e.commandID { out["commandId"] = id }
        return out
    }

    public static func timer(_ t: TimerSnapshot) -> [String: Any] {
        var out: [String: Any] = ["id": t.id, "name": t.name, "totalDuration": t.totalDuration, "tags": t.tags]
        if let r = t.remainingDuration { out["remainingDuration"] = r }
        if let e = t.end { out["timerEnd"] = e }
        if let at = t.endsAt { out["endsAt"] = ISO8601.format(milliseconds: at) }
        return out
    }

    static func countdown(_ c: Countdown) -> [String: Any] {
        switch c {
        case .running(let end): ["state": "running", "endsAt": ISO8601.format(milliseconds: end)]
        case .paused(let remaining): ["state": "paused", "remaining": ISO8601.formatDuration(milliseconds: remaining)]
        case .completed(let ended): ["state": "completed", "endedAt": ISO8601.format(milliseconds: ended)]
        }
    }

    static func firing(_ due: Int64, _ fired: Int64, _ kind: FiringKind) -> [String: Any] {
        ["dueAt": ISO8601.format(milliseconds: due), "firedAt": ISO8601.format(milliseconds: fired), "lateMs": fired - due, "kind": kind.name]
    }

    static func trigger(_ t: Reminder.Trigger) -> [String: Any] {
        switch t {
        case .before(let lead): ["before": ISO8601.formatDuration(milliseconds: lead)]
        case .at(let at): ["at": ISO8601.format(milliseconds: at)]
        }
    }

    /// `4m12.345s`, `-3.2s`, `1h0m0s`: durations for people.
    public static func readable(milliseconds ms: Int64) -> String {
        let sign = ms < 0 ? "-" : ""
        let m = ms.magnitude
        let h = m / 3_600_000, min = m / 60_000 % 60, s = m / 1000 % 60, frac = m % 1000
        var out = sign
        if h > 0 { out += "\(h)h" }
        if h > 0 || min > 0 { out += "\(min)m" }
        out += "\(s)"
        if frac > 0 {
            var f = String(frac)
            f = String(repeating: "0", count: 3 - f.count) + f
            while f.hasSuffix("0") { f.removeLast() }
            out += "." + f
        }
        return out + "s"
    }

    public static func data(_ event: Event, sealed: SealedField = sealedUnknown) -> [String: Any] {
        func field(_ u: UserID, _ value: Sealed?) -> Any { value.map { sealed(u, $0) } ?? NSNull() }
        return switch event {
        case .timerCreated(let t, let owner): ["timer": timer(t), "owner": owner]
        case .timerUpdated(let t): ["timer": timer(t)]
        case .timerStopped(let id, let owner, let shared): ["timerId": id, "owner": owner, "sharedWith": shared]
        case .timerShared(let id, let user): ["timerId": id, "user": user]
        case .timerUnshared(let id, let user): ["timerId": id, "user": user]
        case .deviceConnected(let u, let d, let c, let epoch): ["user": u, "device": d, "connectionId": c, "epoch": epoch]
        case .deviceDisconnected(let u, let d, let c, let reason): ["user": u, "device": d, "connectionId": c, "reason": reason]
        case .pushTokenRegistered(let u, let d, _): ["user": u, "device": d]
        case .pushTokenRemoved(let u, let d): ["user": u, "device": d]
        case .serverStarted(let version): ["version": version]
        case .logSalvaged(let seq, let reason): ["skippedSeq": seq, "reason": reason]
        case .timerCountdown(let id, let action, let result):
            ["timerId": id, "action": action.name, "result": countdown(result)].merging(amount(action)) { a, _ in a }
        case .timerCompleted(let id, let due, let fired, let kind): ["timerId": id].merging(firing(due, fired, kind)) { a, _ in a }
        case .timerEndResolved(let id, let at): ["timerId": id, "endsAt": ISO8601.format(milliseconds: at)]
        case .reminderSet(let id, let r): ["timerId": id, "reminderId": r.id, "user": r.user].merging(trigger(r.trigger)) { a, _ in a }
        case .reminderCancelled(let id, let r, let user): ["timerId": id, "reminderId": r, "user": user]
        case .reminderFired(let id, let r, let user, let due, let fired, let kind):
            ["timerId": id, "reminderId": r, "user": user].merging(firing(due, fired, kind)) { a, _ in a }
        case .userTimeZoneSet(let u, let zone): ["user": u, "timeZone": zone ?? NSNull()]
        case .deviceTimeZoneSet(let u, let d, let zone): ["user": u, "device": d, "timeZone": zone]
        case .schedulerEnabled(let since): ["since": ISO8601.format(milliseconds: since)]
        case .userRegistered(let u, let email, let name): ["user": u, "email": field(u, email), "displayName": field(u, name)]
        case .userEmailSet(let u, let email): ["user": u, "email": field(u, email)]
        case .userDisplayNameSet(let u, let name): ["user": u, "displayName": field(u, name)]
        case .userSettingsSet(let u, let settings): ["user": u, "settings": settings]
        case .userErased(let u): ["user": u]
        case .pushDeviceRegistered(let u, let d, let target): ["user": u, "device": d, "provider": target.provider.name]
        case .notificationCreated(let u, let n):
            ["user": u, "kind": n.kind.name, "timerId": n.timer, "timerName": n.timerName, "from": n.from ?? NSNull(), "silenced": n.silenced?.name ?? NSNull()]
        case .userAvatarSet(let u, let a): ["user": u, "type": a?.type.mimeType ?? NSNull(), "image": a.map { field(u, $0.image) } ?? NSNull(), "bytes": a?.image.bytes.count ?? 0]
        case .messageSent(let u, let m):
            ["user": u, "from": m.from, "timerId": m.timer ?? NSNull(), "content": field(m.from, m.content), "silenced": m.silenced?.name ?? NSNull()]
        case .notificationPreferencesSet(let u, let p):
            ["user": u, "muted": p.muted.map(\.name).sorted(), "quietHours": p.quietHours.map { ["start": $0.start, "end": $0.end] } ?? NSNull()]
        case .notificationsRead(let u, let ids): ["user": u, "ids": ids]
        case .pushDelivered(let u, let n, let d): ["user": u, "notification": n, "device": d]
        case .pushFailed(let u, let n, let d, let attempt, let retryAt, let reason):
            ["user": u, "notification": n, "device": d, "attempt": attempt, "retryAt": ISO8601.format(milliseconds: retryAt), "reason": reason]
        case .pushAbandoned(let u, let n, let d, let reason): ["user": u, "notification": n, "device": d, "reason": reason]
        // Hashes are never shown: they are of no use to a reader and of some to a guesser.
        case .signInCodeIssued(let u, let code): ["user": u, "expiresAt": ISO8601.format(milliseconds: code.expiresAt)]
        case .signInFailed(let u): ["user": u]
        case .sessionStarted(let u, let g), .sessionRefreshed(let u, let g):
            ["user": u, "session": g.id, "generation": g.generation, "device": g.device, "expiresAt": ISO8601.format(milliseconds: g.expiresAt)]
        case .sessionsEnded(let u, let ids, let reason): ["user": u, "sessions": ids, "reason": reason]
        case .userDisabled(let u, let reason): ["user": u, "reason": reason]
        case .userEnabled(let u): ["user": u]
        case .publicLinkCreated(let id, let token), .publicLinkRevoked(let id, let token): ["timerId": id, "link": String(token.prefix(6)) + "…"]
        }
    }

    private static func amount(_ action: CountdownAction) -> [String: Any] {
        switch action {
        case .add(let ms): ["duration": ISO8601.formatDuration(milliseconds: ms)]
        case .set(let ms): ["remaining": ISO8601.formatDuration(milliseconds: ms)]
        default: [:]
        }
    }

    /// What a time event did, in words, for history: the field changes alone do not say
    /// how much was left or how late something fired. `nil` for other events.
    public static func narrative(_ event: Event) -> String? {
        switch event {
        case .timerCountdown, .timerCompleted, .timerEndResolved, .reminderSet, .reminderCancelled, .reminderFired: summary(event)
        default: nil
        }
    }

    /// A short human summary of an event for tables.
    public static func summary(_ event: Event, sealed: SealedField = sealedUnknown) -> String {
        func field(_ u: UserID, _ value: Sealed?) -> String { value.map { sealed(u, $0) } ?? "-" }
        return switch event {
        case .timerCreated(let t, let owner): "\"\(t.name)\" \(t.totalDuration) owner=\(owner)"
        case .timerUpdated(let t): "\"\(t.name)\" " + (t.end.map { "end=\($0)" } ?? "remaining=\(t.remainingDuration ?? "-")")
        case .timerStopped(let id, _, _): id
        case .timerShared(let id, let user): "\(id) +\(user)"
        case .timerUnshared(let id, let user): "\(id) -\(user)"
        case .deviceConnected(let u, let d, let c, _): "\(u)/\(d) conn=\(c)"
        case .deviceDisconnected(let u, let d, _, let reason): "\(u)/\(d) (\(reason))"
        case .pushTokenRegistered(let u, let d, _): "\(u)/\(d)"
        case .pushTokenRemoved(let u, let d): "\(u)/\(d)"
        case .serverStarted(let v): "version \(v)"
        case .logSalvaged(let seq, let reason): "record \(seq) lost: \(reason)"
        case .timerCountdown(_, let action, let result):
            switch (action, result) {
            case (.add(let ms), _): "\(ms < 0 ? "took away" : "added") \(readable(milliseconds: ms < 0 ? -ms : ms)), " + left(result)
            case (.set(let ms), _): "set \(readable(milliseconds: ms)) left, " + left(result)
            default: left(result)
            }
        case .timerCompleted(_, let due, let fired, let kind):
            "ended at \(ISO8601.format(milliseconds: due))" + (kind == .silent ? ", before the server kept time (silent)" : ", fired \(readable(milliseconds: fired - due)) later" + (kind == .late ? " (late: the server was down)" : ""))
        case .timerEndResolved(_, let at): "end resolved to \(ISO8601.format(milliseconds: at))"
        case .reminderSet(_, let r):
            switch r.trigger {
            case .before(let lead): "reminder \(r.id) for \(r.user), \(readable(milliseconds: lead)) before the end"
            case .at(let at): "reminder \(r.id) for \(r.user) at \(ISO8601.format(milliseconds: at))"
            }
        case .reminderCancelled(_, let r, let user): "reminder \(r) of \(user) cancelled"
        case .reminderFired(_, let r, let user, let due, let fired, let kind):
            "reminder \(r) for \(user) due \(ISO8601.format(milliseconds: due)), fired \(readable(milliseconds: fired - due)) later" + (kind == .onTime ? "" : " (\(kind.name))")
        case .userTimeZoneSet(let u, let zone): "\(u) zone=\(zone ?? "(cleared)")"
        case .deviceTimeZoneSet(let u, let d, let zone): "\(u)/\(d) zone=\(zone)"
        case .schedulerEnabled(let since): "keeps time since \(ISO8601.format(milliseconds: since))"
        case .userRegistered(let u, let email, let name): "\(u) email=\(field(u, email)) name=\(field(u, name))"
        case .userEmailSet(let u, let email): "\(u) email=\(field(u, email))"
        case .userDisplayNameSet(let u, let name): "\(u) name=\(field(u, name))"
        case .userSettingsSet(let u, let settings): "\(u) \(settings.count) settings"
        case .userErased(let u): "\(u) erased"
        case .pushDeviceRegistered(let u, let d, let target): "\(u)/\(d) \(target.provider.name)"
        case .notificationCreated(let u, let n):
            "\(n.kind.name) for \(u): \(n.timer)" + (n.from.map { " by \($0)" } ?? "") + (n.silenced.map { " (not pushed: \($0.name))" } ?? "")
        case .userAvatarSet(let u, let a): "\(u) " + (a.map { "avatar \($0.type.mimeType) \(field(u, $0.image))" } ?? "avatar removed")
        case .messageSent(let u, let m): "from \(m.from) to \(u)" + (m.timer.map { " about \($0)" } ?? "") + ": \(field(m.from, m.content))"
        case .notificationPreferencesSet(let u, let p):
            "\(u) muted \(p.muted.map(\.name).sorted().joined(separator: ",")) quiet \(p.quietHours.map { "\($0.start / 60):\($0.start % 60)-\($0.end / 60):\($0.end % 60)" } ?? "none")"
        case .notificationsRead(let u, let ids): "\(u) read \(ids.count)"
        case .pushDelivered(let u, let n, let d): "notification \(n) to \(u)/\(d)"
        case .pushFailed(let u, let n, let d, let attempt, let retryAt, let reason):
            "notification \(n) to \(u)/\(d) attempt \(attempt) failed (\(reason)); retry \(ISO8601.format(milliseconds: retryAt))"
        case .pushAbandoned(let u, let n, let d, let reason): "notification \(n) to \(u)/\(d) abandoned: \(reason)"
        case .signInCodeIssued(let u, let code): "\(u) sign-in code sent, valid until \(ISO8601.format(milliseconds: code.expiresAt))"
        case .signInFailed(let u): "\(u) wrong sign-in code"
        case .sessionStarted(let u, let g): "\(u)/\(g.device) signed in, session \(g.id)"
        case .sessionRefreshed(let u, let g): "\(u) session \(g.id) refreshed (generation \(g.generation))"
        case .sessionsEnded(let u, let ids, let reason): "\(u) sessions \(ids.joined(separator: ", ")) ended: \(reason)"
        case .userDisabled(let u, let reason): "\(u) disabled" + (reason.isEmpty ? "" : ": \(reason)")
        case .userEnabled(let u): "\(u) enabled"
        case .publicLinkCreated(let id, let token): "\(id) public link \(token.prefix(6))… created"
        case .publicLinkRevoked(let id, let token): "\(id) public link \(token.prefix(6))… revoked"
        }
    }

    private static func left(_ c: Countdown) -> String {
        switch c {
        case .running(let end): "running, ends \(ISO8601.format(milliseconds: end))"
        case .paused(let remaining): "\(readable(milliseconds: remaining)) left"
        case .completed(let ended): "completed at \(ISO8601.format(milliseconds: ended))"
        }
    }
}

/// `--until` / `at` arguments: a seq (digits) or an ISO-8601 time (no offset means UTC).
public enum BoundArgument {
    public static func parse(_ text: String) -> ReplayBound? {
        if let seq = UInt64(text) { return .seq(seq) }
        if let ms = ISO8601.instantMilliseconds(text) { return .time(ms) }
        if let ms = ISO8601.instantMilliseconds(text + "Z") { return .time(ms) }
        return nil
    }
}
