import TestSupport
import Foundation
import Testing
import LMDB
import TimerDomain
import EventLog
import Projections
@testable import BubbleCore

@Suite struct ReplayTests {
    let dir = TemporaryDirectory("replay")

    /// A scripted history with every kind of event, including rejections and no-ops.
    func scripted() throws -> EventStore {
        let store = try EventStore(directory: dir.path)
        try store.run(.markServerStarted(version: "t"), Actor(userID: "server", deviceID: "server"))
        try store.run(.device(.connect(connectionID: "c1")), alice)
        try store.run(.device(.connect(connectionID: "c2")), bob)
        try store.run(.device(.registerPushToken(device: "bob-phone", token: "tok")), bob)
        try store.run(.device(.register(email: "bob@example.com", displayName: "Bob")), bob)
        try store.run(.device(.register(email: nil, displayName: nil)), carol)
        try store.run(.device(.registerDevice(device: "bob-web", provider: .webhook, token: "hook")), bob)
        try store.run(.device(.updateProfile(ProfilePatch(displayName: .some("Bobby"), settings: ["theme": "dark"]))), bob)
        let shared = try store.timer(.update(snapshot("t1"), shareWith: ["bob", "carol"]), alice)
        // bob's invitation is pushed to both his devices; one push is delivered, one fails once.
        let invitation = try #require(shared.events.first { if case .notificationCreated("bob", _) = $0.event { true } else { false } }).seq
        try store.run(.push("bob", .delivered(notification: invitation, device: "bob-phone")), server)
        try store.run(.push("bob", .failed(notification: invitation, device: "bob-web", reason: "503", retryAt: 10)), server)
        try store.run(.message(MessageRequest(to: [], timer: "t1", content: "tea's ready")), alice)
        try store.run(.device(.readNotifications(ids: nil)), bob)
        try store.timer(.update(snapshot("t1", end: nil, remaining: "PT1M")), bob)
        try store.timer(.unshare("t1", user: "carol"), carol)
        try store.timer(.update(snapshot("t2", "Pasta"), shareWith: ["alice"]), bob)
        // alice shares t2 but does not own it: refused, and nothing appended.
        #expect(throws: Rejection.forbidden("t2", reason: "only the owner can share this timer")) {
            try store.timer(.share("t2", with: "carol"), alice)
        }
        try store.timer(.stop("t2"), alice)
        try store.timer(.update(snapshot("t3", "Bread")), carol)
        try store.timer(.update(snapshot("t4", "Soup"), shareWith: ["carol", "bob"]), alice)
        try store.run(.device(.disconnect(connectionID: "c1", reason: "bye")), alice)
        // carol leaves: t3 stops, she leaves t4, her profile and key go.
        try store.run(.device(.erase(ErasureScope())), carol)
        return store
    }

    let server = Actor(userID: "server", deviceID: "push")

    @Test func scriptedHistoryGivesTheExpectedViews() throws {
        let store = try scripted()
        try store.read { (txn) throws in
            let t1 = try #require(try store.views.timer("t1", txn))
            #expect(t1.owner == "alice")
            #expect(t1.sharedWith == ["bob"])
            #expect(t1.timer.remainingDuration == "PT1M")
            #expect(t1.updatedBy == carol)  // carol leaving the share was its last change
            #expect(try store.views.timer("t2", txn) == nil)
            #expect(try store.views.visibleTimers(for: "bob", txn).map(\.timer.id) == ["t1", "t4"])
            #expect(try store.views.timer("t4", txn)?.sharedWith == ["bob"])  // carol left it when she was erased
            #expect(try store.views.timer("t3", txn) == nil)  // carol's own timer stopped
            #expect(try store.views.connections(of: "alice", txn).isEmpty)
            #expect(try store.views.connections(of: "bob", txn).map(\.device) == ["bob-phone"])
            #expect(try store.views.userState("bob", txn).pushTargets == [
                "bob-phone": PushTarget(provider: .fcm, token: "tok", app: true), "bob-web": PushTarget(provider: .webhook, token: "hook", app: false),
            ])
            let profile = try #require(try store.views.userState("bob", txn).profile)
            #expect(profile.settings == ["theme": "dark"])
            #expect(try store.keys.key(of: "bob", txn)?.open(try #require(profile.displayName)) == "Bobby")
            // bob-web's retry comes first (due at 10); then alice's message (to both), the stop
            // of t2 (to bob-web only: a connected app device hears of a stop on its socket) and
            // t4's invitation (to both).
            let due = try store.views.duePushes(now: .max, limit: 10, txn).due
            #expect(due.map(\.key.device) == ["bob-web", "bob-phone", "bob-web", "bob-web", "bob-phone", "bob-web"])
            // The message reached both people on t1 but alice; carol's copy went with her.
            let message = try #require(try store.views.messages(of: "bob", with: "alice", before: nil, limit: 10, txn).first)
            #expect(try store.keys.key(of: "alice", txn)?.open(message.row.message.content) == "tea's ready")
            #expect(try store.views.messages(of: "alice", with: nil, before: nil, limit: 10, txn).map(\.row.to) == ["carol", "bob"])  // her copies, newest first
            #expect(due.first?.entry == OutboxEntry(attempt: 1, notBefore: 10))
            // He read his inbox before t2 was stopped and t4 shared with him.
            #expect(try store.views.unreadNotifications(of: "bob", txn).count == 2)
            #expect(try store.views.userState("carol", txn) == .initial)
            #expect(try store.keys.key(of: "carol", txn) == nil)
            #expect(try store.views.notifications(of: "carol", before: nil, unreadOnly: false, limit: 10, txn).isEmpty)
            #expect(try store.views.visibleTimers(for: "carol", txn).isEmpty)
        }
    }

    @Test func replayEqualsLive() throws {
        let store = try scripted()
        let head = try store.read { try store.log.head($0).seq }
        store.close()
        let verify = try Replay.verify(directory: dir.path)
        #expect(verify.differences.isEmpty)
        #expect(verify.events == head)
        let rebuilt = try Replay.rebuild(directory: dir.path)
        #expect(rebuilt.events == head)
        #expect(try Replay.verify(directory: dir.path).differences.isEmpty)
    }

    @Test func verifyReportsDamagedViewsWithoutChangingThem() throws {
        let store = try scripted()
        try store.environment.write { txn in try txn.delete(store.views.timerView, key: Array("t1".utf8)) }
        store.close()
        let report = try Replay.verify(directory: dir.path)
        #expect(report.differences.contains { $0.contains("timer_view[t1]") && $0.contains("missing") })
        #expect(try Replay.verify(directory: dir.path).differences == report.differences)
        _ = try Replay.rebuild(directory: dir.path)
        #expect(try Replay.verify(directory: dir.path).differences.isEmpty)
    }

    @Test func rebuildRefusesWhileAWriterHoldsTheDirectory() throws {
        let store = try scripted()
        defer { store.close() }
        #expect(throws: StoreError.self) { _ = try Replay.rebuild(directory: dir.path) }
    }

    @Test func timeTravelBuildsThePastIntoANewDirectory() throws {
        let store = try scripted()
        // Travel to just after t1 was shared with carol.
        let (at, head) = try store.read { txn -> (UInt64, UInt64) in
            var at: UInt64 = 0
            try store.log.scan(txn) { e in
                if e.event == .timerShared("t1", with: "carol") { at = e.seq }
                return at == 0
            }
            return (at, try store.log.head(txn).seq)
        }
        #expect(at > 0)
        store.close()
        let past = TemporaryDirectory("past")
        let target = past.path + "/at-\(at)"
        let report = try Replay.timeTravel(directory: dir.path, until: .seq(at), into: target)
        #expect(report.events == at)
        let inspector = try Inspector(directory: target)
        let (log, views) = try inspector.verify()
        #expect(log.isValid && log.lastSeq == at)
        #expect(views.isEmpty)
        try inspector.read { (txn) throws in
            #expect(try inspector.views.timer("t1", txn)?.sharedWith == ["bob", "carol"])
        }
        // Keys are not in the log: the copy carries them (bob's name reads there too).
        #expect(try inspector.user("bob").profile?.displayName == .text("Bobby"))
        // The source is untouched and a second run into the same place is refused.
        #expect(try Inspector(directory: dir.path).head().seq == head)
        #expect(throws: StoreError.self) { _ = try Replay.timeTravel(directory: dir.path, until: .seq(3), into: target) }
        // A second environment on a directory this process holds is refused, not opened.
        #expect(throws: StoreError.self) { _ = try Inspector(directory: target) }
    }

    @Test func timeTravelByTimeStopsAtTheLastEventNotAfterIt() throws {
        let clock = Locked<Int64>(1_000)
        var options = StoreOptions()
        options.clock = { clock.withValue { $0 += 1000; return $0 } }
        let store = try EventStore(directory: dir.path, options: options)
        try store.timer(.update(snapshot("t1")), alice)  // t = 2000
        try store.timer(.update(snapshot("t1", "B")), alice)  // t = 3000
        try store.timer(.update(snapshot("t1", "C")), alice)  // t = 4000
        store.close()
        let inspector = try Inspector(directory: dir.path)
        #expect(try inspector.timer("t1", at: .time(3500)).state.active?.timer.name == "B")
        #expect(try inspector.timer("t1", at: .time(1999)).state == .unknown)
        #expect(try inspector.timer("t1", at: .seq(1)).state.active?.timer.name == "Tea")
    }

    @Test func historyShowsFieldDiffs() throws {
        let store = try scripted()
        store.close()
        let history = try Inspector(directory: dir.path).history(of: "t1")
        #expect(history.map(\.envelope.event.name) == ["timer_created", "timer_shared", "timer_shared", "timer_updated", "timer_unshared"])
        let pause = history[3].changes
        #expect(pause.contains(FieldChange(field: "status", old: "running", new: "paused")))
        #expect(pause.contains(FieldChange(field: "remainingDuration", old: nil, new: "PT1M")))
        #expect(history[4].changes == [FieldChange(field: "sharedWith", old: "bob,carol", new: "bob")])
    }
}

