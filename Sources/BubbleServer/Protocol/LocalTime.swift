internal import TimerDomain
internal import BubbleCore

/// Ends for the Android app: its parser (`LocalDateTime.parse`) crashes on an offset or `Z`,
/// and it reads a local end in its own zone. So an end goes to an Android device as the local
/// date-time of its instant in the recipient's zone; a local end whose string already means
/// that instant there is relayed byte for byte (the sender's own zone, the common case).
enum LocalTime {
    static func render(_ end: String, endsAt: Int64?, zone: String) -> String {
        let local = ISO8601.isLocalDateTime(end)
        guard let instant = endsAt ?? (local ? nil : ISO8601.instantMilliseconds(end)) else { return end }
        if local, ZoneRules.resolve(end: end, in: zone) == instant { return end }
        guard let fields = ZoneRules.local(instant: instant, in: zone) else { return end }
        return ISO8601.formatLocal(milliseconds: fields)
    }
}
