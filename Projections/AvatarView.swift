public import TimerDomain
public import EventLog

/// A user's avatar as served: the sealed image and the seq it was set at (its URL's version).
public struct AvatarRow: Equatable, Sendable {
    public var avatar: Avatar
    public var seq: UInt64

    public init(avatar: Avatar, seq: UInt64) {
        self.avatar = avatar
        self.seq = seq
    }
}

/// One change to the avatar view (user → image). Images live apart from `user_state`, which
/// the decider reads on every device command.
public enum AvatarChange: Equatable, Sendable {
    case set(user: UserID, AvatarRow)
    case remove(user: UserID)
}

public enum AvatarView {
    public static func changes(for e: EventEnvelope) -> [AvatarChange] {
        switch e.event {
        case .userAvatarSet(let user, let avatar?): [.set(user: user, AvatarRow(avatar: avatar, seq: e.seq))]
        case .userAvatarSet(let user, nil), .userErased(let user): [.remove(user: user)]
        default: []
        }
    }
}
