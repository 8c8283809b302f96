public import TimerDomain
public import LMDB
public import Projections

/// The operator's view of and decisions about users (`bubble-timer users …`, `/admin/users`):
/// the same listing and the same commands whether the server runs or not.
public enum UserAdministration {
    public struct Summary: Sendable {
        public var id: UserID
        /// Opened with the user's key; `nil` when they gave none.
        public var email: String?
        public var displayName: String?
        public var disabled: Bool
        public var sessions: Int
        public var devices: Int
    }

    /// What an operator can do to a user; each is one command on the user's stream.
    public enum Action: String, Sendable, CaseIterable {
        case disable, enable
        case revokeSessions = "revoke-sessions"

        public func command(reason: String) -> Command {
            switch self {
            case .disable: .account(.disable(reason: reason))
            case .enable: .account(.enable)
            case .revokeSessions: .account(.endSessions(nil, reason: reason.isEmpty ? "revoked by the operator" : reason))
            }
        }
    }

    /// The operator acts as `server` on the user's stream (the log says who did it).
    public static func request(_ action: Action, user: UserID, reason: String) -> CommandRequest {
        CommandRequest(action.command(reason: reason), actor: Actor(userID: user, deviceID: "operator"))
    }

    /// Every registered (or disabled) user, in id order.
    public static func list(_ store: EventStore, _ txn: ReadTransaction) throws -> [Summary] {
        try list(views: store.views, keys: store.keys, txn)
    }

    static func list(views: ViewTables, keys: UserKeys, _ txn: ReadTransaction) throws -> [Summary] {
        var out: [Summary] = []
        try views.eachUserState(txn) { id, state in
            guard state.profile != nil || state.account.disabled else { return true }
            let personal = try keys.key(of: id, txn)
            out.append(Summary(
                id: id, email: state.profile?.email.flatMap { personal?.open($0) }, displayName: state.profile?.displayName.flatMap { personal?.open($0) },
                disabled: state.account.disabled, sessions: state.account.sessions.count, devices: state.connections.count
            ))
            return true
        }
        return out
    }
}
