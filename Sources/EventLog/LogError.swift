/// Failures reading or writing the log, with the seq where the problem starts.
public enum LogError: Error, CustomStringConvertible {
    /// A record failed its checksum, did not decode, or has a format this build cannot read.
    case corrupt(seq: UInt64, reason: String)
    /// The data directory was written by a newer, incompatible build.
    case unsupportedFormat(found: Int, supported: Int)

    public var description: String {
        switch self {
        case .corrupt(let seq, let reason): "log record \(seq) is corrupt: \(reason)"
        case .unsupportedFormat(let found, let supported):
            "the log has format version \(found); this build reads versions up to \(supported)"
        }
    }
}
