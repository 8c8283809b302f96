import Testing
@testable import TimerDomain

/// A timer of 3 minutes running to an instant end (ms) at `end`, or paused with `remaining`.
private func running(_ end: Int64) -> TimerSnapshot {
    TimerSnapshot(id: "t1", name: "Tea", totalDuration: "PT3M", end: ISO8601.format(milliseconds: end))
}

private func paused(_ remaining: String) -> TimerSnapshot {
    TimerSnapshot(id: "t1", name: "Tea", totalDuration: "PT3M", remainingDuration: remaining)
}

private let t0: Int64 = 1_790_000_000_000  // 2026-09-21T14:13:20Z

@Suite struct CountdownArithmetic {
    @Test func eachActionOnARunningTimer() throws {
        let now = t0, end = t0 + 252_345  // 4m12.345s left
        func apply(_ a: CountdownAction) throws -> Countdown? { try CountdownMath.apply(a, to: .running(endsAt: end), total: 180_000, now: now, timerID: "t1") }
        #expect(try apply(.pause) == .paused(remaining: 252_345))
        #expect(try apply(.resume) == nil)
        #expect(try apply(.start) == .running(endsAt: now + 180_000))
        #expect(try apply(.reset) == .paused(remaining: 180_000))
        #expect(try apply(.add(60_000)) == .running(endsAt: end + 60_000))
        #expect(try apply(.add(-300_000)) == .running(endsAt: end - 300_000))
        #expect(try apply(.set(240_000)) == .running(endsAt: now + 240_000))
    }

    @Test func eachActionOnAPausedTimer() throws {
        func apply(_ a: CountdownAction) throws -> Countdown? { try CountdownMath.apply(a, to: .paused(remaining: 90_500), total: 180_000, now: t0, timerID: "t1") }
        #expect(try apply(.pause) == nil)
        #expect(try apply(.resume) == .running(endsAt: t0 + 90_500))
        #expect(try apply(.add(1)) == .paused(remaining: 90_501))
        #expect(try apply(.set(5_000)) == .paused(remaining: 5_000))
        #expect(try apply(.reset) == .paused(remaining: 180_000))
        #expect(try CountdownMath.apply(.reset, to: .paused(remaining: 180_000), total: 180_000, now: t0, timerID: "t1") == nil)
    }

    @Test func aCompletedTimerRunsAgainOnlyWithNewTime() throws {
        let done = Countdown.completed(endedAt: t0 - 10)
        #expect(throws: Rejection.self) { try CountdownMath.apply(.pause, to: done, total: 180_000, now: t0, timerID: "t1") }
        #expect(throws: Rejection.self) { try CountdownMath.apply(.resume, to: done, total: 180_000, now: t0, timerID: "t1") }
        #expect(try CountdownMath.apply(.add(60_000), to: done, total: 180_000, now: t0, timerID: "t1") == .running(endsAt: t0 + 60_000))
        #expect(try CountdownMath.apply(.set(30_000), to: done, total: 180_000, now: t0, timerID: "t1") == .running(endsAt: t0 + 30_000))
        #expect(try CountdownMath.apply(.start, to: done, total: 180_000, now: t0, timerID: "t1") == .running(endsAt: t0 + 180_000))
    }

    @Test func durationsAreWrittenAsJavaWritesThemAndReadBack() {
        let cases: [(Int64, String)] = [
            (0, "PT0S"), (252_345, "PT4M12.345S"), (-3_200, "PT-3.2S"), (3_600_000, "PT1H"),
            (90_061_001, "PT25H1M1.001S"), (-252_345, "PT-4M-12.345S"), (500, "PT0.5S"), (60_010, "PT1M0.01S"),
        ]
        for (ms, text) in cases {
            #expect(ISO8601.formatDuration(milliseconds: ms) == text)
            #expect(ISO8601.durationMilliseconds(text) == ms)
        }
    }
}

@Suite struct CountdownCommands {
    @Test func pauseRecordsTheRemainingTimeAndRewritesTheTimerAsPaused() throws {
        let spec = Spec.given(.timerCreated(running(t0 + 252_345), owner: "alice"), .timerShared("t1", with: "bob")).at(t0)
        spec.when(.countdown("t1", .pause), by: bob).then([.timerCountdown("t1", .pause, result: .paused(remaining: 252_345))])
        let after = spec.and(.timerCountdown("t1", .pause, result: .paused(remaining: 252_345)))
        #expect(after.timerState.active?.timer.remainingDuration == "PT4M12.345S")
        #expect(after.timerState.active?.timer.end == nil)
        #expect(after.timerState.active?.timer.endsAt == nil)
        // Pausing again changes nothing.
        after.at(t0 + 5_000).when(.countdown("t1", .pause), by: alice).then([])
    }

