import Testing
@testable import TimerDomain

func sealed(_ text: String) -> Sealed { Spec.testSealer.seal(text) }

@Suite struct Directory {
    @Test func aUserRegistersOnceWithTheTokensClaimsSealed() {
        Spec.given().when(.register(email: "bob@example.com", displayName: "Bob"), by: bob)
            .then([.userRegistered("bob", email: sealed("bob@example.com"), displayName: sealed("Bob"))])
        let registered = Spec.given(.userRegistered("bob", email: sealed("bob@example.com"), displayName: sealed("Bob")))
        registered.when(.register(email: "bob@example.com", displayName: "Bob"), by: bob).then([])
        // A token without an email keeps the one known; a new one is recorded; the token's
        // name never overwrites the one the user chose.
        registered.when(.register(email: nil, displayName: "Robert"), by: bob).then([])
        registered.when(.register(email: "rob@example.com", displayName: "Robert"), by: bob).then([.userEmailSet("bob", sealed("rob@example.com"))])
    }

    @Test func aTokenNameTooLongIsCutAndAnEmailTooLongLeftOut() {
        var spec = Spec.given()
        spec.limits.maxDisplayNameLength = 3
        spec.when(.register(email: nil, displayName: "Roberto"), by: bob).then([.userRegistered("bob", email: nil, displayName: sealed("Rob"))])
        spec.limits.maxEmailLength = 5
        spec.when(.register(email: "bob@example.com", displayName: nil), by: bob).then([.userRegistered("bob", email: nil, displayName: nil)])
        spec.when(.register(email: "", displayName: nil), by: bob).then([.userRegistered("bob", email: nil, displayName: nil)])
        // A registered user keeps the email they have when a token's cannot be kept.
        var registered = Spec.given(.userRegistered("bob", email: sealed("b@x"), displayName: nil))
        registered.limits.maxEmailLength = 5
        registered.when(.register(email: "bob@example.com", displayName: nil), by: bob).then([])
    }

    @Test func withoutAKeyNothingPersonalIsStored() {
        var spec = Spec.given()
        spec.sealer = nil
        spec.when(.register(email: "bob@example.com", displayName: nil), by: bob).thenRejectsInvalid("user")
        // Nothing personal to seal: registration needs no key.
        spec.when(.register(email: nil, displayName: nil), by: bob).then([.userRegistered("bob", email: nil, displayName: nil)])
    }

    @Test func aProfilePatchMergesNameAndSettings() {
        let spec = Spec.given(.userRegistered("bob", email: nil, displayName: sealed("Bob")), .userSettingsSet("bob", ["a": "1", "b": "2"]))
        spec.when(.updateProfile(ProfilePatch(displayName: .some("Bobby"))), by: bob).then([.userDisplayNameSet("bob", sealed("Bobby"))])
        spec.when(.updateProfile(ProfilePatch(displayName: .some(nil))), by: bob).then([.userDisplayNameSet("bob", nil)])
        spec.when(.updateProfile(ProfilePatch(displayName: .some("Bob"))), by: bob).then([])
        spec.when(.updateProfile(ProfilePatch(settings: ["a": nil, "c": "3"])), by: bob).then([.userSettingsSet("bob", ["b": "2", "c": "3"])])
        spec.when(.updateProfile(ProfilePatch(settings: ["a": "1"])), by: bob).then([])
        spec.when(.updateProfile(ProfilePatch(displayName: .some(""))), by: bob).thenRejectsInvalid("displayName")
        var few = spec
        few.limits.maxSettings = 2
        few.when(.updateProfile(ProfilePatch(settings: ["c": "3"])), by: bob).thenRejectsInvalid("settings")
        Spec.given().when(.updateProfile(ProfilePatch(displayName: .some("X"))), by: bob).thenRejectsInvalid("user")
    }

