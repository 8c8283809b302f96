import TestSupport
import Foundation
import Testing
import TimerDomain
import EventLog
import Projections
@testable import BubbleCore

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64
    init(_ start: Int64) { value = start }
    var now: Int64 { lock.withLock { value } }
    func set(_ ms: Int64) { lock.withLock { value = ms } }
}

@Suite struct SchedulerTests {
    let dir = TemporaryDirectory("scheduler")
    let t0: Int64 = 1_790_000_000_000

    func store(_ clock: ManualClock, zone: String = "UTC") throws -> EventStore {
        var options = StoreOptions()
        options.clock = { clock.now }
        options.timeZone = zone
        return try EventStore(directory: dir.path, options: options)
    }

    func running(_ id: String, endsAt: Int64) -> TimerSnapshot {
        TimerSnapshot(id: id, name: id, totalDuration: "PT3M", end: ISO8601.format(milliseconds: endsAt))
    }

    /// Every scheduler event in the log, oldest first.
    func fired(_ store: EventStore) throws -> [Event] {
        try store.read { txn in
            var out: [Event] = []
            try store.log.scan(from: 1, txn) { e in
                switch e.event {
                case .timerCompleted, .reminderFired, .timerEndResolved, .schedulerEnabled: out.append(e.event)
                default: break
                }
                return true
            }
            return out
        }
    }

    func waitUntil(_ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(10)
        while try !condition() {
            guard Date() < deadline else { Issue.record("timed out"); return }
            Thread.sleep(forTimeInterval: 0.005)
        }
    }

