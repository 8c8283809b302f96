import Foundation
import Testing
@testable import BubbleServer

/// The push sender's wait: a wake ends it, and the wait after that still waits.
@Suite struct WakeupTests {
    @Test func aWaitAfterAWakeWaitsForItsTimeout() async {
        let wakeup = Wakeup()
        let waker = Task {
            try? await Task.sleep(for: .milliseconds(20))
            wakeup.wake()
        }
        await wakeup.wait(seconds: 60)
        await waker.value
        // The first wait's timer was cancelled; it must not count as a wake (before the fix it
        // did, and every wait from then on returned at once: a busy loop).
        let started = ContinuousClock.now
        await wakeup.wait(seconds: 0.3)
        #expect(ContinuousClock.now - started >= .milliseconds(250))
    }

    @Test func aWakeBeforeTheWaitIsNotLost() async {
        let wakeup = Wakeup()
        wakeup.wake()
        let started = ContinuousClock.now
        await wakeup.wait(seconds: 60)
        #expect(ContinuousClock.now - started < .seconds(30))
    }
}