    @Test func erasureStopsOwnedLeavesSharedDropsDevicesThenErases() {
        let spec = Spec.given(
            .userRegistered("bob", email: sealed("bob@example.com"), displayName: nil),
            .deviceConnected("bob", device: "bob-phone", connectionID: "c1", epoch: 0),
            .pushTokenRegistered("bob", device: "bob-phone", token: "tok"),
            .pushDeviceRegistered("bob", device: "bob-web", PushTarget(provider: .webhook, token: "w", app: false))
        )
        let owned = ActiveTimer(owner: "bob", timer: tea(), sharedWith: ["carol", "alice"])
        let events = spec.when(.erase(ErasureScope(owned: ["t1": owned], shared: ["t9"])), by: bob)
        events.then([
            .timerStopped("t1", owner: "bob", sharedWith: ["alice", "carol"]),
            .timerUnshared("t9", user: "bob"),
            .pushTokenRemoved("bob", device: "bob-phone"),
            .pushTokenRemoved("bob", device: "bob-web"),
            .deviceDisconnected("bob", device: "bob-phone", connectionID: "c1", reason: "account deleted"),
            .userErased("bob"),
        ])
        let after = (try? events.get() ?? []).map { $0.reduce(spec.userState, UserState.evolve) }
        #expect(after == .initial)
    }

    @Test func readingMarksOnlyUnreadEntries() {
        let spec = Spec.given()
        spec.when(.readNotifications(ids: [5, 7, 9], unread: [7, 9, 11]), by: bob).then([.notificationsRead("bob", ids: [7, 9])])
        spec.when(.readNotifications(ids: nil, unread: [11, 7]), by: bob).then([.notificationsRead("bob", ids: [7, 11])])
        spec.when(.readNotifications(ids: [5], unread: [7]), by: bob).then([])
        spec.when(.readNotifications(ids: nil, unread: []), by: bob).then([])
    }

    @Test func pushDevicesOfAnyProviderRegisterOnce() {
        let spec = Spec.given(.pushDeviceRegistered("bob", device: "web", PushTarget(provider: .webhook, token: "w", app: false)))
        spec.when(.registerDevice(device: "web", provider: .webhook, token: "w"), by: bob).then([])
        spec.when(.registerDevice(device: "web", provider: .expo, token: "w"), by: bob)
            .then([.pushDeviceRegistered("bob", device: "web", PushTarget(provider: .expo, token: "w", app: false))])
        spec.when(.registerDevice(device: "web", provider: .expo, token: ""), by: bob).thenRejectsInvalid("token")
        spec.when(.registerDevice(device: "a b", provider: .expo, token: "t"), by: bob).thenRejectsInvalid("deviceId")
    }
}

@Suite struct PushOutcomes {
    let server = Actor(userID: "server", deviceID: "push")

    func decide(_ outcome: PushOutcome, attempt: Int?, state: UserState = UserState(), limits: Limits = Limits()) -> [Event] {
        var context = DecisionContext(actor: server, limits: limits)
        context.pushAttempt = attempt
        return Decider.decide(outcome, for: "bob", state: state, context: context)
    }

    @Test func aFailureIsRetriedUntilTheLimitThenAbandoned() {
        var limits = Limits()
        limits.maxPushAttempts = 3
        #expect(decide(.failed(notification: 9, device: "d", reason: "503", retryAt: 100), attempt: 0, limits: limits)
            == [.pushFailed("bob", notification: 9, device: "d", attempt: 1, retryAt: 100, reason: "503")])
        #expect(decide(.failed(notification: 9, device: "d", reason: "503", retryAt: 100), attempt: 2, limits: limits)
            == [.pushAbandoned("bob", notification: 9, device: "d", reason: "gave up after 3 attempts: 503")])
    }

    @Test func aReportWithoutAPendingPushChangesNothing() {
        #expect(decide(.delivered(notification: 9, device: "d"), attempt: nil).isEmpty)
        #expect(decide(.delivered(notification: 9, device: "d"), attempt: 4) == [.pushDelivered("bob", notification: 9, device: "d")])
    }

    @Test func anUnregisteredTokenIsDroppedWithThePush() {
        let state = UserState.evolve(.initial, .pushTokenRegistered("bob", device: "d", token: "t"))
        #expect(decide(.undeliverable(notification: 9, device: "d", reason: "UNREGISTERED", dropToken: true), attempt: 0, state: state)
            == [.pushAbandoned("bob", notification: 9, device: "d", reason: "UNREGISTERED"), .pushTokenRemoved("bob", device: "d")])
        // A token already gone is not removed twice.
        #expect(decide(.undeliverable(notification: 9, device: "d", reason: "UNREGISTERED", dropToken: true), attempt: 0)
            == [.pushAbandoned("bob", notification: 9, device: "d", reason: "UNREGISTERED")])
    }
}

@Suite struct NotificationRules {
    func derive(_ events: [Event], before: ActiveTimer? = nil, by actor: Actor) -> [Event] {
        Notifications.derive(from: events, timerBefore: before, actor: actor)
    }