    @Test func resumeRunsFromTheRemainingTimeWithAnInstantEnd() {
        let spec = Spec.given(.timerCreated(paused("PT4M12.345S"), owner: "alice")).at(t0)
        spec.when(.countdown("t1", .resume), by: alice).then([.timerCountdown("t1", .resume, result: .running(endsAt: t0 + 252_345))])
        let after = spec.and(.timerCountdown("t1", .resume, result: .running(endsAt: t0 + 252_345)))
        #expect(after.timerState.active?.timer.end == ISO8601.format(milliseconds: t0 + 252_345))
        #expect(after.timerState.active?.timer.remainingDuration == nil)
    }

    @Test func aTimerWithNeitherEndNorRemainingStartsFromItsTotal() {
        let idle = TimerSnapshot(id: "t1", name: "Tea", totalDuration: "PT3M")
        Spec.given(.timerCreated(idle, owner: "alice")).at(t0).when(.countdown("t1", .resume), by: alice)
            .then([.timerCountdown("t1", .resume, result: .running(endsAt: t0 + 180_000))])
    }

    @Test func strangersStoppedTimersAndBadAmountsAreRefused() {
        let spec = Spec.given(.timerCreated(running(t0 + 1000), owner: "alice")).at(t0)
        spec.when(.countdown("t1", .pause), by: carol).thenRejects(.notFound("t1"))
        spec.when(.countdown("t1", .set(-1)), by: alice).thenRejectsInvalid("remaining")
        spec.and(.timerStopped("t1", owner: "alice", sharedWith: [])).when(.countdown("t1", .start), by: alice).thenRejects(.timerStopped("t1"))
    }

    @Test func sumsThatWouldOverflowSaturateAtTheLastWritableInstant() {
        // 999,999,999,999 hours parse (Java takes them too); now + that overflows Int64 ms.
        let huge = TimerSnapshot(id: "t1", name: "Tea", totalDuration: "PT999999999999H", remainingDuration: "PT999999999999H")
        let spec = Spec.given(.timerCreated(huge, owner: "alice")).at(t0)
        let last = CountdownMath.maxInstant
        spec.when(.countdown("t1", .resume), by: alice).then([.timerCountdown("t1", .resume, result: .running(endsAt: last))])
        spec.when(.countdown("t1", .start), by: alice).then([.timerCountdown("t1", .start, result: .running(endsAt: last))])
        Spec.given(.timerCreated(running(t0), owner: "alice")).when(.countdown("t1", .add(Int64.max)), by: alice)
            .then([.timerCountdown("t1", .add(Int64.max), result: .running(endsAt: last))])
        Spec.given(.timerCreated(running(t0), owner: "alice")).when(.countdown("t1", .add(Int64.min + 1)), by: alice)
            .then([.timerCountdown("t1", .add(Int64.min + 1), result: .running(endsAt: -last))])
        #expect(ISO8601.format(milliseconds: last) == "9999-12-31T23:59:59.999Z")
    }

    @Test func aLocalEndNoServerResolvedCannotBeCountedDown() {
        let local = TimerSnapshot(id: "t1", name: "Tea", totalDuration: "PT3M", end: "2026-09-21T14:13")
        guard case .failure(.invalidState) = Spec.given(.timerCreated(local, owner: "alice")).when(.countdown("t1", .pause), by: alice) else {
            Issue.record("expected invalid_state")
            return
        }
    }
}

@Suite struct Completion {
    let end = t0 + 60_000

    @Test func theEndCompletesOnceAndOnlyWhileItIsTheEnd() {
        let spec = Spec.given(.timerCreated(running(end), owner: "alice")).at(end + 3)
        spec.when(.complete("t1", dueAt: end, kind: .onTime), by: Scheduler.actor)
            .then([.timerCompleted("t1", dueAt: end, firedAt: end + 3, kind: .onTime)])
        let done = spec.and(.timerCompleted("t1", dueAt: end, firedAt: end + 3, kind: .onTime))
        #expect(done.timerState.active?.countdown == .completed(endedAt: end))
        // A repeat (a crash between commit and the scheduler's next look) is a no-op.
        done.when(.complete("t1", dueAt: end, kind: .onTime), by: Scheduler.actor).then([])
    }

    @Test func aMovedPausedOrStoppedEndDoesNotFire() {
        let spec = Spec.given(.timerCreated(running(end), owner: "alice")).at(end)
        spec.and(.timerCountdown("t1", .add(60_000), result: .running(endsAt: end + 60_000)))
            .when(.complete("t1", dueAt: end, kind: .onTime), by: Scheduler.actor).then([])
        spec.and(.timerCountdown("t1", .pause, result: .paused(remaining: 1)))
            .when(.complete("t1", dueAt: end, kind: .onTime), by: Scheduler.actor).then([])
        spec.and(.timerStopped("t1", owner: "alice", sharedWith: []))
            .when(.complete("t1", dueAt: end, kind: .onTime), by: Scheduler.actor).then([])
    }

