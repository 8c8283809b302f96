/// Checks that input can be a timer, with messages a client developer can act on.
enum Validation {
    static func check(_ timer: TimerSnapshot, limits: Limits) throws(Rejection) {
        try identifier(timer.id, field: "timer.id", limits: limits)
        try text(timer.name, field: "timer.name", max: limits.maxNameLength, allowEmpty: false)
        try text(timer.totalDuration, field: "timer.totalDuration", max: limits.maxDurationLength, allowEmpty: false)
        if let remaining = timer.remainingDuration {
            try text(remaining, field: "timer.remainingDuration", max: limits.maxDurationLength, allowEmpty: false)
        }
        if let end = timer.end {
            try text(end, field: "timer.timerEnd", max: limits.maxDurationLength, allowEmpty: false)
            guard ISO8601.isDateTime(end) else {
                throw .invalid(field: "timer.timerEnd", reason: "'\(end)' is not an ISO-8601 date-time such as 2025-08-12T14:03:00")
            }
        }
        guard timer.tags.count <= limits.maxTags else {
            throw .invalid(field: "timer.tags", reason: "at most \(limits.maxTags) tags, got \(timer.tags.count)")
        }
        for tag in timer.tags {
            try text(tag, field: "timer.tags", max: limits.maxTagLength, allowEmpty: true)
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
