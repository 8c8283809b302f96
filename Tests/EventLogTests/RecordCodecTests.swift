import TestSupport
import Testing
import TimerDomain
@testable import EventLog

let everyEvent: [Event] = [
    .timerCreated(TimerSnapshot(id: "t1", name: "Tea ☕", totalDuration: "PT3M", end: "2025-08-12T14:03", tags: ["a", ""]), owner: "alice"),
    .timerUpdated(TimerSnapshot(id: "t1", name: "Tea", totalDuration: "PT3M", remainingDuration: "PT-3.2S")),
    .timerStopped("t1", owner: "alice", sharedWith: ["bob", "carol"]),
    .timerShared("t1", with: "bob"),
    .timerUnshared("t1", user: "bob"),
    .deviceConnected("alice", device: "phone", connectionID: "c1", epoch: 300),
    .deviceDisconnected("alice", device: "phone", connectionID: "c1", reason: "closed"),
    .pushTokenRegistered("alice", device: "phone", token: "fcm"),
    .pushTokenRemoved("alice", device: "phone"),
    .serverStarted(version: "1.0"),
]

/// The people events (tags 28–38): sealed fields are opaque bytes to the codec.
let peopleEvents: [Event] = [
    .userRegistered("bob", email: Sealed([1, 0, 255, 7]), displayName: nil),
    .userEmailSet("bob", Sealed([1, 2])),
    .userDisplayNameSet("bob", nil),
    .userSettingsSet("bob", ["theme": "dark", "": "é"]),
    .userErased("bob"),
    .pushDeviceRegistered("bob", device: "web", PushTarget(provider: .webhook, token: "https://x", app: false)),
    .notificationCreated("bob", InboxNotification(kind: .invited, timer: "t1", timerName: "Tea ☕", from: "alice")),
    .notificationCreated("bob", InboxNotification(kind: .completed, timer: "t1", timerName: "", from: nil)),
    .notificationsRead("bob", ids: [1, 300, UInt64.max]),
    .pushDelivered("bob", notification: 12, device: "phone"),
    .pushFailed("bob", notification: 12, device: "phone", attempt: 3, retryAt: -5, reason: "503"),
    .pushAbandoned("bob", notification: 12, device: "phone", reason: "UNREGISTERED"),
    .notificationCreated("bob", InboxNotification(kind: .reminder, timer: "t1", timerName: "Tea", from: nil, silenced: .quietHours)),
    .notificationPreferencesSet("bob", NotificationPreferences(muted: [.completed, .invited], quietHours: QuietHours(start: 1320, end: 420))),
    .notificationPreferencesSet("bob", NotificationPreferences()),
    .messageSent("bob", Message(from: "alice", timer: "t1", content: Sealed([1, 9, 9]), silenced: .quietHours)),
    .messageSent("bob", Message(from: "alice", timer: nil, content: Sealed([]))),
    .userAvatarSet("bob", Avatar(type: .webp, image: Sealed([1, 2, 3]))),
    .userAvatarSet("bob", nil),
    .signInCodeIssued("u1", SignInCode(hash: Array(repeating: 7, count: 32), salt: [1, 2, 3], expiresAt: 1_755_007_987_500)),
    .signInFailed("u1"),
    .sessionStarted("u1", SessionGrant(id: "s1", generation: 0, tokenHash: [9, 9], expiresAt: -1, device: "web")),
    .sessionRefreshed("u1", SessionGrant(id: "s1", generation: UInt64.max, tokenHash: [], expiresAt: 1, device: "phone")),
    .sessionsEnded("u1", ids: ["s1", "s2"], reason: "refresh token reused"),
    .sessionsEnded("u1", ids: [], reason: ""),
    .userDisabled("u1", reason: "lost phone ☎"),
    .userEnabled("u1"),
    .publicLinkCreated("t1", token: "abcdefghijklmnopqrstuvwxyz"),
    .publicLinkRevoked("t1", token: "abcdefghijklmnopqrstuvwxyz"),
]

