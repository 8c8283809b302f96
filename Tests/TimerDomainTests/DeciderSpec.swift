import Testing
@testable import TimerDomain

/// `given(events).when(command, by:).then(events)` over the pure decider: no storage, no clock.
struct Spec {
    var timerState = TimerState.unknown
    var userState = UserState()
    var limits = Limits()
    var epoch: UInt64 = 0
    var knownUsers: Set<UserID> = []
    /// The server's clock as the decider gets it.
    var now: Int64 = 0
    /// A stand-in for the edge's key: deterministic like the real one, readable in failures.
    var sealer: Sealer? = Spec.testSealer
    /// The outbox entry's attempts, for push outcomes.
    var pushAttempt: Int?

    static let testSealer = Sealer { Sealed(Array("sealed:".utf8) + $0) }
    /// A stand-in for SHA-256: one-way enough to tell inputs apart, readable in failures.
    static let testDigest = Digest { Array("hash:".utf8) + $0 }

    static func given(_ events: Event...) -> Spec {
        var spec = Spec()
        for e in events {
            spec.timerState = TimerState.evolve(spec.timerState, e)
            spec.userState = UserState.evolve(spec.userState, e)
        }
        return spec
    }

    func context(_ actor: Actor) -> DecisionContext {
        var context = DecisionContext(actor: actor, serverEpoch: epoch, limits: limits, knownUsers: knownUsers, now: now)
        context.sealer = sealer
        context.digest = Spec.testDigest
        context.pushAttempt = pushAttempt
        return context
    }

    /// The same state, decided at `now`.
    func at(_ now: Int64) -> Spec {
        var spec = self
        spec.now = now
        return spec
    }

    /// The state after `events` on top of this one.
    func and(_ events: Event...) -> Spec {
        var spec = self
        for e in events {
            spec.timerState = TimerState.evolve(spec.timerState, e)
            spec.userState = UserState.evolve(spec.userState, e)
        }
        return spec
    }

    func when(_ command: TimerCommand, by actor: Actor) -> Result<[Event], Rejection> {
        Result { () throws(Rejection) in try Decider.decide(command, state: timerState, context: context(actor)) }
    }

    func when(_ command: AccountCommand, by actor: Actor) -> Result<[Event], Rejection> {
        Result { () throws(Rejection) in try Decider.decide(command, state: userState, context: context(actor)) }
    }

    func when(_ command: DeviceCommand, by actor: Actor) -> Result<[Event], Rejection> {
        Result { () throws(Rejection) in try Decider.decide(command, state: userState, context: context(actor)) }
    }
}

extension Result where Success == [Event], Failure == Rejection {
    func then(_ expected: [Event], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(self == .success(expected), sourceLocation: sourceLocation)
    }

    func thenRejects(_ expected: Rejection, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(self == .failure(expected), sourceLocation: sourceLocation)
    }

    func thenRejectsInvalid(_ field: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .failure(.invalid(let f, let reason)) = self else {
            Issue.record("expected invalid \(field), got \(self)", sourceLocation: sourceLocation)
            return
        }
        #expect(f == field, sourceLocation: sourceLocation)
        #expect(!reason.isEmpty, sourceLocation: sourceLocation)
    }
}

let alice = Actor(userID: "alice", deviceID: "alice-phone")
let aliceTablet = Actor(userID: "alice", deviceID: "alice-tablet")
let bob = Actor(userID: "bob", deviceID: "bob-phone")
let carol = Actor(userID: "carol", deviceID: "carol-laptop")

func tea(_ name: String = "Tea", end: String? = "2025-08-12T14:03", remaining: String? = nil) -> TimerSnapshot {
    TimerSnapshot(id: "t1", name: name, totalDuration: "PT3M", remainingDuration: remaining, end: remaining == nil ? end : nil, tags: ["kitchen"])
}
