public import TimerDomain

/// Where projections keep their rows. Two implementations share every fold: the LMDB one
/// (live, in the append's write transaction) and the in-memory one (replay, verify, time
/// travel), so replay cannot drift from live.
public protocol ViewStore {
    // Decider state: the fold of each stream with `evolve`.
    func timerState(_ id: TimerID) throws -> TimerState
    mutating func setTimerState(_ id: TimerID, _ state: TimerState) throws
    func userState(_ id: UserID) throws -> UserState
    mutating func setUserState(_ id: UserID, _ state: UserState) throws

    // Read models.
    func timerView(_ id: TimerID) throws -> TimerViewRow?
    mutating func setTimerView(_ id: TimerID, _ row: TimerViewRow?) throws
    mutating func apply(_ change: ShareChange) throws
    mutating func apply(_ change: OwnershipChange) throws
    mutating func apply(_ change: ConnectionChange) throws

    /// Seq of the latest server-start marker (connections from earlier epochs are dead).
    func serverEpoch() throws -> UInt64
    /// Seq of the last event folded in.
    func appliedSeq() throws -> UInt64
    mutating func setPositions(applied: UInt64, epoch: UInt64) throws
}
