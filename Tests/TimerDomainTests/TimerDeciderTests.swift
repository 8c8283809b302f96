import Testing
@testable import TimerDomain

@Suite struct UpdateTimer {
    @Test func firstUpdateCreatesTheTimerOwnedByTheCaller() {
        Spec.given().when(.update(tea()), by: bob).then([.timerCreated(tea(), owner: "bob")])
    }

    @Test func firstUpdateWithShareWithAddsSharesButNeverTheOwner() {
        Spec.given().when(.update(tea(), shareWith: ["alice", "bob", "carol", "bob"]), by: alice)
            .then([.timerCreated(tea(), owner: "alice"), .timerShared("t1", with: "bob"), .timerShared("t1", with: "carol")])
    }

    @Test func ownerAndSharedUsersMayUpdate() {
        let spec = Spec.given(.timerCreated(tea(), owner: "alice"), .timerShared("t1", with: "bob"))
        spec.when(.update(tea("Green")), by: aliceTablet).then([.timerUpdated(tea("Green"))])
        spec.when(.update(tea(end: nil, remaining: "PT-3.2S")), by: bob).then([.timerUpdated(tea(end: nil, remaining: "PT-3.2S"))])
    }

    @Test func anUpdateThatChangesNothingAppendsNothing() {
        Spec.given(.timerCreated(tea(), owner: "alice")).when(.update(tea()), by: alice).then([])
    }

    @Test func aStrangerGetsNotFoundNotForbidden() {
        Spec.given(.timerCreated(tea(), owner: "alice")).when(.update(tea("Mine now")), by: carol).thenRejects(.notFound("t1"))
    }

    @Test func sharedUsersShareWithListIsIgnored() {
        Spec.given(.timerCreated(tea(), owner: "alice"), .timerShared("t1", with: "bob"))
            .when(.update(tea("Green"), shareWith: ["alice", "bob", "mallory"]), by: bob)
            .then([.timerUpdated(tea("Green"))])
    }

    @Test func ownerShareWithAddsOnlyNewUsers() {
        Spec.given(.timerCreated(tea(), owner: "alice"), .timerShared("t1", with: "bob"))
            .when(.update(tea(), shareWith: ["alice", "bob", "carol"]), by: alice)
            .then([.timerShared("t1", with: "carol")])
    }

    @Test func aStoppedTimerIdIsNotReused() {
        let spec = Spec.given(.timerCreated(tea(), owner: "alice"), .timerStopped("t1", owner: "alice", sharedWith: []))
        spec.when(.update(tea()), by: alice).thenRejects(.timerStopped("t1"))
        spec.when(.update(tea()), by: bob).thenRejects(.notFound("t1"))
    }

    @Test func validationNamesTheField() {
        let spec = Spec.given()
        spec.when(.update(TimerSnapshot(id: "", name: "x", totalDuration: "PT1M")), by: alice).thenRejectsInvalid("id")
        spec.when(.update(TimerSnapshot(id: "t", name: "", totalDuration: "PT1M")), by: alice).thenRejectsInvalid("name")
        spec.when(.update(TimerSnapshot(id: "t", name: "x", totalDuration: "")), by: alice).thenRejectsInvalid("totalDuration")
        spec.when(.update(TimerSnapshot(id: String(repeating: "x", count: 129), name: "x", totalDuration: "PT1M")), by: alice)
            .thenRejectsInvalid("id")
        spec.when(.update(TimerSnapshot(id: "t", name: String(repeating: "n", count: 257), totalDuration: "PT1M")), by: alice)
            .thenRejectsInvalid("name")
        spec.when(.update(TimerSnapshot(id: "a\u{0}b", name: "x", totalDuration: "PT1M")), by: alice).thenRejectsInvalid("id")
        spec.when(.update(TimerSnapshot(id: "t", name: "x", totalDuration: "PT1M", end: "tomorrow")), by: alice).thenRejectsInvalid("timerEnd")
        spec.when(.update(TimerSnapshot(id: "t", name: "x", totalDuration: "PT1M", tags: Array(repeating: "x", count: 33))), by: alice)
            .thenRejectsInvalid("tags")
        spec.when(.update(tea(), shareWith: [""]), by: alice).thenRejectsInvalid("shareWith")
    }

