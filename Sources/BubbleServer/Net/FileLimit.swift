#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// The process's open-file limit against the connection cap: every connection is a file
/// descriptor, and the server needs more for LMDB, logs and its listeners. A cap above the
/// limit lets a flood of connections starve the server of descriptors before any cap bites.
enum FileLimit {
    /// Descriptors kept for everything that is not a client connection.
    static let reserve = 64

    /// Raises the soft limit toward the hard one when the cap needs it; returns the soft
    /// limit in force afterwards.
    static func ensure(room connections: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return Int.max }
        let wanted = rlim_t(connections + reserve)
        if limit.rlim_cur < wanted {
            var raised = limit
            raised.rlim_cur = min(wanted, limit.rlim_max)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }
}
