public import TimerDomain
internal import EventLog

/// A realistic morning in the life of four users, written through the real command path
/// (decide → append → project), so a new user has a log to replay and inspect before any
/// client connects. Rejected commands are part of the story: they append nothing.
public enum DemoScenario {
    public struct Outcome: Sendable {
        /// Timer ids used, by role (`tea`, `pasta`, `workout`).
        public var timers: [String: TimerID]
        public var appended: Int
        public var rejected: [String]
        public var lastSeq: UInt64
    }

    public static func run(on store: EventStore) throws -> Outcome {
        // A second run on the same directory writes new timers rather than tripping over stopped ones.
        let suffix = try store.read { txn in try store.log.head(txn).seq } == 0 ? "" : "-\(currentMilliseconds() % 1_000_000)"
        let tea = "tea" + suffix, pasta = "pasta" + suffix, workout = "workout" + suffix, eggs = "eggs" + suffix
        let alicePhone = Actor(userID: "alice", deviceID: "alice-phone")
        let aliceTablet = Actor(userID: "alice", deviceID: "alice-tablet")
        let bobPhone = Actor(userID: "bob", deviceID: "bob-phone")
        let carolLaptop = Actor(userID: "carol", deviceID: "carol-laptop")
        let davePhone = Actor(userID: "dave", deviceID: "dave-phone")

        var appended = 0
        var rejected: [String] = []
        var lastSeq: UInt64 = 0
        func run(_ command: Command, _ actor: Actor, _ id: String) throws {
            do {
                let result = try store.executeAndWait(CommandRequest(command, actor: actor, commandID: id))
                appended += result.events.count
                lastSeq = result.seq ?? lastSeq
            } catch let rejection as Rejection {
                rejected.append("\(id): \(rejection)")
            }
        }
        func timer(_ id: TimerID, _ name: String, _ total: String, end: String? = nil, remaining: String? = nil, tags: [String] = []) -> TimerSnapshot {
            TimerSnapshot(id: id, name: name, totalDuration: total, remainingDuration: remaining, end: end, tags: tags)
        }

        try run(.markServerStarted(version: "demo"), Actor(userID: "server", deviceID: "server"), "demo-start")
        for (i, actor) in [alicePhone, aliceTablet, bobPhone, carolLaptop, davePhone].enumerated() {
            try run(.device(.connect(connectionID: "c\(i + 1)")), actor, "connect-\(i + 1)")
        }
        try run(.device(.registerPushToken(device: "alice-phone", token: "fcm-alice-phone-token")), alicePhone, "token-1")
        // Each user registers on first sign-in; emails and names are sealed under their own key.
        try run(.device(.register(email: "alice@example.com", displayName: "Alice")), alicePhone, "register-alice")
        try run(.device(.register(email: "bob@example.com", displayName: "Bob")), bobPhone, "register-bob")
        try run(.device(.register(email: "dave@example.com", displayName: nil)), davePhone, "register-dave")
        try run(.device(.registerDevice(device: "dave-phone", provider: .expo, token: "ExponentPushToken[dave]")), davePhone, "token-dave")
        try run(.timer(.update(timer(tea, "Green tea", "PT3M", end: "2025-08-12T08:03:00", tags: ["kitchen"]))), alicePhone, "tea-1")
        try run(.timer(.share(tea, with: "bob")), alicePhone, "tea-share-bob")
        try run(.timer(.update(timer(tea, "Green tea", "PT3M", remaining: "PT1M59.5S", tags: ["kitchen"]))), bobPhone, "tea-pause")
        try run(.timer(.update(timer(tea, "Green tea", "PT3M", end: "2025-08-12T08:05:01.5", tags: ["kitchen"]))), aliceTablet, "tea-resume")
        try run(.timer(.update(timer(pasta, "Pasta", "PT10M", end: "2025-08-12T12:10"), shareWith: ["alice", "bob", "carol"])), alicePhone, "pasta-1")
        try run(.timer(.unshare(pasta, user: "carol")), carolLaptop, "pasta-carol-leaves")
        try run(.timer(.share(tea, with: "dave")), bobPhone, "bob-shares-alices-tea")
        try run(.timer(.update(timer(tea, "Hijacked", "PT1M"))), davePhone, "dave-updates-tea")
        try run(.timer(.stop(tea)), aliceTablet, "tea-stop")
        try run(.timer(.stop(tea)), bobPhone, "tea-stop-again")
        try run(.timer(.update(timer(workout, "Workout", "PT45M", end: "2025-08-12T18:45:00+02:00", tags: ["gym", "legs"]), shareWith: ["alice"])), bobPhone, "workout-1")
        try run(.timer(.update(timer(workout, "Workout", "PT45M", remaining: "PT-3.2S", tags: ["gym", "legs"]))), alicePhone, "workout-overrun")
        try run(.timer(.unshare(pasta, user: "bob")), alicePhone, "pasta-unshare-bob")
        try run(.device(.connect(connectionID: "c6")), aliceTablet, "connect-6")
        try run(.device(.disconnect(connectionID: "c2", reason: "superseded")), aliceTablet, "disconnect-stale")
        try run(.device(.disconnect(connectionID: "c4", reason: "client closed")), carolLaptop, "disconnect-carol")
        // Countdown commands the server computes with its clock, and a reminder.
        try run(.timer(.update(timer(eggs, "Soft eggs", "PT6M", remaining: "PT6M"), shareWith: ["bob"])), alicePhone, "eggs-1")
        try run(.timer(.countdown(eggs, .start)), alicePhone, "eggs-start")
        try run(.timer(.setReminder(eggs, Reminder(id: "r-eggs\(suffix)", user: "bob", trigger: .before(60_000)))), bobPhone, "eggs-remind-bob")
        try run(.timer(.countdown(eggs, .add(30_000))), bobPhone, "eggs-add")
        try run(.timer(.countdown(eggs, .pause)), alicePhone, "eggs-pause")
        try run(.timer(.countdown(eggs, .resume)), aliceTablet, "eggs-resume")
        // People: alice writes to bob about the eggs; bob reads his inbox, renames himself; dave
        // leaves the server (DELETE /me), last.
        try run(.message(MessageRequest(to: [], timer: eggs, content: "Eggs in 6, don't let them boil over")), alicePhone, "alice-writes")
        try run(.device(.readNotifications(ids: nil)), bobPhone, "bob-reads")
        try run(.device(.updateProfile(ProfilePatch(displayName: .some("Bob B."), settings: ["sound": "bell"]))), bobPhone, "bob-renames")
        // Alice shows the eggs to a guest with a public link; erin signs in with an email code
        // (one wrong try first); the operator disables carol.
        try run(.timer(.createLink(eggs, token: "demo-link-eggs\(suffix)")), alicePhone, "eggs-link")
        let erin = Actor(userID: "erin", deviceID: "erin-laptop")
        let salt: [UInt8] = Array("demo-salt".utf8)
        try run(.account(.issueCode(code: "424242", salt: salt, expiresAt: currentMilliseconds() + 600_000)), erin, "erin-asks-code")
        try run(.account(.verify(code: "000000", email: "erin@example.com", session: "demo-session", token: TokenDraw(secret: [1], expiresAt: 0))), erin, "erin-typo")
        let draw = TokenDraw(secret: Array("demo-refresh-secret".utf8), expiresAt: currentMilliseconds() + 30 * 86_400_000)
        try run(.account(.verify(code: "424242", email: "erin@example.com", session: "demo-session\(suffix)", token: draw)), erin, "erin-signs-in")
        try run(.account(.disable(reason: "demo: left the family server")), Actor(userID: "carol", deviceID: "operator"), "carol-disabled")
        try run(.device(.erase(ErasureScope())), davePhone, "dave-leaves")
        return Outcome(timers: ["tea": tea, "pasta": pasta, "workout": workout, "eggs": eggs], appended: appended, rejected: rejected, lastSeq: lastSeq)
    }
}