    /// Values the Android app's parser throws on (and so crashes on when relayed) are refused.
    @Test func valuesTheAndroidParserRejectsAreRefused() {
        let spec = Spec.given()
        spec.when(.update(TimerSnapshot(id: "zt", name: "x", totalDuration: "banana", end: "2025-08-12T14:03:00Z")), by: alice)
            .thenRejectsInvalid("totalDuration")
        spec.when(.update(TimerSnapshot(id: "zt", name: "x", totalDuration: "P1W", end: "2025-08-12T14:03")), by: alice)
            .thenRejectsInvalid("totalDuration")
        spec.when(.update(TimerSnapshot(id: "zt", name: "x", totalDuration: "PT1M", remainingDuration: "P1Y")), by: alice)
            .thenRejectsInvalid("remainingDuration")
        spec.when(.update(TimerSnapshot(id: "zt", name: "x", totalDuration: "PT1M", end: "2025-08-12 14:03")), by: alice)
            .thenRejectsInvalid("timerEnd")
        spec.when(.update(TimerSnapshot(id: "zt", name: "x", totalDuration: "PT1M", remainingDuration: "PT30S", end: "2025-08-12T14:03")), by: alice)
            .thenRejectsInvalid("remainingDuration")
        // An instant from a seed client is accepted as it stands.
        let seed = TimerSnapshot(id: "zt", name: "x", totalDuration: "PT1M", end: "2025-08-12T14:03:00Z")
        spec.when(.update(seed), by: alice).then([.timerCreated(seed, owner: "alice")])
    }
}

@Suite struct Ownership {
    @Test func aNewTimerClaimedForAnotherKnownUserIsRefused() {
        var spec = Spec.given()
        spec.knownUsers = ["alice"]
        spec.when(.update(tea(), shareWith: ["alice"], claimedOwner: "alice"), by: bob)
            .thenRejects(.forbidden("t1", reason: "the timer names 'alice' as its owner; only they can create it"))
    }

    @Test func anUnknownOrPlaceholderOrOwnClaimMakesTheCallerTheOwner() {
        var spec = Spec.given()
        spec.knownUsers = []
        spec.when(.update(tea(), claimedOwner: "whattheheck"), by: bob).then([.timerCreated(tea(), owner: "bob")])
        spec.when(.update(tea(), claimedOwner: "bob"), by: bob).then([.timerCreated(tea(), owner: "bob")])
        spec.when(.update(tea(), claimedOwner: nil), by: bob).then([.timerCreated(tea(), owner: "bob")])
    }

    @Test func anExistingTimerKeepsItsOwnerWhateverThePayloadSays() {
        var spec = Spec.given(.timerCreated(tea(), owner: "alice"), .timerShared("t1", with: "bob"))
        spec.knownUsers = ["carol"]
        spec.when(.update(tea("Green"), claimedOwner: "carol"), by: bob).then([.timerUpdated(tea("Green"))])
    }
}

@Suite struct InviteTimer {
    @Test func createsAndSharesInOneCommand() {
        Spec.given().when(.invite("t1", users: ["bob", "carol"], timer: tea()), by: alice)
            .then([.timerCreated(tea(), owner: "alice"), .timerShared("t1", with: "bob"), .timerShared("t1", with: "carol")])
    }

    @Test func aSharedUserWhoIsNotTheOwnerIsRefusedAndNothingChanges() {
        Spec.given(.timerCreated(tea(), owner: "alice"), .timerShared("t1", with: "bob"))
            .when(.invite("t1", users: ["carol"], timer: tea("Renamed by bob")), by: bob)
            .thenRejects(.forbidden("t1", reason: "only the owner can share this timer"))
    }

    @Test func aStrangerGetsNotFound() {
        Spec.given(.timerCreated(tea(), owner: "alice")).when(.invite("t1", users: ["carol"], timer: nil), by: carol)
            .thenRejects(.notFound("t1"))
    }

    @Test func withoutATimerAnUnknownIdIsNotFound() {
        Spec.given().when(.invite("t1", users: ["bob"], timer: nil), by: alice).thenRejects(.notFound("t1"))
    }

    @Test func idsThatCannotBeUsersAreLeftOutAndTheRestShared() {
        Spec.given(.timerCreated(tea(), owner: "alice"))
            .when(.invite("t1", users: ["", "bob", "a\u{0}b"], timer: tea("Green")), by: alice)
            .then([.timerUpdated(tea("Green")), .timerShared("t1", with: "bob")])
    }
}

@Suite struct UpdateTimerLimits {

    @Test func tooManySharesIsRejectedWithTheLimit() {
        var spec = Spec.given()
        spec.limits.maxSharesPerTimer = 2
        spec.when(.update(tea(), shareWith: ["b", "c", "d"]), by: alice).thenRejects(.tooManyShares("t1", limit: 2))
    }

    @Test func clientStringsAreKeptAsReceived() {
        let odd = TimerSnapshot(id: "t1", name: "Odd", totalDuration: "PT4M59.123S", end: "2025-08-12T14:03:07.123456789")
        Spec.given().when(.update(odd), by: alice).then([.timerCreated(odd, owner: "alice")])
        let paused = TimerSnapshot(id: "t1", name: "Odd", totalDuration: "pt4m59,123s", remainingDuration: "PT-3.2S")
        Spec.given().when(.update(paused), by: alice).then([.timerCreated(paused, owner: "alice")])
    }
}

