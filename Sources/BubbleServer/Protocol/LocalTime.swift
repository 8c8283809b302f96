internal import Foundation
internal import TimerDomain

/// Ends for the Android app: its parser (`LocalDateTime.parse`) crashes on an offset or `Z`,
/// so an end a seed client sent as an instant goes to Android devices as the local date-time
/// of that instant. The app sends no zone, so the server's zone (the machine's) is used.
/// Local ends are relayed byte for byte.
enum LocalTime {
    static func render(_ end: String, zone: TimeZone = .current) -> String {
        guard let instant = ISO8601.instantMilliseconds(end) else { return end }
        let offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant) / 1000))) * 1000
        return ISO8601.formatLocal(milliseconds: instant + offset)
    }
}
