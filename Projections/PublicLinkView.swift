public import TimerDomain
public import EventLog

/// One change to the public link index (token → timer). A link works while its timer is live
/// and holds the token (``ActiveTimer/links``); the index only finds the timer, so a stopped
/// timer's entries may stay: the timer's state refuses them.
public enum PublicLinkChange: Equatable, Sendable {
    case set(token: String, timer: TimerID)
    case remove(token: String)
}

public enum PublicLinkView {
    public static func changes(for e: EventEnvelope) -> [PublicLinkChange] {
        switch e.event {
        case .publicLinkCreated(let timer, let token): [.set(token: token, timer: timer)]
        case .publicLinkRevoked(_, let token): [.remove(token: token)]
        default: []
        }
    }
}
