internal import Projections
internal import HTTPTypes
internal import TimerDomain
internal import BubbleCore

/// What the operator's and the user's decisions mean for tokens and sockets already out:
/// a disabled user's tokens (from any issuer) stop working and their sockets close; a token
/// of an ended session stops working and its sockets close.
enum SignInEnforcement {
    /// Refuses a valid token whose user is disabled or whose session has ended.
    static func check(_ token: VerifiedToken, server: ServerState) throws(ServerError) {
        let account: AccountState
        do { account = try server.store.read { try server.store.views.userState(token.user, $0).account } } catch {
            throw ServerError.from(error)
        }
        if account.disabled { throw ServerError.from(Rejection.signIn(.accountDisabled)) }
        if let session = token.session, account.session(session) == nil {
            throw ServerError(.unauthorized, code: "session_ended", "this sign-in session has ended (signed out or revoked); sign in again")
        }
    }

    /// On the writer thread after a commit: closes the sockets the committed events end.
    static func closeSockets(after events: [CommittedEvent], hub: ConnectionHub) {
        for e in events {
            switch e.event {
            case .userDisabled(let user, _):
                for connection in hub.connections(of: user) { connection.close(code: 4003, reason: "account disabled") }
            case .sessionsEnded(let user, let ids, _):
                let ended = Set(ids)
                for connection in hub.connections(of: user) where connection.session.map(ended.contains) == true {
                    connection.close(code: 4001, reason: "session ended")
                }
            default:
                break
            }
        }
    }
}
