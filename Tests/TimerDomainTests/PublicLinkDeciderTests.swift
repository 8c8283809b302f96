import Testing
@testable import TimerDomain

/// Public links as pure decisions: only the owner makes or revokes them, within the limit.
@Suite struct PublicLinkDeciderTests {
    let shared = Spec.given(.timerCreated(tea(), owner: "alice"), .timerShared("t1", with: "bob"))

    @Test func theOwnerMakesAndRevokesLinks() {
        shared.when(.createLink("t1", token: "tok1"), by: alice).then([.publicLinkCreated("t1", token: "tok1")])
        let linked = shared.and(.publicLinkCreated("t1", token: "tok1"))
        #expect(linked.timerState.active?.links == ["tok1"])
        linked.when(.revokeLink("t1", token: "tok1"), by: alice).then([.publicLinkRevoked("t1", token: "tok1")])
        #expect(linked.and(.publicLinkRevoked("t1", token: "tok1")).timerState.active?.links == [])
        linked.when(.revokeLink("t1", token: "other"), by: alice).thenRejects(.linkNotFound("other"))
    }

    @Test func othersCannotAndTheLimitHolds() {
        shared.when(.createLink("t1", token: "tok1"), by: bob).thenRejects(.forbidden("t1", reason: "only the owner can make a public link"))
        shared.when(.createLink("t1", token: "tok1"), by: carol).thenRejects(.notFound("t1"))
        Spec().when(.createLink("t1", token: "tok1"), by: alice).thenRejects(.notFound("t1"))
        var full = shared
        full.limits.maxLinksPerTimer = 2
        full = full.and(.publicLinkCreated("t1", token: "a"), .publicLinkCreated("t1", token: "b"))
        full.when(.createLink("t1", token: "c"), by: alice).thenRejects(.invalidState("t1", reason: "it has 2 public links, the most this server allows; revoke one first"))
        // A stopped timer's links are gone with it.
        shared.and(.publicLinkCreated("t1", token: "a"), .timerStopped("t1", owner: "alice", sharedWith: ["bob"]))
            .when(.revokeLink("t1", token: "a"), by: alice).thenRejects(.notFound("t1"))
    }
}
