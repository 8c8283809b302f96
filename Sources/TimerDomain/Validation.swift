/// Checks that input can be a timer, with messages a client developer can act on.
enum Validation {
    /// Field names are the timer object's own keys (`timerEnd` also for REST's `endTime`).
    static func check(_ timer: TimerSnapshot, limits: Limits) throws(Rejection) {
        try newTimerID(timer.id, limits: limits)
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

    /// Timer and device ids: one alphabet on the socket and over REST, so that every id a
    /// client can create is a path segment it can also reach (`/timers/{id}`,
    /// `/device-tokens/{deviceId}`) without escaping.
    static func identifier(_ value: String, field: String, limits: Limits) throws(Rejection) {
        try storable(value, field: field, limits: limits)
        guard value.utf8.allSatisfy(IDAlphabet.contains) else {
            throw .invalid(field: field, reason: "may hold only letters A-Z a-z, digits and - _ . ~ : (\(IDAlphabet.pattern))")
        }
        guard value != ".", value != ".." else { throw .invalid(field: field, reason: "'\(value)' is a path step, not an id") }
    }

    /// A timer id a client may create: ``identifier(_:field:limits:)``, and not `shared`
    /// (`/timers/shared` is the share route).
    static func newTimerID(_ value: String, limits: Limits) throws(Rejection) {
        try identifier(value, field: "id", limits: limits)
        guard !IDAlphabet.reservedTimerIDs.contains(value) else { throw .invalid(field: "id", reason: "'\(value)' is reserved") }
    }

    /// Any id before it is looked up or stored (user ids from tokens included, which keep
    /// whatever characters the identity provider gives them): not empty, not over the limit,
    /// no NUL (ids become LMDB key parts joined by NUL, and an empty key is an error there).
    static func storable(_ value: String, field: String, limits: Limits) throws(Rejection) {
        try text(value, field: field, max: limits.maxIDLength, allowEmpty: false)
        guard !value.utf8.contains(0) else { throw .invalid(field: field, reason: "must not contain NUL characters") }
    }

    static func text(_ value: String, field: String, max: Int, allowEmpty: Bool) throws(Rejection) {
        if !allowEmpty, value.isEmpty { throw .invalid(field: field, reason: "is required and must not be empty") }
        let length = value.utf8.count
        if length > max { throw .invalid(field: field, reason: "is \(length) bytes long; the limit is \(max)") }
    }
}
