public import TimerDomain
public import LMDB

/// How to open an ``EventStore``.
public struct StoreOptions: Sendable {
    public var limits = Limits()
    public var environment = EnvironmentOptions()
    /// Most commands folded into one write transaction (one fsync).
    public var maxBatch = 4096
    /// The clock, in Unix milliseconds (tests pin it).
    public var clock: @Sendable () -> Int64 = currentMilliseconds
    /// The zone for local ends from users and devices that named none (`--time-zone`).
    public var timeZone: String = ZoneRules.machineZone
    /// A cluster's log of record (issue 16): set, this directory is its replica and every
    /// commit goes through it; `nil` (the default), this directory's LMDB log is the record.
    public var sharedLog: (any SharedLog)?

    public init() {}
}
