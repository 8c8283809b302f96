/// Just enough ISO-8601 to read what timer clients send, without Foundation: durations as
/// `java.time.Duration.parse` accepts them (`PT1H2M`, `PT4M59.123S`, `PT-3.2S`, `-PT5S`,
/// `P1DT2H`) and date-times as `java.time.LocalDateTime.parse` accepts them, optionally
/// followed by an offset or `Z` (seed clients).
public enum ISO8601 {
    /// Milliseconds (fractions below a millisecond are truncated toward zero), or `nil` if
    /// `text` is not a duration that Java's `Duration.parse` accepts. Its grammar, exactly:
    /// `[-+]?P([-+]?n D)?(T([-+]?n H)?([-+]?n M)?([-+]?n([.,]d{0,9})? S)?)?`, letters in either
    /// case, at least one component, and a `T` only with a time component after it. No
    /// weeks, months or years: the Android app's parser throws on those, and a relayed timer
    /// it cannot parse crashes it. Numbers longer than 12 digits (9 for days) are refused (Java takes
    /// up to its `long` range; nobody's timer is 30,000 years long).
    public static func durationMilliseconds(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        var i = 0
        func upper(_ c: UInt8) -> UInt8 { c >= 97 && c <= 122 ? c - 32 : c }
        func sign() -> Int64 {
            guard i < b.count else { return 1 }
            if b[i] == UInt8(ascii: "-") { i += 1; return -1 }
            if b[i] == UInt8(ascii: "+") { i += 1 }
            return 1
        }
        func digits(max: Int) -> Int64? {
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
            guard i > start, i - start <= max else { return nil }
            var v: Int64 = 0
            for k in start..<i { v = v * 10 + Int64(b[k] - 48) }
            return v
        }
        let overall = sign()
        guard i < b.count, upper(b[i]) == UInt8(ascii: "P") else { return nil }
        i += 1
        var total: Int64 = 0
        var components = 0
        // Components in Java's fixed order; each may be absent.
        let saved = i
        let daySign = sign()
        if let days = digits(max: 9), i < b.count, upper(b[i]) == UInt8(ascii: "D") {
            i += 1
            total += daySign * days * 86_400_000
            components += 1
        } else {
            i = saved
        }
        if i < b.count, upper(b[i]) == UInt8(ascii: "T") {
            i += 1
            var timeComponents = 0
            for (unit, ms) in [(UInt8(ascii: "H"), Int64(3_600_000)), (UInt8(ascii: "M"), 60_000)] {
                let before = i
                let s = sign()
                if let v = digits(max: 12), i < b.count, upper(b[i]) == unit {
                    i += 1
                    total += s * v * ms
                    timeComponents += 1
                } else {
                    i = before
                }
            }
            let before = i
            let s = sign()
            if let whole = digits(max: 12) {
                var fraction: Int64 = 0
                if i < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
                    i += 1
                    let start = i
                    while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
                    guard i - start <= 9 else { return nil }
                    var scale: Int64 = 100
                    for k in start..<min(i, start + 3) { fraction += Int64(b[k] - 48) * scale; scale /= 10 }
                }
                guard i < b.count, upper(b[i]) == UInt8(ascii: "S") else { return nil }
                i += 1
                total += s * (whole * 1000 + fraction)
                timeComponents += 1
            } else {
                i = before
            }
            guard timeComponents > 0 else { return nil }
            components += timeComponents
        }
        guard components > 0, i == b.count else { return nil }
        return overall * total
    }

    /// Unix milliseconds for a date-time WITH an offset (`Z`, `+02:00`, `-0500`); `nil` for a
    /// local date-time or anything that does not parse.
    public static func instantMilliseconds(_ text: String) -> Int64? {
        guard let parsed = parseDateTime(text), let offset = parsed.offsetMinutes else { return nil }
        return parsed.localMilliseconds - Int64(offset) * 60_000
    }

    /// Whether `text` is a date-time at all, with or without offset.
    public static func isDateTime(_ text: String) -> Bool { parseDateTime(text) != nil }

    /// Whether `text` is a local date-time (no offset, no `Z`): the only kind an Android
    /// device may receive.
    public static func isLocalDateTime(_ text: String) -> Bool { parseDateTime(text).map { $0.offsetMinutes == nil } ?? false }

    /// The fields of a local date-time as Unix milliseconds read as if UTC (the edge applies
    /// a zone), or `nil`.
    public static func localMilliseconds(_ text: String) -> Int64? { parseDateTime(text)?.localMilliseconds }

    /// `yyyy-MM-ddTHH:mm:ss.SSS` for local milliseconds (fields read as UTC): what Java's
    /// `LocalDateTime.parse` reads back.
    public static func formatLocal(milliseconds ms: Int64) -> String { String(format(milliseconds: ms).dropLast()) }

    struct DateTime {
        var localMilliseconds: Int64
        var offsetMinutes: Int?
    }

    static func parseDateTime(_ text: String) -> DateTime? {
        let b = Array(text.utf8)
        var i = 0
        func number(_ width: Int) -> Int? {
            guard i + width <= b.count else { return nil }
            var v = 0
            for k in i..<(i + width) {
                guard b[k] >= 48, b[k] <= 57 else { return nil }
                v = v * 10 + Int(b[k] - 48)
            }
            i += width
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2),
              i < b.count, b[i] == 84 || b[i] == 116 else { return nil }
        i += 1
        guard let hour = number(2), expect(58), let minute = number(2) else { return nil }
        var second = 0, millis = 0
        if expect(58) {
            guard let s = number(2) else { return nil }
            second = s
            if expect(46) {
                var digits = 0
                var scale = 100
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    if digits < 3 { millis += Int(b[i] - 48) * scale; scale /= 10 }
                    digits += 1
                    i += 1
                }
                guard digits >= 1, digits <= 9 else { return nil }
            }
        }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 60 else { return nil }
        var offset: Int?
        if i < b.count {
            if b[i] == 90 || b[i] == 122 {
                offset = 0
                i += 1
            } else if b[i] == 43 || b[i] == 45 {
                let sign = b[i] == 45 ? -1 : 1
                i += 1
                guard let oh = number(2) else { return nil }
                _ = expect(58)
                guard let om = number(2), oh < 24, om < 60 else { return nil }
                offset = sign * (oh * 60 + om)
            }
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let ms = ((Int64(days) * 24 + Int64(hour)) * 60 + Int64(minute)) * 60_000 + Int64(second) * 1000 + Int64(millis)
        return DateTime(localMilliseconds: ms, offsetMinutes: offset)
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The UTC calendar fields of Unix milliseconds, for printing without Foundation:
    /// `yyyy-MM-ddTHH:mm:ss.SSSZ`. Written as bytes (replay formats every countdown's end).
    public static func format(milliseconds ms: Int64) -> String {
        let days = Int(ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000)
        let msOfDay = Int(ms - Int64(days) * 86_400_000)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        var out: [UInt8] = []
        out.reserveCapacity(24)
        func digits(_ v: Int, _ width: Int) {
            if v < 0 { out.append(UInt8(ascii: "-")) }
            let text = String(v.magnitude)
            for _ in text.utf8.count..<max(width, text.utf8.count) { out.append(UInt8(ascii: "0")) }
            out += text.utf8
        }
        func two(_ v: Int) {
            out.append(UInt8(48 + v / 10))
            out.append(UInt8(48 + v % 10))
        }
        if (0...9999).contains(year) {
            two(year / 100)
            two(year % 100)
        } else {
            digits(year, 4)
        }
        out.append(UInt8(ascii: "-")); two(month)
        out.append(UInt8(ascii: "-")); two(day)
        out.append(UInt8(ascii: "T")); two(msOfDay / 3_600_000)
        out.append(UInt8(ascii: ":")); two(msOfDay / 60000 % 60)
        out.append(UInt8(ascii: ":")); two(msOfDay / 1000 % 60)
        out.append(UInt8(ascii: "."))
        out.append(UInt8(48 + msOfDay % 1000 / 100)); two(msOfDay % 100)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// A duration as Java's `Duration.toString` writes it (`PT4M12.345S`, `PT-3.2S`, `PT0S`):
    /// what every client parses back. Hours are not folded into days.
    public static func formatDuration(milliseconds ms: Int64) -> String {
        if ms == 0 { return "PT0S" }
        let hours = ms / 3_600_000
        let minutes = ms % 3_600_000 / 60_000
        let millis = ms % 60_000
        var out = "PT"
        if hours != 0 { out += "\(hours)H" }
        if minutes != 0 { out += "\(minutes)M" }
        if millis != 0 {
            let sign = millis < 0 ? "-" : ""
            let magnitude = millis.magnitude
            out += "\(sign)\(magnitude / 1000)"
            var fraction = magnitude % 1000
            if fraction != 0 {
                var digits = 3
                while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
                let text = String(fraction)
                out += "." + String(repeating: "0", count: digits - text.count) + text
            }
            out += "S"
        }
        return out
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
