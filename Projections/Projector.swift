public import TimerDomain
public import EventLog

/// Folds one committed event into every projection of a ``ViewStore``. Live appends and
/// replay both call this, and nothing else writes views.
public enum Projector {
    @inlinable
    public static func apply<Store: ViewStore>(_ e: EventEnvelope, to store: inout Store) throws {
        switch e.stream {
        case .timer(let id):
            let countdown = e.event.isCountdown
            try store.updateTimer(id, rescheduling: DueIndex.concerns(e.event)) { state, row in
                state.apply(e.event)
                TimerView.apply(e, to: &row, after: countdown ? state : nil)
            }
        case .user(let id):
            try store.updateUser(id) { $0.apply(e.event) }
            if InboxView.concerns(e.event) {
                let user = try store.userState(id)
                for change in try InboxView.changes(for: e, user: user, isConnected: { try store.isConnected(id, $0) }) { try store.apply(change) }
            }
        case .server:
            if case .schedulerEnabled(let since) = e.event, try store.schedulerSince() == nil { try store.setSchedulerSince(since) }
        }
        switch e.event {
        case .timerShared, .timerUnshared, .timerStopped:
            for change in ShareIndex.changes(for: e) { try store.apply(change) }
        default:
            break
        }
        switch e.event {
        case .timerCreated, .timerStopped:
            for change in OwnedTimers.changes(for: e) { try store.apply(change) }
        case .deviceConnected, .deviceDisconnected, .serverStarted:
            for change in ConnectionView.changes(for: e) { try store.apply(change) }
        case .userAvatarSet, .userErased:
            for change in AvatarView.changes(for: e) { try store.apply(change) }
        case .publicLinkCreated, .publicLinkRevoked:
            for change in PublicLinkView.changes(for: e) { try store.apply(change) }
        default:
            break
        }
        var epoch = try store.serverEpoch()
        if case .serverStarted = e.event { epoch = e.seq }
        try store.setPositions(applied: e.seq, epoch: epoch)
    }
}