    @Test func anEchoOfTheSameEndKeepsTheCompletionAMovedEndClearsIt() {
        let done = Spec.given(.timerCreated(running(end), owner: "alice"), .timerCompleted("t1", dueAt: end, firedAt: end, kind: .onTime))
        var renamed = running(end)
        renamed.name = "Green tea"
        #expect(done.and(.timerUpdated(renamed)).timerState.active?.completedAt == end)
        #expect(done.and(.timerUpdated(running(end + 1000))).timerState.active?.completedAt == nil)
        #expect(done.and(.timerCountdown("t1", .start, result: .running(endsAt: end + 180_000))).timerState.active?.completedAt == nil)
    }
}

@Suite struct Reminders {
    let end = t0 + 600_000
    let fiveBefore = Reminder(id: "r1", user: "bob", trigger: .before(300_000))

    @Test func anyoneWhoSeesTheTimerMaySetOneForThemself() {
        let spec = Spec.given(.timerCreated(running(end), owner: "alice"), .timerShared("t1", with: "bob")).at(t0)
        spec.when(.setReminder("t1", fiveBefore), by: bob).then([.reminderSet("t1", fiveBefore)])
        // The reminder's user is the caller, whatever the command says.
        spec.when(.setReminder("t1", Reminder(id: "r2", user: "alice", trigger: .at(t0 + 1))), by: bob)
            .then([.reminderSet("t1", Reminder(id: "r2", user: "bob", trigger: .at(t0 + 1)))])
        spec.when(.setReminder("t1", fiveBefore), by: carol).thenRejects(.notFound("t1"))
        // An `at` already past is set (it fires at once, like an overdue alarm).
        spec.when(.setReminder("t1", Reminder(id: "r3", user: "bob", trigger: .at(t0 - 1))), by: bob)
            .then([.reminderSet("t1", Reminder(id: "r3", user: "bob", trigger: .at(t0 - 1)))])
        spec.when(.setReminder("t1", Reminder(id: "r3", user: "bob", trigger: .before(-1))), by: bob).thenRejectsInvalid("before")
    }

    @Test func aBeforeReminderFollowsTheEndAndWaitsWhilePaused() {
        let spec = Spec.given(.timerCreated(running(end), owner: "alice"), .timerShared("t1", with: "bob"), .reminderSet("t1", fiveBefore))
        #expect(fiveBefore.dueAt(runningEnd: spec.timerState.active?.runningEnd) == end - 300_000)
        let moved = spec.and(.timerCountdown("t1", .add(120_000), result: .running(endsAt: end + 120_000)))
        #expect(fiveBefore.dueAt(runningEnd: moved.timerState.active?.runningEnd) == end - 180_000)
        // The old due instant no longer fires; the new one does, once.
        moved.at(end).when(.fireReminder("t1", reminderID: "r1", dueAt: end - 300_000, kind: .onTime), by: Scheduler.actor).then([])
        moved.at(end - 180_000).when(.fireReminder("t1", reminderID: "r1", dueAt: end - 180_000, kind: .onTime), by: Scheduler.actor)
            .then([.reminderFired("t1", reminderID: "r1", user: "bob", dueAt: end - 180_000, firedAt: end - 180_000, kind: .onTime)])
        let pausedSpec = spec.and(.timerCountdown("t1", .pause, result: .paused(remaining: 1000)))
        #expect(fiveBefore.dueAt(runningEnd: pausedSpec.timerState.active?.runningEnd) == nil)
        let fired = moved.and(.reminderFired("t1", reminderID: "r1", user: "bob", dueAt: end - 180_000, firedAt: end - 180_000, kind: .onTime))
        #expect(fired.timerState.active?.reminders == [])
    }

    @Test func onlyTheirOwnerCancelsAndLeavingTheShareDropsThem() {
        let spec = Spec.given(.timerCreated(running(end), owner: "alice"), .timerShared("t1", with: "bob"), .reminderSet("t1", fiveBefore))
        spec.when(.cancelReminder("t1", reminderID: "r1"), by: alice).thenRejects(.reminderNotFound("r1"))
        spec.when(.cancelReminder("t1", reminderID: "r1"), by: bob).then([.reminderCancelled("t1", reminderID: "r1", user: "bob")])
        #expect(spec.and(.timerUnshared("t1", user: "bob")).timerState.active?.reminders == [])
    }

    @Test func aTimerHoldsAtMostTheLimit() {
        var spec = Spec.given(.timerCreated(running(end), owner: "alice")).at(t0)
        spec.limits.maxRemindersPerTimer = 1
        let full = spec.and(.reminderSet("t1", Reminder(id: "r0", user: "alice", trigger: .before(0))))
        full.when(.setReminder("t1", Reminder(id: "r1", user: "alice", trigger: .before(1))), by: alice).thenRejects(.tooManyReminders("t1", limit: 1))
    }
}

/// The scheduler's actor, as the decider sees it (the server module defines the real one).
private enum Scheduler { static let actor = Actor(userID: "server", deviceID: "scheduler") }