    func note(_ user: UserID, _ kind: InboxNotification.Kind, name: String = "Tea", from: UserID?) -> Event {
        .notificationCreated(user, InboxNotification(kind: kind, timer: "t1", timerName: name, from: from))
    }

    let running = ActiveTimer(owner: "alice", timer: tea(), sharedWith: ["bob", "carol"])

    @Test func aShareInvitesWithTheNameOfTheTimerAsCreated() {
        #expect(derive([.timerCreated(tea("Green"), owner: "alice"), .timerShared("t1", with: "bob")], by: alice) == [note("bob", .invited, name: "Green", from: "alice")])
    }

    @Test func aRemovalTellsTheRemovedButLeavingTellsNobody() {
        #expect(derive([.timerUnshared("t1", user: "bob")], before: running, by: alice) == [note("bob", .removed, from: "alice")])
        #expect(derive([.timerUnshared("t1", user: "bob")], before: running, by: bob).isEmpty)
    }

    @Test func aStopTellsEveryoneButWhoStoppedIt() {
        #expect(derive([.timerStopped("t1", owner: "alice", sharedWith: ["bob", "carol"])], before: running, by: bob)
            == [note("alice", .stopped, from: "bob"), note("carol", .stopped, from: "bob")])
    }

    @Test func completionsAndRemindersComeFromTheServerAndSilentOnesFromNobody() {
        let server = Actor(userID: "server", deviceID: "scheduler")
        #expect(derive([.timerCompleted("t1", dueAt: 1, firedAt: 2, kind: .onTime)], before: running, by: server)
            == [note("alice", .completed, from: nil), note("bob", .completed, from: nil), note("carol", .completed, from: nil)])
        #expect(derive([.timerCompleted("t1", dueAt: 1, firedAt: 2, kind: .silent)], before: running, by: server).isEmpty)
        #expect(derive([.reminderFired("t1", reminderID: "r", user: "bob", dueAt: 1, firedAt: 1, kind: .late)], before: running, by: server)
            == [note("bob", .reminder, from: nil)])
    }

    @Test func whoIsPushedWhat() {
        let app = PushTarget(provider: .fcm, token: "t", app: true)
        let web = PushTarget(provider: .webhook, token: "w", app: false)
        for kind in InboxNotification.Kind.allCases {
            #expect(PushPolicy.pushes(kind, to: web, connected: false))
            #expect(!PushPolicy.pushes(kind, to: web, connected: true))
            #expect(PushPolicy.pushes(kind, to: app, connected: false))
        }
        // The app's socket carries stops and removals, not the rest.
        #expect(PushPolicy.pushes(.invited, to: app, connected: true))
        #expect(PushPolicy.pushes(.completed, to: app, connected: true))
        #expect(!PushPolicy.pushes(.stopped, to: app, connected: true))
        #expect(!PushPolicy.pushes(.removed, to: app, connected: true))
    }
}

@Suite struct Preferences {
    @Test func quietHoursMayWrapPastMidnight() {
        let night = QuietHours(start: 22 * 60, end: 7 * 60)
        #expect(night.contains(23 * 60) && night.contains(0) && night.contains(6 * 60 + 59))
        #expect(!night.contains(7 * 60) && !night.contains(12 * 60) && !night.contains(22 * 60 - 1))
        let lunch = QuietHours(start: 12 * 60, end: 13 * 60)
        #expect(lunch.contains(12 * 60) && !lunch.contains(13 * 60) && !lunch.contains(0))
        #expect(!QuietHours(start: 600, end: 600).contains(600))
        #expect(QuietHours.minuteOfDay(local: 90_000) == 1)
        #expect(QuietHours.minuteOfDay(local: -60_000) == 1439)
    }

    @Test func aMutedKindOrQuietHourHoldsBackThePushOnly() {
        let p = NotificationPreferences(muted: [.completed], quietHours: QuietHours(start: 22 * 60, end: 7 * 60))
        #expect(p.silence(.completed, atLocalMinute: 12 * 60) == .muted)
        #expect(p.silence(.invited, atLocalMinute: 23 * 60) == .quietHours)
        #expect(p.silence(.invited, atLocalMinute: 12 * 60) == nil)
        let app = PushTarget(provider: .fcm, token: "t", app: true)
        var n = InboxNotification(kind: .invited, timer: "t1", timerName: "Tea", from: "alice")
        #expect(PushPolicy.pushes(n, to: app, connected: false))
        n.silenced = .quietHours
        #expect(!PushPolicy.pushes(n, to: app, connected: false))
    }