extension ReplayTests {
    @Test func rebuildKeepsNonASCIIIdsInLMDBOrder() throws {
        let store = try EventStore(directory: dir.path)
        // Timer ids keep to the id alphabet; user ids (from tokens) may be anything.
        for (index, name) in ["zeta", "é", "e\u{301}", "日本", "Z", "ab"].enumerated() {
            try store.timer(.update(snapshot("t\(index)"), shareWith: [name, "ü"]), Actor(userID: "ö-\(name)", deviceID: "d"))
        }
        store.close()
        _ = try Replay.rebuild(directory: dir.path)
        #expect(try Replay.verify(directory: dir.path).differences.isEmpty)
    }
}

/// Rewinding a timer from its current row must give what folding it from its creation gives,
/// before every one of its events, whether it is still running or stopped since.
@Suite struct TimerRewindTests {
    @Test func rewindEqualsTheForwardFoldBeforeEverySeq() throws {
        let dir = TemporaryDirectory()
        let store = try EventStore(directory: dir.path)
        defer { store.close() }
        try store.timer(.update(snapshot("t1"), shareWith: ["bob"]), alice)
        try store.timer(.update(snapshot("other")), carol)
        try store.timer(.share("t1", with: "carol"), alice)
        try store.timer(.update(snapshot("t1", "Green tea", remaining: "PT1M")), bob)
        try store.timer(.unshare("t1", user: "bob"), alice)
        try store.timer(.update(snapshot("t1", "Black tea")), alice)
        try store.timer(.share("t1", with: "bob"), alice)
        try store.timer(.update(snapshot("t2")), alice)
        for stopped in [false, true] {
            if stopped { try store.timer(.stop("t1"), alice) }
            try store.read { txn in
                let head = try store.log.head(txn).seq
                for seq in 1...(head + 1) {
                    var folded: TimerViewRow?
                    try store.log.history(of: .timer("t1"), txn) { e in
                        guard e.seq < seq else { return false }
                        TimerView.apply(e, to: &folded)
                        return true
                    }
                    let rewound = try TimerRewind.row(of: "t1", before: seq, log: store.log, views: store.views, txn)
                    #expect(rewound?.timer == folded?.timer, "before \(seq), stopped: \(stopped)")
                    #expect(rewound?.owner == folded?.owner, "before \(seq), stopped: \(stopped)")
                    #expect(rewound?.sharedWith == folded?.sharedWith, "before \(seq), stopped: \(stopped)")
                }
            }
        }
    }
}
