import Testing
@testable import TimerDomain

/// Email sign-in and sessions as pure decisions: codes, attempts, rotation, reuse, disabling.
@Suite struct AccountTests {
    let user = Actor(userID: "u1", deviceID: "web")
    let salt: [UInt8] = [1, 2]
    var hash: (String) -> [UInt8] { { [salt] code in Spec.testDigest.hash(salt + Array(code.utf8)) } }
    let draw = TokenDraw(secret: [7, 7], expiresAt: 5_000)
    var pending: Event { .signInCodeIssued("u1", SignInCode(hash: hash("123456"), salt: salt, expiresAt: 1_000)) }
    func grant(_ generation: UInt64, secret: [UInt8], expiresAt: Int64 = 5_000) -> SessionGrant {
        SessionGrant(id: "s1", generation: generation, tokenHash: Spec.testDigest.hash(secret), expiresAt: expiresAt, device: "web")
    }

    @Test func aCodeIsKeptOnlyAsItsSaltedHash() {
        Spec().when(.issueCode(code: "123456", salt: salt, expiresAt: 1_000), by: user).then([pending])
    }

    @Test func theRightCodeRegistersANewUserAndStartsASession() {
        Spec.given(pending).at(999).when(.verify(code: "123456", email: "a@example.org", session: "s1", token: draw), by: user).then([
            .userRegistered("u1", email: Spec.testSealer.seal("a@example.org"), displayName: nil),
            .sessionStarted("u1", grant(0, secret: [7, 7])),
        ])
    }

    @Test func aKnownUserIsNotRegisteredAgain() {
        Spec.given(.userRegistered("u1", email: nil, displayName: nil), pending).at(1)
            .when(.verify(code: "123456", email: "a@example.org", session: "s1", token: draw), by: user)
            .then([.sessionStarted("u1", grant(0, secret: [7, 7]))])
    }

    @Test func aWrongCodeIsCountedAndFiveUseTheCodeUp() {
        var spec = Spec.given(pending).at(1)
        for _ in 0..<AccountState.maxAttempts {
            spec.when(.verify(code: "000000", email: "a@example.org", session: "s1", token: draw), by: user).then([.signInFailed("u1")])
            spec = spec.and(.signInFailed("u1"))
        }
        spec.when(.verify(code: "123456", email: "a@example.org", session: "s1", token: draw), by: user).thenRejects(.signIn(.invalidCode))
        // A new code starts the count again.
        spec.and(pending).when(.verify(code: "123456", email: "a@example.org", session: "s1", token: draw), by: user)
            .then([.userRegistered("u1", email: Spec.testSealer.seal("a@example.org"), displayName: nil), .sessionStarted("u1", grant(0, secret: [7, 7]))])
    }

    @Test func anExpiredOrUsedCodeSignsNobodyIn() {
        Spec.given(pending).at(1_000).when(.verify(code: "123456", email: "a@example.org", session: "s1", token: draw), by: user).thenRejects(.signIn(.invalidCode))
        Spec.given(pending, .sessionStarted("u1", grant(0, secret: [7, 7]))).at(1)
            .when(.verify(code: "123456", email: "a@example.org", session: "s2", token: draw), by: user).thenRejects(.signIn(.invalidCode))
        Spec().when(.verify(code: "123456", email: "a@example.org", session: "s1", token: draw), by: user).thenRejects(.signIn(.invalidCode))
    }

    @Test func refreshRotatesAndTheRotatedTokenComingBackEndsTheSession() {
        let started = Spec.given(.sessionStarted("u1", grant(0, secret: [1]))).at(10)
        let next = TokenDraw(secret: [2], expiresAt: 9_000)
        started.when(.refresh(PresentedToken(session: "s1", generation: 0, secret: [1]), next: next), by: user)
            .then([.sessionRefreshed("u1", grant(1, secret: [2], expiresAt: 9_000))])
        let rotated = started.and(.sessionRefreshed("u1", grant(1, secret: [2], expiresAt: 9_000)))
        #expect(rotated.userState.account.session("s1")?.previousHash == Spec.testDigest.hash([1]))
        rotated.when(.refresh(PresentedToken(session: "s1", generation: 0, secret: [1]), next: next), by: user)
            .then([.sessionsEnded("u1", ids: ["s1"], reason: "refresh token reused")])
        // A made-up token for an older generation is refused, not taken for reuse.
        rotated.when(.refresh(PresentedToken(session: "s1", generation: 0, secret: [3]), next: next), by: user).thenRejects(.signIn(.invalidRefreshToken))
        rotated.when(.refresh(PresentedToken(session: "s9", generation: 1, secret: [2]), next: next), by: user).thenRejects(.signIn(.invalidRefreshToken))
        rotated.at(9_000).when(.refresh(PresentedToken(session: "s1", generation: 1, secret: [2]), next: next), by: user).thenRejects(.signIn(.invalidRefreshToken))
    }

    @Test func logoutNeedsTheCurrentTokenAndEndSessionsOnlyTheLiveOnes() {
        let started = Spec.given(.sessionStarted("u1", grant(0, secret: [1])))
        started.when(.logout(PresentedToken(session: "s1", generation: 0, secret: [1])), by: user).then([.sessionsEnded("u1", ids: ["s1"], reason: "signed out")])
        started.when(.logout(PresentedToken(session: "s1", generation: 0, secret: [2])), by: user).thenRejects(.signIn(.invalidRefreshToken))
        started.when(.endSessions(["s1", "gone"], reason: "signed out"), by: user).then([.sessionsEnded("u1", ids: ["s1"], reason: "signed out")])
        started.when(.endSessions(nil, reason: "revoked"), by: user).then([.sessionsEnded("u1", ids: ["s1"], reason: "revoked")])
        Spec().when(.endSessions(nil, reason: "revoked"), by: user).then([])
    }

    @Test func aDisabledUserGetsNoCodeNoSessionAndNoRefresh() {
        let disabled = Spec.given(pending, .sessionStarted("u1", grant(0, secret: [1])), .userDisabled("u1", reason: ""))
        disabled.when(.issueCode(code: "1", salt: salt, expiresAt: 1), by: user).thenRejects(.signIn(.accountDisabled))
        disabled.when(.refresh(PresentedToken(session: "s1", generation: 0, secret: [1]), next: draw), by: user).thenRejects(.signIn(.accountDisabled))
        disabled.when(.disable(reason: "again"), by: user).then([])
        disabled.when(.enable, by: user).then([.userEnabled("u1")])
        Spec().when(.enable, by: user).then([])
    }

    @Test func theOldestSessionGoesWhenTooManyAreOpen() {
        var state = UserState()
        for i in 0...AccountState.maxSessions {
            state.apply(.sessionStarted("u1", SessionGrant(id: "s\(i)", generation: 0, tokenHash: [], expiresAt: 1, device: "d")))
        }
        #expect(state.account.sessions.count == AccountState.maxSessions)
        #expect(state.account.session("s0") == nil)
        #expect(state.account.session("s\(AccountState.maxSessions)") != nil)
    }
}
