internal import Foundation
internal import TimerDomain

/// The one place time zones are applied: local date-times from devices become instants here,
/// at the edge, and instants become local times for Android devices. The domain has no zones.
/// Zone data is the system's (Debian's `tzdata`).
public enum ZoneRules {
    /// Whether `name` is an IANA zone this machine knows.
    public static func isZone(_ name: String) -> Bool { zone(name) != nil }

    /// The machine's zone (`TZ`, else `/etc/localtime`).
    public static var machineZone: String { TimeZone.current.identifier }

    /// The instant (Unix ms) a local date-time means in `zone`, its fields given as Unix ms
    /// read as UTC (``ISO8601/localMilliseconds(_:)``). A time that happens twice (clocks go
    /// back) is the earlier instant; one that never happens (clocks go forward) is moved later
    /// by the length of the gap, so 02:30 on a spring-forward night is 03:30 — both as
    /// `java.time.ZonedDateTime.of` resolves them. `nil` for an unknown zone.
    public static func instant(local: Int64, in name: String) -> Int64? {
        guard let tz = zone(name) else { return nil }
        func offset(_ instant: Int64) -> Int64 {
            Int64(tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant) / 1000))) * 1000
        }
        // Offsets in force a day either side cover any one transition.
        let before = offset(local - 86_400_000)
        let after = offset(local + 86_400_000)
        var candidates: [Int64] = []
        for o in before == after ? [before] : [before, after] where offset(local - o) == o {
            candidates.append(local - o)
        }
        return candidates.min() ?? local - before
    }

    /// The local date-time fields (as Unix ms read as UTC) of `instant` in `zone`.
    public static func local(instant: Int64, in name: String) -> Int64? {
        guard let tz = zone(name) else { return nil }
        return instant + Int64(tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant) / 1000))) * 1000
    }

    /// The instant a timer's local `end` means in `zone`; `nil` when it is not local or the
    /// zone is unknown.
    public static func resolve(end: String, in zone: String) -> Int64? {
        guard ISO8601.isLocalDateTime(end), let local = ISO8601.localMilliseconds(end) else { return nil }
        return instant(local: local, in: zone)
    }

    private static let cache = Cache()

    private static func zone(_ name: String) -> TimeZone? { cache.zone(name) }

    /// `TimeZone(identifier:)` reads and parses a file; frames render per recipient zone.
    private final class Cache: @unchecked Sendable {
        private let lock = NSLock()
        private var zones: [String: TimeZone?] = [:]

        func zone(_ name: String) -> TimeZone? {
            lock.lock()
            defer { lock.unlock() }
            if let hit = zones[name] { return hit }
            let tz = TimeZone(identifier: name)
            if zones.count < 1024 { zones[name] = tz }
            return tz
        }
    }
}
