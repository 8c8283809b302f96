public import TimerDomain

/// Where projections keep their rows. Two implementations share every fold: the LMDB one
/// (live, in the append's write transaction) and the in-memory one (replay, verify, time
/// travel), so replay cannot drift from live.
public protocol ViewStore {
    /// Decider state of one timer: the fold of its stream with `evolve`.
    func timerState(_ id: TimerID) throws -> TimerState
    func userState(_ id: UserID) throws -> UserState

    /// Changes one timer's decider state and view row together, in place where the store can.
    /// With `rescheduling`, the event may move what falls due: the store brings the due and
    /// reminder indexes to ``DueIndex/Schedule`` of the state after `body`.
    mutating func updateTimer(_ id: TimerID, rescheduling: Bool, _ body: (inout TimerState, inout TimerViewRow?) -> Void) throws
    mutating func updateUser(_ id: UserID, _ body: (inout UserState) -> Void) throws

    // Indexes.
    mutating func apply(_ change: ShareChange) throws
    mutating func apply(_ change: OwnershipChange) throws
    mutating func apply(_ change: ConnectionChange) throws
    mutating func apply(_ change: InboxChange) throws
    mutating func apply(_ change: AvatarChange) throws
    mutating func apply(_ change: PublicLinkChange) throws
    /// Whether the connection view has a live connection of `user`'s `device`.
    func isConnected(_ user: UserID, _ device: DeviceID) throws -> Bool

    /// Seq of the latest server-start marker (connections from earlier epochs are dead).
    func serverEpoch() throws -> UInt64
    /// Seq of the last event folded in.
    func appliedSeq() throws -> UInt64
    mutating func setPositions(applied: UInt64, epoch: UInt64) throws
    /// The instant the scheduler first ran (`scheduler_enabled`), `nil` before.
    func schedulerSince() throws -> Int64?
    mutating func setSchedulerSince(_ since: Int64) throws
}
