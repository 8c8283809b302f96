/// Just enough ISO-8601 to read what timer clients send, without Foundation: durations as
/// Java prints them (`PT1H2M`, `PT4M59.123S`, `PT-3.2S`, `-PT5S`, `P1DT2H`) and date-times
/// with 0–9 fraction digits, optional seconds and optional offset.
public enum ISO8601 {
    /// Milliseconds (fractions below a millisecond are truncated toward zero), or `nil` if
    /// `text` is not a duration.
    public static func durationMilliseconds(_ text: String) -> Int64? {
        var s = Substring(text)
        var overallSign: Int64 = 1
        if s.first == "-" { overallSign = -1; s = s.dropFirst() } else if s.first == "+" { s = s.dropFirst() }
        guard s.first == "P" else { return nil }
        s = s.dropFirst()
        var total: Int64 = 0
        var inTime = false
        var sawComponent = false
        while !s.isEmpty {
            if s.first == "T" {
                guard !inTime else { return nil }
                inTime = true
                s = s.dropFirst()
                continue
            }
            var sign: Int64 = 1
            if s.first == "-" { sign = -1; s = s.dropFirst() } else if s.first == "+" { s = s.dropFirst() }
            let digits = s.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, digits.count <= 12, let whole = Int64(digits) else { return nil }
            s = s.dropFirst(digits.count)
            var fractionMs: Int64 = 0
            if s.first == "." || s.first == "," {
                s = s.dropFirst()
                let fraction = s.prefix { $0.isASCII && $0.isNumber }
                guard !fraction.isEmpty, fraction.count <= 9 else { return nil }
                s = s.dropFirst(fraction.count)
                let padded = (String(fraction) + "000").prefix(3)
                fractionMs = Int64(padded)!
                guard s.first == "S" else { return nil }
            }
            guard let unit = s.first else { return nil }
            s = s.dropFirst()
            let unitMs: Int64
            switch (unit, inTime) {
            case ("D", false): unitMs = 86_400_000
            case ("W", false): unitMs = 7 * 86_400_000
            case ("H", true): unitMs = 3_600_000
            case ("M", true): unitMs = 60_000
            case ("S", true): unitMs = 1000
            default: return nil
            }
            total += sign * (whole * unitMs + fractionMs)
            sawComponent = true
        }
        return sawComponent ? overallSign * total : nil
    }

    /// Unix milliseconds for a date-time WITH an offset (`Z`, `+02:00`, `-0500`); `nil` for a
    /// local date-time or anything that does not parse.
    public static func instantMilliseconds(_ text: String) -> Int64? {
        guard let parsed = parseDateTime(text), let offset = parsed.offsetMinutes else { return nil }
        return parsed.localMilliseconds - Int64(offset) * 60_000
    }

    /// Whether `text` is a date-time at all, with or without offset.
    public static func isDateTime(_ text: String) -> Bool { parseDateTime(text) != nil }

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
              i < b.count, b[i] == 84 || b[i] == 116 || b[i] == 32 else { return nil }
        i += 1
        guard let hour = number(2), expect(58), let minute = number(2) else { return nil }
        var second = 0, millis = 0
        if expect(58) {
            guard let s = number(2) else { return nil }
            second = s
            if expect(46) || expect(44) {
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
              hour < 24, minute < 60, second < 61 else { return nil }
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

    /// The UTC calendar fields of Unix milliseconds, for printing without Foundation.
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
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(msOfDay / 3_600_000, 2)):\(pad(msOfDay / 60000 % 60, 2)):\(pad(msOfDay / 1000 % 60, 2)).\(pad(msOfDay % 1000, 3))Z"
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