    @Test func endsFireOnceInDueOrderAndOnlyTheCurrentEnd() throws {
        let clock = ManualClock(t0)
        let s = try store(clock)
        let scheduler = Scheduler(store: s)
        try scheduler.start()
        #expect(try fired(s) == [.schedulerEnabled(since: t0)])
        try s.timer(.update(running("b", endsAt: t0 + 2_000)), alice)
        try s.timer(.update(running("a", endsAt: t0 + 1_000)), alice)
        try s.timer(.update(running("moved", endsAt: t0 + 1_500)), alice)
        try s.timer(.countdown("moved", .add(10_000)), alice)
        try s.timer(.update(running("paused", endsAt: t0 + 1_500)), alice)
        try s.timer(.countdown("paused", .pause), alice)
        clock.set(t0 + 3_000)
        scheduler.wake()
        try waitUntil { try fired(s).count == 3 }
        #expect(try fired(s).dropFirst() == [
            .timerCompleted("a", dueAt: t0 + 1_000, firedAt: t0 + 3_000, kind: .onTime),
            .timerCompleted("b", dueAt: t0 + 2_000, firedAt: t0 + 3_000, kind: .onTime),
        ])
        clock.set(t0 + 11_500)
        scheduler.wake()
        try waitUntil { try fired(s).count == 4 }
        #expect(try fired(s).last == .timerCompleted("moved", dueAt: t0 + 11_500, firedAt: t0 + 11_500, kind: .onTime))
        // Nothing else is due, and a second scheduler on the same store fires nothing again.
        scheduler.stop()
        let again = Scheduler(store: s)
        try again.start()
        again.stop()
        #expect(try fired(s).count == 4)
        #expect(try s.read { try s.views.due(through: .max, limit: 10, $0).entries } == [])
    }

    @Test func endsThatPassedWhileTheServerWasDownFireOnStartMarkedLate() throws {
        let clock = ManualClock(t0)
        do {
            let s = try store(clock)
            let scheduler = Scheduler(store: s)
            try scheduler.start()
            try s.timer(.update(running("late2", endsAt: t0 + 20_000)), alice)
            try s.timer(.update(running("late1", endsAt: t0 + 10_000)), alice)
            try s.timer(.setReminder("late2", Reminder(id: "r1", user: "alice", trigger: .before(5_000))), alice)
            scheduler.stop()
            s.close()
        }
        clock.set(t0 + 60_000)  // the server was down for a minute
        let s = try store(clock)
        let scheduler = Scheduler(store: s)
        try scheduler.start()  // fires before returning
        defer { scheduler.stop() }
        #expect(try fired(s).dropFirst() == [
            .timerCompleted("late1", dueAt: t0 + 10_000, firedAt: t0 + 60_000, kind: .late),
            .reminderFired("late2", reminderID: "r1", user: "alice", dueAt: t0 + 15_000, firedAt: t0 + 60_000, kind: .late),
            .timerCompleted("late2", dueAt: t0 + 20_000, firedAt: t0 + 60_000, kind: .late),
        ])
    }

    @Test func theFirstStartOnAnOldLogCompletesPastEndsSilentlyAndResolvesLocalOnes() throws {
        let clock = ManualClock(t0)
        do {
            // A log from before the server kept time: no scheduler, and local ends no zone
            // resolved (an unknown zone leaves them as an old build wrote them).
            let s = try store(clock, zone: "Nowhere/Unknown")
            try s.timer(.update(running("past", endsAt: t0 - 86_400_000)), alice)
            try s.timer(.update(TimerSnapshot(id: "local-future", name: "x", totalDuration: "PT3M", end: "2026-09-22T16:00")), alice)
            try s.timer(.update(TimerSnapshot(id: "local-past", name: "x", totalDuration: "PT3M", end: "2026-09-20T16:00")), alice)
            #expect(try s.read { try s.views.unresolvedEnds($0).map(\.timer).sorted() } == ["local-future", "local-past"])
            s.close()
        }
        let t1 = t0 + 1_000  // the upgraded server starts a second later
        clock.set(t1)
        let s = try store(clock, zone: "Europe/Berlin")
        let scheduler = Scheduler(store: s)
        try scheduler.start()
        defer { scheduler.stop() }
        let future = ISO8601.instantMilliseconds("2026-09-22T14:00:00Z")!  // 16:00 CEST
        let past = ISO8601.instantMilliseconds("2026-09-20T14:00:00Z")!
        let events = try fired(s)
        #expect(events.count == 5)
        #expect(Set(events.prefix(2).map { "\($0)" }) == Set([
            Event.timerEndResolved("local-future", endsAt: future), .timerEndResolved("local-past", endsAt: past),
        ].map { "\($0)" }))
        #expect(Array(events.dropFirst(2)) == [
            .schedulerEnabled(since: t1),
            .timerCompleted("local-past", dueAt: past, firedAt: t1, kind: .silent),
            .timerCompleted("past", dueAt: t0 - 86_400_000, firedAt: t1, kind: .silent),
        ])
        #expect(try s.read { try s.views.due(through: .max, limit: 10, $0).entries } == [DueEntry(dueAt: future, timer: "local-future")])
    }

    @Test func anEndAlreadyPastWhenItArrivesAfterTheCutOverIsToldNotSilenced() throws {
        let clock = ManualClock(t0)
        let s = try store(clock)
        let scheduler = Scheduler(store: s)
        try scheduler.start()
        defer { scheduler.stop() }
        clock.set(t0 + 5_000)
        // A phone that was offline sends a timer whose end passed before the server ever ran.
        try s.timer(.update(running("offline", endsAt: t0 - 60_000)), alice)
        scheduler.wake()
        try waitUntil { try fired(s).count == 2 }
        #expect(try fired(s).last == .timerCompleted("offline", dueAt: t0 - 60_000, firedAt: t0 + 5_000, kind: .late))
    }

    @Test func replayRebuildsTheDueIndexRemindersAndCompletions() throws {
        let clock = ManualClock(t0)
        do {
            let s = try store(clock)
            let scheduler = Scheduler(store: s)
            try scheduler.start()
            try s.timer(.update(running("a", endsAt: t0 + 1_000), shareWith: ["bob"]), alice)
            try s.timer(.update(running("b", endsAt: t0 + 50_000)), alice)
            try s.timer(.setReminder("b", Reminder(id: "rb", user: "alice", trigger: .before(10_000))), alice)
            try s.timer(.setReminder("a", Reminder(id: "ra", user: "bob", trigger: .at(t0 + 90_000))), bob)
            try s.timer(.countdown("b", .add(5_000)), alice)
            try s.run(.device(.setTimeZone("Europe/Berlin")), alice)
            try s.run(.device(.connect(connectionID: "c1", timeZone: "Asia/Tokyo")), bob)
            clock.set(t0 + 2_000)
            scheduler.wake()
            try waitUntil { try fired(s).count == 2 }
            scheduler.stop()
            let due = try s.read { try s.views.due(through: .max, limit: 10, $0).entries }
            #expect(due == [
                DueEntry(dueAt: t0 + 45_000, timer: "b", reminder: "rb"), DueEntry(dueAt: t0 + 55_000, timer: "b"),
                DueEntry(dueAt: t0 + 90_000, timer: "a", reminder: "ra"),
            ])
            s.close()
        }
        #expect(try Replay.verify(directory: dir.path).differences.isEmpty)
        _ = try Replay.rebuild(directory: dir.path)
        #expect(try Replay.verify(directory: dir.path).differences.isEmpty)
        let s = try store(clock)
        try s.read { (txn) throws in
            #expect(try s.views.due(through: .max, limit: 10, txn).entries.count == 3)
            #expect(try s.views.timerOfReminder("ra", txn) == "a")
            #expect(try s.views.timer("a", txn)?.completedAt == t0 + 1_000)
            #expect(try s.views.userState("alice", txn).timeZone == "Europe/Berlin")
            #expect(try s.views.userState("bob", txn).deviceZones == ["bob-phone": "Asia/Tokyo"])
        }
    }

    @Test func everyTimeEventFoldsTheSameLiveAndOnReplay() throws {
        let clock = ManualClock(t0)
        do {
            let s = try store(clock)
            let scheduler = Scheduler(store: s)
            try scheduler.start()
            try s.timer(.update(running("t", endsAt: t0 + 60_000), shareWith: ["bob"]), alice)
            for action in [CountdownAction.pause, .resume, .add(5_000), .set(30_000), .reset, .start] {
                try s.timer(.countdown("t", action), bob)
            }
            try s.timer(.setReminder("t", Reminder(id: "soon", user: "bob", trigger: .at(t0 + 1_000))), bob)
            try s.timer(.setReminder("t", Reminder(id: "gone", user: "bob", trigger: .before(1_000))), bob)
            try s.timer(.cancelReminder("t", reminderID: "gone"), bob)
            try s.run(.device(.setTimeZone("Europe/Berlin")), bob)
            clock.set(t0 + 200_000)
            scheduler.wake()
            try waitUntil { try fired(s).count == 3 }
            scheduler.stop()
            let names = try s.read { txn in
                var out: Set<String> = []
                try s.log.scan(from: 1, txn) { e in out.insert(e.event.name); return true }
                return out
            }
            #expect(names.isSuperset(of: ["timer_started", "timer_paused", "timer_resumed", "timer_reset", "timer_time_added",
                                          "timer_remaining_set", "timer_completed", "reminder_set", "reminder_cancelled",
                                          "reminder_fired", "user_time_zone_set", "scheduler_enabled"]))
            s.close()
        }
        let report = try Replay.verify(directory: dir.path)
        #expect(report.differences.isEmpty, "\(report.differences)")
        let history = try Inspector(directory: dir.path).history(of: "t")
        #expect(history.last?.envelope.event.name == "timer_completed")
        #expect(history.last?.changes.contains { $0.field == "status" && $0.new == "completed" } == true)
    }
}