    @Test func preferencesAreSetWholeAndChecked() {
        let quiet = NotificationPreferences(muted: [.reminder], quietHours: QuietHours(start: 0, end: 60))
        Spec.given().when(.setNotificationPreferences(quiet), by: bob).then([.notificationPreferencesSet("bob", quiet)])
        Spec.given(.notificationPreferencesSet("bob", quiet)).when(.setNotificationPreferences(quiet), by: bob).then([])
        Spec.given().when(.setNotificationPreferences(.all), by: bob).then([])
        Spec.given().when(.setNotificationPreferences(NotificationPreferences(quietHours: QuietHours(start: 0, end: 1440))), by: bob)
            .thenRejectsInvalid("quietHours")
    }
}

@Suite struct Messages {
    func decide(_ request: MessageRequest, by actor: Actor = alice, limits: Limits = Limits()) -> Result<[Event], Rejection> {
        var context = DecisionContext(actor: actor, limits: limits)
        context.sealer = Spec.testSealer
        return Result { () throws(Rejection) in try Decider.decide(request, context: context) }
    }

    @Test func oneMessagePerRecipientSealedUnderTheSendersKey() {
        decide(MessageRequest(to: ["carol", "bob", "alice"], timer: "t1", content: "hi", peers: ["bob", "carol"])).then([
            .messageSent("bob", Message(from: "alice", timer: "t1", content: sealed("hi"))),
            .messageSent("carol", Message(from: "alice", timer: "t1", content: sealed("hi"))),
        ])
    }

    @Test func strangersEmptyAndOverlongMessagesAreRefused() {
        decide(MessageRequest(to: ["mallory"], content: "hi", peers: ["bob"])).thenRejects(.notAPeer("mallory"))
        decide(MessageRequest(to: ["bob"], content: "", peers: ["bob"])).thenRejectsInvalid("content")
        var short = Limits()
        short.maxMessageLength = 3
        decide(MessageRequest(to: ["bob"], content: "hello", peers: ["bob"]), limits: short).thenRejectsInvalid("content")
        decide(MessageRequest(to: ["alice"], content: "hi", peers: [])).thenRejectsInvalid("to")
        decide(MessageRequest(to: [], timer: "t1", content: "hi", peers: [])).thenRejectsInvalid("timerId")
    }

    @Test func aMessageIsItsRecipientsInboxEntry() {
        let m = Message(from: "alice", timer: nil, content: sealed("hi"), silenced: .muted)
        #expect(m.notification == InboxNotification(kind: .message, timer: "", timerName: "", from: "alice", silenced: .muted))
    }
}

@Suite struct Avatars {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]

    @Test func imagesAreToldByTheirFirstBytes() {
        #expect(ImageType.sniff(Self.png) == .png)
        #expect(ImageType.sniff([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(ImageType.sniff(Array("GIF89a...".utf8)) == .gif)
        #expect(ImageType.sniff(Array("RIFF\0\0\0\0WEBPVP8 ".utf8)) == .webp)
        #expect(ImageType.sniff(Array("RIFF\0\0\0\0WAVE".utf8)) == nil)
        #expect(ImageType.sniff(Array("<svg onload=alert(1)>".utf8)) == nil)
        #expect(ImageType.sniff([0x89, 0x50]) == nil)
    }

    @Test func anAvatarIsSealedCheckedAndRemovedOnce() {
        let registered = Spec.given(.userRegistered("bob", email: nil, displayName: nil))
        registered.when(.setAvatar(Self.png), by: bob).then([.userAvatarSet("bob", Avatar(type: .png, image: Spec.testSealer.seal(Self.png)))])
        registered.when(.setAvatar(Array("hello".utf8)), by: bob).thenRejectsInvalid("imageData")
        var small = registered
        small.limits.maxAvatarBytes = 4
        small.when(.setAvatar(Self.png), by: bob).thenRejectsInvalid("imageData")
        Spec.given().when(.setAvatar(Self.png), by: bob).thenRejectsInvalid("user")
        registered.when(.setAvatar(nil), by: bob).then([])
        registered.and(.userAvatarSet("bob", Avatar(type: .png, image: Sealed([1])))).when(.setAvatar(nil), by: bob).then([.userAvatarSet("bob", nil)])
    }
}
