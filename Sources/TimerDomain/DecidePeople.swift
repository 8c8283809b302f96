/// Decisions about people: the directory entry, devices, the inbox, erasure and push outcomes.
/// Personal text is sealed here with `context.sealer`; nothing here can read it back.
extension Decider {
    static func decidePeople(_ command: DeviceCommand, state: UserState, context: DecisionContext) throws(Rejection) -> [Event] {
        let user = context.actor.userID
        let limits = context.limits
        switch command {
        case .register(let email, let name):
            // Claims come from the identity provider, which the user cannot fix: a name longer
            // than ours is cut, an email that cannot be one of ours (empty, over-long) left out.
            let usable = email.flatMap { (try? Validation.text($0, field: "email", max: limits.maxEmailLength, allowEmpty: false)) == nil ? nil : $0 }
            let sealedEmail = try usable.map { text throws(Rejection) in try seal(text, context) }
            guard let profile = state.profile else {
                let trimmed = name.map { String($0.prefix(limits.maxDisplayNameLength)) }.flatMap { $0.isEmpty ? nil : $0 }
                return [.userRegistered(user, email: sealedEmail, displayName: try trimmed.map { t throws(Rejection) in try seal(t, context) })]
            }
            // Only a token that names an email can change it (a token without one keeps it).
            guard let sealedEmail, profile.email != sealedEmail else { return [] }
            return [.userEmailSet(user, sealedEmail)]

        case .updateProfile(let patch):
            guard let profile = state.profile else { throw .invalid(field: "user", reason: "is not registered") }
            var events: [Event] = []
            if let change = patch.displayName {
                let sealed: Sealed?
                if let name = change {
                    try Validation.text(name, field: "displayName", max: limits.maxDisplayNameLength, allowEmpty: false)
                    sealed = try seal(name, context)
                } else {
                    sealed = nil
                }
                if sealed != profile.displayName { events.append(.userDisplayNameSet(user, sealed)) }
            }
            if !patch.settings.isEmpty {
                var settings = profile.settings
                for (key, value) in patch.settings.sorted(by: { $0.key < $1.key }) {
                    try Validation.text(key, field: "settings", max: 64, allowEmpty: false)
                    if let value {
                        try Validation.text(value, field: "settings.\(key)", max: limits.maxSettingLength, allowEmpty: true)
                        settings[key] = value
                    } else {
                        settings[key] = nil
                    }
                }
                guard settings.count <= limits.maxSettings else {
                    throw .invalid(field: "settings", reason: "at most \(limits.maxSettings) settings, got \(settings.count)")
                }
                if settings != profile.settings { events.append(.userSettingsSet(user, settings)) }
            }
            return events

        case .registerDevice(let device, let provider, let token):
            try Validation.identifier(device, field: "deviceId", limits: limits)
            try Validation.text(token, field: "token", max: limits.maxPushTokenLength, allowEmpty: false)
            let target = PushTarget(provider: provider, token: token, app: false)
            return state.pushTargets[device] == target ? [] : [.pushDeviceRegistered(user, device: device, target)]

        case .setAvatar(nil):
            return state.avatar == nil ? [] : [.userAvatarSet(user, nil)]
        case .setAvatar(let image?):
            guard state.profile != nil else { throw .invalid(field: "user", reason: "is not registered") }
            guard image.count <= limits.maxAvatarBytes else {
                throw .invalid(field: "imageData", reason: "is \(image.count) bytes; the limit is \(limits.maxAvatarBytes)")
            }
            guard let type = ImageType.sniff(image) else { throw .invalid(field: "imageData", reason: "is not a PNG, JPEG, GIF or WebP image") }
            guard let sealer = context.sealer else { throw .invalid(field: "user", reason: "personal data cannot be stored without the user's key") }
            return [.userAvatarSet(user, Avatar(type: type, image: sealer.seal(image)))]

        case .setNotificationPreferences(let preferences):
            if let quiet = preferences.quietHours {
                guard (0..<1440).contains(quiet.start), (0..<1440).contains(quiet.end) else {
                    throw .invalid(field: "quietHours", reason: "start and end are times of day, 00:00 to 23:59")
                }
            }
            return state.preferences == preferences ? [] : [.notificationPreferencesSet(user, preferences)]

        case .readNotifications(let ids, let unread):
            let read = (ids.map(Set.init) ?? unread).intersection(unread).sorted()
            return read.isEmpty ? [] : [.notificationsRead(user, ids: read)]

        case .erase(let scope):
            // Owned timers stop (their users are told), shares are left, devices and
            // tokens dropped, open connections ended; last, the profile itself.
            var events: [Event] = []
            for id in scope.owned.keys.sorted() {
                let timer = scope.owned[id]!
                events.append(.timerStopped(id, owner: user, sharedWith: timer.sharedWith.sorted()))
            }
            for id in scope.shared.sorted() { events.append(.timerUnshared(id, user: user)) }
            for device in state.pushTargets.keys.sorted() { events.append(.pushTokenRemoved(user, device: device)) }
            for device in state.connections.keys.sorted() {
                let connection = state.connections[device]!
                events.append(.deviceDisconnected(user, device: device, connectionID: connection.connectionID, reason: "account deleted"))
            }
            events.append(.userErased(user))
            return events

        default:
            return []
        }
    }

    /// A push outcome for `user`'s outbox entry (`context.pushAttempt`, `nil` when it has
    /// none left: a late or repeated report changes nothing).
    public static func decide(_ outcome: PushOutcome, for user: UserID, state: UserState, context: DecisionContext) -> [Event] {
        guard let attempt = context.pushAttempt else { return [] }
        switch outcome {
        case .delivered(let notification, let device):
            return [.pushDelivered(user, notification: notification, device: device)]
        case .failed(let notification, let device, let reason, let retryAt):
            let next = attempt + 1
            guard next < context.limits.maxPushAttempts else {
                return [.pushAbandoned(user, notification: notification, device: device, reason: "gave up after \(next) attempts: \(reason)")]
            }
            return [.pushFailed(user, notification: notification, device: device, attempt: next, retryAt: retryAt, reason: reason)]
        case .undeliverable(let notification, let device, let reason, let dropToken):
            var events: [Event] = [.pushAbandoned(user, notification: notification, device: device, reason: reason)]
            if dropToken, state.pushTargets[device] != nil { events.append(.pushTokenRemoved(user, device: device)) }
            return events
        }
    }

    /// One `message_sent` per recipient, in id order; the text sealed under the sender's key.
    public static func decide(_ request: MessageRequest, context: DecisionContext) throws(Rejection) -> [Event] {
        let sender = context.actor.userID
        try Validation.text(request.content, field: "content", max: context.limits.maxMessageLength, allowEmpty: false)
        let recipients = Set(request.to).subtracting([sender]).sorted()
        guard !recipients.isEmpty else { throw .invalid(field: request.timer == nil ? "to" : "timerId", reason: "names nobody but you") }
        for user in recipients {
            try Validation.storable(user, field: "to", limits: context.limits)
            guard request.peers.contains(user) else { throw .notAPeer(user) }
        }
        let sealed = try seal(request.content, context)
        return recipients.map { .messageSent($0, Message(from: sender, timer: request.timer, content: sealed)) }
    }

    private static func seal(_ text: String, _ context: DecisionContext) throws(Rejection) -> Sealed {
        guard let sealer = context.sealer else { throw .invalid(field: "user", reason: "personal data cannot be stored without the user's key") }
        return sealer.seal(text)
    }
}
