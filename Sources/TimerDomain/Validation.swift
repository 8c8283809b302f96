/// Checks that input can be a timer, with messages a client developer can act on.
enum Validation {
    /// Field names are the timer object's own keys (`timerEnd` also for REST's `endTime`).
    static func check(_ timer: TimerSnapshot, limits: Limits) throws(Rejection) {
        try identifier(timer.id, field: "id", limits: limits)
        try text(timer.name, field: "name", max: limits.maxNameLength, allowEmpty: false)
        try duration(timer.totalDuration, field: "totalDuration", limits: limits)
        if let remaining = timer.remainingDuration {
            try duration(remaining, field: "remainingDuration", limits: limits)
        }
        if let end = timer.end {
            try text(end, field: "timerEnd", max: limits.maxDurationLength, allowEmpty: false)
            guard ISO8601.isDateTime(end) else {
                throw .invalid(field: "timerEnd", reason: "'\(end)' is not an ISO-8601 date-time such as 2025-08-12T14:03:00 (an offset or Z may follow)")
            }
        }
        // The app reads a timer as running (end) or paused (remaining), never both. Neither
        // is let through (older clients and the seed REST create timers with only a duration).
        if timer.end != nil, timer.remainingDuration != nil {
            throw .invalid(field: "remainingDuration", reason: "a timer is running (timerEnd) or paused (remainingDuration), not both")
        }
        guard timer.tags.count <= limits.maxTags else {
            throw .invalid(field: "tags", reason: "at most \(limits.maxTags) tags, got \(timer.tags.count)")
        }
        for tag in timer.tags {
            try text(tag, field: "tags", max: limits.maxTagLength, allowEmpty: true)
        }
    }

    static func duration(_ value: String, field: String, limits: Limits) throws(Rejection) {
        try text(value, field: field, max: limits.maxDurationLength, allowEmpty: false)
        guard ISO8601.durationMilliseconds(value) != nil else {
            throw .invalid(field: field, reason: "'\(value)' is not an ISO-8601 duration such as PT30M or PT4M59.123S (days, hours, minutes, seconds; no weeks, months or years)")
        }
    }

    static func identifier(_ value: String, field: String, limits: Limits) throws(Rejection) {
        try text(value, field: field, max: limits.maxIDLength, allowEmpty: false)
        // Ids become LMDB key parts joined by NUL, so NUL cannot be part of one.
        guard !value.utf8.contains(0) else { throw .invalid(field: field, reason: "must not contain NUL characters") }
    }

    static func text(_ value: String, field: String, max: Int, allowEmpty: Bool) throws(Rejection) {
        if !allowEmpty, value.isEmpty { throw .invalid(field: field, reason: "is required and must not be empty") }
        let length = value.utf8.count
        if length > max { throw .invalid(field: field, reason: "is \(length) bytes long; the limit is \(max)") }
    }
}