@Suite struct RecordCodecTests {
    @Test(arguments: everyEvent + peopleEvents)
    func everyEventRoundTrips(event: Event) throws {
        let envelope = EventEnvelope(seq: 42, timestamp: 1_755_007_387_500, actor: Actor(userID: "alice", deviceID: "phone"), commandID: "req-1", event: event)
        let (record, chain) = RecordCodec.encode(envelope, previousChain: LogHead.genesis.chain)
        #expect(chain != ChainHash.genesis)
        let decoded = try record.withUnsafeBytes { try RecordCodec.decode($0, seq: 42) }
        #expect(decoded == envelope)
    }

    @Test func theCommandBoundaryRoundTripsAndOtherFlagsAreRefused() throws {
        for last in [true, false] {
            let envelope = EventEnvelope(seq: 7, timestamp: 1, actor: Actor(userID: "a", deviceID: "d"), commandID: nil,
                                         event: .timerShared("t1", with: "bob"), lastInCommand: last)
            let (record, _) = RecordCodec.encode(envelope, previousChain: LogHead.genesis.chain)
            #expect(record[0] == 2)
            #expect(try record.withUnsafeBytes { try RecordCodec.decode($0, seq: 7) }.lastInCommand == last)
        }
    }

    @Test func aRecordStoredUnderAnotherSeqIsRejected() throws {
        let envelope = EventEnvelope(seq: 1, timestamp: 0, actor: Actor(userID: "a", deviceID: "d"), commandID: nil, event: .serverStarted(version: "x"))
        let (record, _) = RecordCodec.encode(envelope, previousChain: LogHead.genesis.chain)
        #expect(throws: LogError.self) { try record.withUnsafeBytes { try RecordCodec.decode($0, seq: 2) } }
    }

    @Test func everyTruncationAndEveryFlippedByteIsReportedNeverTrapped() throws {
        let envelope = EventEnvelope(seq: 7, timestamp: 1, actor: Actor(userID: "a", deviceID: "d"), commandID: "c", event: everyEvent[0])
        let (record, _) = RecordCodec.encode(envelope, previousChain: LogHead.genesis.chain)
        for length in 0..<record.count {
            let cut = Array(record[..<length])
            #expect(throws: LogError.self) { try cut.withUnsafeBytes { try RecordCodec.decode($0, seq: 7) } }
        }
        for i in 0..<record.count {
            var flipped = record
            flipped[i] ^= 0x40
            #expect(throws: LogError.self) { try flipped.withUnsafeBytes { try RecordCodec.decode($0, seq: 7) } }
        }
    }

    @Test func unknownVersionNamesItself() {
        var record = RecordCodec.encode(
            EventEnvelope(seq: 1, timestamp: 0, actor: Actor(userID: "a", deviceID: "d"), commandID: nil, event: .serverStarted(version: "x")),
            previousChain: LogHead.genesis.chain
        ).record
        record[0] = 9
        do {
            _ = try record.withUnsafeBytes { try RecordCodec.decode($0, seq: 1) }
            Issue.record("decoded a version 9 record")
        } catch {
            #expect("\(error)".contains("unknown record version 9"))
        }
    }

    /// Garbage and every truncation of a real record are reported as corrupt, never trap and
    /// never decode (seeded, so a failure reproduces).
    @Test func randomBytesAndTruncationsAreReportedCorrupt() {
        var rng = SeededRandom(seed: 42)
        var corrupt = 0
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0..<200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            do {
                _ = try bytes.withUnsafeBytes { try RecordCodec.decode($0, seq: 1) }
            } catch LogError.corrupt(seq: 1, _) {
                corrupt += 1
            } catch {}
        }
        #expect(corrupt == 2000)
        let envelope = EventEnvelope(seq: 1, timestamp: 5, actor: Actor(userID: "a", deviceID: "d"), commandID: "c", event: everyEvent[0])
        let (record, _) = RecordCodec.encode(envelope, previousChain: LogHead.genesis.chain)
        for length in 0..<record.count {
            #expect(throws: LogError.self) { _ = try Array(record.prefix(length)).withUnsafeBytes { try RecordCodec.decode($0, seq: 1) } }
        }
    }
}