@Suite struct Identifiers {
    @Test func timerIdsUseOneURLSafeAlphabetAndSharedIsReserved() {
        let alphabet = "may hold only letters A-Z a-z, digits and - _ . ~ : (^[A-Za-z0-9._~:-]+$)"
        for id in ["a/b", "50%", "tab\there", "caf\u{e9}", "sp ace"] {
            let timer = TimerSnapshot(id: id, name: "Tea", totalDuration: "PT5M")
            Spec.given().when(.update(timer), by: alice).thenRejects(.invalid(field: "id", reason: alphabet))
        }
        let shared = TimerSnapshot(id: "shared", name: "Tea", totalDuration: "PT5M")
        Spec.given().when(.update(shared), by: alice).thenRejects(.invalid(field: "id", reason: "'shared' is reserved"))
        let dots = TimerSnapshot(id: "..", name: "Tea", totalDuration: "PT5M")
        Spec.given().when(.update(dots), by: alice).thenRejects(.invalid(field: "id", reason: "'..' is a path step, not an id"))
        let uuid = TimerSnapshot(id: "3F2504E0-4F89-11D3-9A0C-0305E82C3301", name: "Tea", totalDuration: "PT5M")
        Spec.given().when(.update(uuid), by: alice).then([.timerCreated(uuid, owner: "alice")])
    }

    @Test func userIdsKeepWhatTheIdentityProviderGives() {
        Spec.given(.timerCreated(tea(), owner: "alice"))
            .when(.share("t1", with: "b\u{f6}b+home@example.com/x"), by: alice)
            .then([.timerShared("t1", with: "b\u{f6}b+home@example.com/x")])
    }

    @Test func idsAreCheckedBeforeAnyLookup() {
        let limits = Limits()
        #expect(throws: Rejection.invalid(field: "timerId", reason: "is required and must not be empty")) {
            try Decider.checkIDs(.stop(""), limits: limits)
        }
        #expect(throws: Rejection.invalid(field: "userId", reason: "must not contain NUL characters")) {
            try Decider.checkIDs(.unshare("t1", user: "a\u{0}b"), limits: limits)
        }
        #expect(!Decider.isLookupable("", limits: limits))
    }
}

@Suite struct StopTimer {
    @Test func ownerOrSharedUserStopsAndTheEventNamesEveryoneWhoSawIt() {
        let spec = Spec.given(.timerCreated(tea(), owner: "alice"), .timerShared("t1", with: "carol"), .timerShared("t1", with: "bob"))
        spec.when(.stop("t1"), by: bob).then([.timerStopped("t1", owner: "alice", sharedWith: ["bob", "carol"])])
        spec.when(.stop("t1"), by: alice).then([.timerStopped("t1", owner: "alice", sharedWith: ["bob", "carol"])])
    }

    @Test func stoppingAnUnknownOrStoppedTimerIsANoOp() {
        Spec.given().when(.stop("nope"), by: alice).then([])
        Spec.given(.timerCreated(tea(), owner: "alice"), .timerStopped("t1", owner: "alice", sharedWith: []))
            .when(.stop("t1"), by: alice).then([])
    }

    @Test func aStrangerCannotStop() {
        Spec.given(.timerCreated(tea(), owner: "alice")).when(.stop("t1"), by: carol).thenRejects(.notFound("t1"))
    }
}

@Suite struct ShareTimer {
    @Test func ownerShares() {
        Spec.given(.timerCreated(tea(), owner: "alice")).when(.share("t1", with: "bob"), by: alice).then([.timerShared("t1", with: "bob")])
    }

    @Test func sharingTwiceIsANoOp() {
        Spec.given(.timerCreated(tea(), owner: "alice"), .timerShared("t1", with: "bob"))
            .when(.share("t1", with: "bob"), by: alice).then([])
    }

    @Test func sharedUserCannotShareFurther() {
        guard case .failure(.forbidden("t1", _)) = Spec.given(.timerCreated(tea(), owner: "alice"), .timerShared("t1", with: "bob"))
            .when(.share("t1", with: "carol"), by: bob) else {
            Issue.record("expected forbidden")
            return
        }
    }

    @Test func strangerAndUnknownTimerGetNotFound() {
        Spec.given(.timerCreated(tea(), owner: "alice")).when(.share("t1", with: "carol"), by: carol).thenRejects(.notFound("t1"))
        Spec.given().when(.share("t1", with: "bob"), by: alice).thenRejects(.notFound("t1"))
    }

    @Test func sharingWithTheOwnerChangesNothingAndAnEmptyUserIsRefused() {
        let spec = Spec.given(.timerCreated(tea(), owner: "alice"))
        spec.when(.share("t1", with: "alice"), by: alice).then([])
        spec.when(.share("t1", with: ""), by: alice).thenRejectsInvalid("sharedWithUser")
    }
}

