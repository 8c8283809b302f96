/// Failures reading or writing the log, with the seq where the problem starts.
public enum LogError: Error, CustomStringConvertible {
    /// A record failed its checksum, did not decode, or has a format this build cannot read.
    case corrupt(seq: UInt64, reason: String)
    /// The data directory was written by a newer, incompatible build.
    case unsupportedFormat(found: Int, supported: Int)
    /// A record from elsewhere (a cluster's shared log) that is intact — its checksum holds —
    /// but that this build cannot read: a newer version wrote it.
    case newerRecord(seq: UInt64, reason: String)

    public var description: String {
        switch self {
        case .corrupt(let seq, let reason): "log record \(seq) is corrupt: \(reason)"
        case .unsupportedFormat(let found, let supported):
            "the log has format version \(found); this build reads versions up to \(supported)"
        case .newerRecord(let seq, let reason):
            "record \(seq) of the shared log is intact but this build cannot read it (\(reason)): a newer version wrote it; upgrade this node before it serves again (docs/operations.md)"
        }
    }
}
