/// Everything that happened, in the past tense. Closed: the log's codec has one tag per case.
public enum Event: Equatable, Sendable {
    case timerCreated(TimerSnapshot, owner: UserID)
    case timerUpdated(TimerSnapshot)
    /// Carries who could see the timer when it stopped, so that fan-out and projections need
    /// nothing else.
    case timerStopped(TimerID, owner: UserID, sharedWith: [UserID])
    case timerShared(TimerID, with: UserID)
    case timerUnshared(TimerID, user: UserID)
    case deviceConnected(UserID, device: DeviceID, connectionID: String, epoch: UInt64)
    case deviceDisconnected(UserID, device: DeviceID, connectionID: String, reason: String)
    case pushTokenRegistered(UserID, device: DeviceID, token: String)
    case pushTokenRemoved(UserID, device: DeviceID)
    case serverStarted(version: String)
    /// Written by `bubble-replay --salvage` in place of a record it could not read, at that
    /// record's seq, so the salvaged log keeps every other seq and says what it lost.
    case logSalvaged(skippedSeq: UInt64, reason: String)

    /// The stream (aggregate) the event belongs to; its history is one range scan.
    public var stream: StreamID {
        switch self {
        case .timerCreated(let t, _), .timerUpdated(let t): .timer(t.id)
        case .timerStopped(let id, _, _), .timerShared(let id, _), .timerUnshared(let id, _): .timer(id)
        case .deviceConnected(let u, _, _, _), .deviceDisconnected(let u, _, _, _),
             .pushTokenRegistered(let u, _, _), .pushTokenRemoved(let u, _): .user(u)
        case .serverStarted, .logSalvaged: .server
        }
    }

    /// The timer the event belongs to, if it is a timer event.
    public var timerID: TimerID? {
        if case .timer(let id) = stream { return id }
        return nil
    }

    /// Stable lower-case name used by tools and docs.
    public var name: String {
        switch self {
        case .timerCreated: "timer_created"
        case .timerUpdated: "timer_updated"
        case .timerStopped: "timer_stopped"
        case .timerShared: "timer_shared"
        case .timerUnshared: "timer_unshared"
        case .deviceConnected: "device_connected"
        case .deviceDisconnected: "device_disconnected"
        case .pushTokenRegistered: "push_token_registered"
        case .pushTokenRemoved: "push_token_removed"
        case .serverStarted: "server_started"
        case .logSalvaged: "log_salvaged"
        }
    }

    public static let allNames = [
        "timer_created", "timer_updated", "timer_stopped", "timer_shared", "timer_unshared",
        "device_connected", "device_disconnected", "push_token_registered", "push_token_removed",
        "server_started", "log_salvaged",
    ]
}

/// The stream an event belongs to.
public enum StreamID: Hashable, Sendable, CustomStringConvertible {
    case timer(TimerID)
    case user(UserID)
    case server

    /// `timer:<id>`, `user:<id>` or `server`: the form stored in the log.
    public var description: String {
        switch self {
        case .timer(let id): "timer:\(id)"
        case .user(let id): "user:\(id)"
        case .server: "server"
        }
    }

    /// `description` as UTF-8 bytes, built without string interpolation (hot path).
    public var key: [UInt8] {
        switch self {
        case .timer(let id): Array("timer:".utf8) + id.utf8
        case .user(let id): Array("user:".utf8) + id.utf8
        case .server: Array("server".utf8)
        }
    }

    public init?(parsing text: String) {
        if text == "server" { self = .server }
        else if text.hasPrefix("timer:") { self = .timer(String(text.dropFirst(6))) }
        else if text.hasPrefix("user:") { self = .user(String(text.dropFirst(5))) }
        else { return nil }
    }
}