@Suite struct UnshareTimer {
    let shared = Spec.given(.timerCreated(tea(), owner: "alice"), .timerShared("t1", with: "bob"), .timerShared("t1", with: "carol"))

    @Test func ownerRemovesAUser() {
        shared.when(.unshare("t1", user: "bob"), by: alice).then([.timerUnshared("t1", user: "bob")])
    }

    @Test func aSharedUserMayLeave() {
        shared.when(.unshare("t1", user: "bob"), by: bob).then([.timerUnshared("t1", user: "bob")])
    }

    @Test func aSharedUserCannotRemoveOthers() {
        guard case .failure(.forbidden) = shared.when(.unshare("t1", user: "carol"), by: bob) else {
            Issue.record("expected forbidden")
            return
        }
    }

    @Test func removingSomeoneNotSharedIsANoOp() {
        shared.when(.unshare("t1", user: "dave"), by: alice).then([])
    }

    @Test func strangerGetsNotFound() {
        shared.when(.unshare("t1", user: "bob"), by: Actor(userID: "mallory", deviceID: "m")).thenRejects(.notFound("t1"))
    }
}

@Suite struct Devices {
    @Test func connectRecordsTheConnectionInTheCurrentEpoch() {
        var spec = Spec.given()
        spec.epoch = 7
        spec.when(.connect(connectionID: "c1"), by: alice).then([.deviceConnected("alice", device: "alice-phone", connectionID: "c1", epoch: 7)])
    }

    @Test func aNewerConnectionReplacesAndTheOldOnesDisconnectIsANoOp() {
        let spec = Spec.given(
            .deviceConnected("alice", device: "alice-phone", connectionID: "c1", epoch: 0),
            .deviceConnected("alice", device: "alice-phone", connectionID: "c2", epoch: 0)
        )
        spec.when(.disconnect(connectionID: "c1", reason: "closed"), by: alice).then([])
        spec.when(.disconnect(connectionID: "c2", reason: "closed"), by: alice)
            .then([.deviceDisconnected("alice", device: "alice-phone", connectionID: "c2", reason: "closed")])
    }

    @Test func connectionsFromBeforeARestartAreAlreadyGone() {
        var spec = Spec.given(.deviceConnected("alice", device: "alice-phone", connectionID: "c1", epoch: 1))
        spec.epoch = 5
        spec.when(.disconnect(connectionID: "c1", reason: "closed"), by: alice).then([])
    }

    @Test func pushTokensRegisterOnceAndRemoveOnce() {
        let spec = Spec.given(.pushTokenRegistered("alice", device: "alice-phone", token: "tok"))
        spec.when(.registerPushToken(device: "alice-phone", token: "tok"), by: alice).then([])
        spec.when(.registerPushToken(device: "alice-phone", token: "tok2"), by: alice)
            .then([.pushTokenRegistered("alice", device: "alice-phone", token: "tok2")])
        spec.when(.removePushToken(device: "alice-phone"), by: aliceTablet).then([.pushTokenRemoved("alice", device: "alice-phone")])
        spec.when(.removePushToken(device: "other"), by: alice).then([])
        spec.when(.registerPushToken(device: "alice-phone", token: ""), by: alice).thenRejectsInvalid("fcmToken")
    }
}

@Suite struct Evolve {
    @Test func foldsAHistory() {
        let state = [
            Event.timerCreated(tea(), owner: "alice"), .timerShared("t1", with: "bob"), .timerUpdated(tea("Green")),
            .timerShared("t1", with: "carol"), .timerUnshared("t1", user: "bob"),
        ].reduce(TimerState.initial, TimerState.evolve)
        #expect(state == .active(ActiveTimer(owner: "alice", timer: tea("Green"), sharedWith: ["carol"])))
        #expect(TimerState.evolve(state, .timerStopped("t1", owner: "alice", sharedWith: ["carol"])) == .stopped(owner: "alice"))
    }

    @Test func impossiblePairsLeaveStateUnchanged() {
        #expect(TimerState.evolve(.unknown, .timerUpdated(tea())) == .unknown)
        #expect(TimerState.evolve(.unknown, .deviceConnected("a", device: "d", connectionID: "c", epoch: 0)) == .unknown)
    }

    @Test func eventsNameTheirStream() {
        #expect(Event.timerShared("t1", with: "bob").stream == .timer("t1"))
        #expect(Event.pushTokenRemoved("bob", device: "d").stream == .user("bob"))
        #expect(StreamID(parsing: StreamID.timer("a:b").description) == .timer("a:b"))
        #expect(StreamID(parsing: "nonsense") == nil)
    }
}
