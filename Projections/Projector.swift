internal import TimerDomain
public import EventLog

/// Folds one committed event into every projection of a ``ViewStore``. Live appends and
/// replay both call this, and nothing else writes views.
public enum Projector {
    public static func apply<Store: ViewStore>(_ e: EventEnvelope, to store: inout Store) throws {
        switch e.stream {
        case .timer(let id):
            try store.setTimerState(id, TimerState.evolve(try store.timerState(id), e.event))
            try store.setTimerView(id, TimerView.apply(try store.timerView(id), e))
        case .user(let id):
            try store.setUserState(id, UserState.evolve(try store.userState(id), e.event))
        case .server:
            break
        }
        for change in ShareIndex.changes(for: e) { try store.apply(change) }
        for change in OwnedTimers.changes(for: e) { try store.apply(change) }
        for change in ConnectionView.changes(for: e) { try store.apply(change) }
        var epoch = try store.serverEpoch()
        if case .serverStarted = e.event { epoch = e.seq }
        try store.setPositions(applied: e.seq, epoch: epoch)
    }
}
