import Testing
import TimerDomain
import EventLog
@testable import Projections

let alice = Actor(userID: "alice", deviceID: "alice-phone")
let tea = TimerSnapshot(id: "t1", name: "Tea", totalDuration: "PT3M", end: "2025-08-12T14:03")

func envelope(_ seq: UInt64, _ event: Event, at time: Int64 = 0, by actor: Actor = alice) -> EventEnvelope {
    EventEnvelope(seq: seq, timestamp: time == 0 ? Int64(seq) * 1000 : time, actor: actor, commandID: nil, event: event)
}

/// Folds events into the in-memory store through the same `Projector` the live path uses.
func fold(_ events: [Event]) throws -> MemoryViewStore {
    var store = MemoryViewStore()
    for (i, e) in events.enumerated() { try Projector.apply(envelope(UInt64(i + 1), e), to: &store) }
    return store
}

@Suite struct ProjectionFoldTests {
    @Test func timerViewTracksOwnerSharesAndLastChange() throws {
        let bob = Actor(userID: "bob", deviceID: "bob-phone")
        var row = TimerView.apply(nil, envelope(1, .timerCreated(tea, owner: "alice")))
        row = TimerView.apply(row, envelope(2, .timerShared("t1", with: "carol")))
        row = TimerView.apply(row, envelope(3, .timerShared("t1", with: "bob")))
        row = TimerView.apply(row, envelope(4, .timerUpdated(TimerSnapshot(id: "t1", name: "Green", totalDuration: "PT3M")), by: bob))
        #expect(row?.sharedWith == ["bob", "carol"])
        #expect(row?.timer.name == "Green")
        #expect(row?.createdSeq == 1 && row?.lastSeq == 4)
        #expect(row?.createdAt == 1000 && row?.updatedAt == 4000)
        #expect(row?.updatedBy == bob)
        #expect(TimerView.apply(row, envelope(5, .timerStopped("t1", owner: "alice", sharedWith: ["bob", "carol"]))) == nil)
    }

    @Test func shareIndexHasBothDirectionsAndForgetsStoppedTimers() throws {
        let store = try fold([
            .timerCreated(tea, owner: "alice"), .timerShared("t1", with: "bob"), .timerShared("t1", with: "carol"),
            .timerUnshared("t1", user: "carol"),
        ])
        #expect(store.sharesByUser == ["bob": ["t1": 2]])
        #expect(store.ownedByUser == ["alice": ["t1": 1]])
        let stopped = try fold([
            .timerCreated(tea, owner: "alice"), .timerShared("t1", with: "bob"), .timerStopped("t1", owner: "alice", sharedWith: ["bob"]),
        ])
        #expect(stopped.sharesByUser.isEmpty)
        #expect(stopped.ownedByUser.isEmpty)
        #expect(stopped.timerViews.isEmpty)
        #expect(stopped.timerStates["t1"] == .stopped(owner: "alice"))
    }

    @Test func connectionViewReplacesPerDeviceAndClearsOnServerStart() throws {
        let store = try fold([
            .deviceConnected("alice", device: "phone", connectionID: "c1", epoch: 0),
            .deviceConnected("alice", device: "phone", connectionID: "c2", epoch: 0),
            .deviceConnected("alice", device: "tablet", connectionID: "c3", epoch: 0),
            .deviceDisconnected("alice", device: "tablet", connectionID: "c3", reason: "closed"),
        ])
        #expect(store.connections["alice"]?.mapValues(\.connectionID) == ["phone": "c2"])
        let restarted = try fold([.deviceConnected("alice", device: "phone", connectionID: "c1", epoch: 0), .serverStarted(version: "2")])
        #expect(restarted.connections.isEmpty)
        #expect(restarted.epoch == 2)
        #expect(restarted.applied == 2)
    }

    @Test func differencesNameTheTableAndKey() throws {
        let live = try fold([.timerCreated(tea, owner: "alice")])
        var rebuilt = live
        rebuilt.timers["t9"] = live.timers["t1"]
        rebuilt.sharesByUser["bob"] = ["t1": 1]
        let diff = live.differences(from: rebuilt)
        #expect(diff.contains("timer_view[t9]: missing from the live views"))
        #expect(diff.contains("timer_state[t9]: missing from the live views"))
        #expect(diff.contains("shares_by_user[bob]: missing from the live views"))
        #expect(live.differences(from: live).isEmpty)
    }
}

@Suite struct FanOutTests {
    let active = ActiveTimer(owner: "alice", timer: tea, sharedWith: ["bob", "carol"])

    @Test func updatesReachOwnerAndSharedUsers() {
        #expect(FanOut.audience(of: .timerUpdated(tea), timerAfter: active) == ["alice", "bob", "carol"])
    }

    @Test func aRemovedUserLearnsOfTheRemoval() {
        var after = active
        after.sharedWith.remove("bob")
        #expect(FanOut.audience(of: .timerUnshared("t1", user: "bob"), timerAfter: after) == ["alice", "carol", "bob"])
    }

    @Test func aStopReachesEveryoneItWasSharedWith() {
        #expect(FanOut.audience(of: .timerStopped("t1", owner: "alice", sharedWith: ["bob", "carol"]), timerAfter: nil) == ["alice", "bob", "carol"])
    }

    @Test func deviceEventsConcernNobodyElse() {
        #expect(FanOut.audience(of: .deviceConnected("alice", device: "d", connectionID: "c", epoch: 0), timerAfter: nil).isEmpty)
        #expect(FanOut.audience(of: .serverStarted(version: "1"), timerAfter: nil).isEmpty)
    }

    @Test func everyLiveDeviceButTheOriginOnceEach() {
        let live: [UserID: [DeviceID]] = ["alice": ["alice-phone", "alice-tablet"], "bob": ["bob-phone", "bob-phone"], "carol": []]
        let deliveries = FanOut.deliveries(audience: ["alice", "bob", "carol", "bob"], origin: alice) { live[$0] ?? [] }
        #expect(deliveries == [
            Delivery(user: "alice", device: "alice-tablet"),
            Delivery(user: "bob", device: "bob-phone"),
        ])
    }

    @Test func theSameDeviceNameOfAnotherUserIsNotTheOrigin() {
        let deliveries = FanOut.deliveries(audience: ["alice", "bob"], origin: Actor(userID: "alice", deviceID: "phone")) { _ in ["phone"] }
        #expect(deliveries == [Delivery(user: "bob", device: "phone")])
    }
}

@Suite struct KeyOrderTests {
    @Test func idsSortInLMDBByteOrderEvenWhenNotASCII() {
        let ids = ["b", "ab", "a", "é", "e\u{301}", "z", "abc", "Z", "日本", "ab\u{7F}"]
        let expected = ids.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        #expect(lmdbOrdered(ids) == expected)
        #expect(lmdbOrdered([String]()).isEmpty)
    }

    /// A create that shares with two users is one notice per user with the state after it.
    @Test func aCommandIsOneNoticePerUserWithTheStateAfterIt() throws {
        func e(_ seq: UInt64, _ event: Event, _ audience: [UserID]) -> EventEnvelope {
            var env = envelope(seq, event)
            env.audience = audience
            env.lastInCommand = seq == 3
            return env
        }
        let events = [e(1, .timerCreated(tea, owner: "alice"), ["alice"]), e(2, .timerShared("t1", with: "bob"), ["alice", "bob"]),
                      e(3, .timerShared("t1", with: "carol"), ["alice", "bob", "carol"])]
        let row = TimerViewRow(timer: tea, owner: "alice", sharedWith: ["bob", "carol"], createdSeq: 1, lastSeq: 3, createdAt: 0, updatedAt: 0, updatedBy: alice)
        let notices = try #require(FanOut.notices(of: events, timerAfter: row))
        #expect(notices.seq == 3)
        // A command whose notifications follow its timer events: frames carry its last seq.
        #expect(FanOut.notices(of: events, timerAfter: row, commandEnd: 5)?.seq == 5)
        #expect(notices.recipients.map(\.user) == ["alice", "bob", "carol"])
        #expect(notices.recipients.allSatisfy { $0.notice == .updated(row) })

        let removed = FanOut.notices(of: [e(4, .timerUnshared("t1", user: "bob"), ["alice", "carol", "bob"])],
                                     timerAfter: TimerViewRow(timer: tea, owner: "alice", sharedWith: ["carol"], createdSeq: 1, lastSeq: 4, createdAt: 0, updatedAt: 0, updatedBy: alice))
        #expect(removed?.recipients.first { $0.user == "bob" }?.notice == .removed("t1"))
        #expect(removed?.recipients.first { $0.user == "carol" }.map { if case .unshared = $0.notice { true } else { false } } == true)

        let stopped = FanOut.notices(of: [e(5, .timerStopped("t1", owner: "alice", sharedWith: ["carol"]), ["alice", "carol"])], timerAfter: nil)
        #expect(stopped?.recipients.map(\.notice) == [.stopped("t1", by: "alice"), .stopped("t1", by: "alice")])
    }
}
