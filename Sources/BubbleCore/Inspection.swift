public import LMDB
public import TimerDomain
public import EventLog
public import Projections

/// One field that an event changed, as text for people and JSON.
public struct FieldChange: Equatable, Sendable {
    public var field: String
    public var old: String?
    public var new: String?
}

/// One event of a timer's history with what it changed.
public struct HistoryEntry: Sendable {
    public var envelope: EventEnvelope
    public var changes: [FieldChange]
}

/// What `inspector user` shows.
public struct UserReport: Sendable {
    public var owned: [TimerViewRow]
    public var shared: [TimerViewRow]
    public var connections: [(device: DeviceID, row: ConnectionRow)]
    public var pushTargets: [DeviceID: PushTarget]
    /// Connects and disconnects, oldest first.
    public var deviceHistory: [EventEnvelope]
    /// `nil` unless the user registered (and was not erased since).
    public var profile: (email: PersonalField, displayName: PersonalField, settings: [String: String])?
    /// The seq of the user's last `user_erased`, if any.
    public var erasedAt: UInt64?
    public var notifications: (total: Int, unread: Int)
    public var pendingPushes: Int
    /// Pushes given up on (dead letters), oldest first.
    public var abandonedPushes: [EventEnvelope]
}

/// A sealed personal field as a tool shows it.
public enum PersonalField: Equatable, Sendable, CustomStringConvertible {
    case none
    case text(String)
    /// Sealed under a key that no longer exists (the user was erased).
    case erased

    public var description: String {
        switch self {
        case .none: "-"
        case .text(let t): t
        case .erased: "(erased)"
        }
    }
}

/// What `inspector stats` shows.
public struct LogStatistics: Sendable {
    public var countsByType: [String: Int]
    public var first: EventEnvelope?
    public var last: EventEnvelope?
    public var fileBytes: Int
    public var liveTimers: Int
    /// Live timers the server completed (they stay until someone stops them).
    public var completedTimers: Int
    /// Ends and reminders waiting in the due index.
    public var scheduled: Int
    public var streams: Int
    /// Pushes waiting in the outbox.
    public var pendingPushes: Int
    /// Users with a data key (registered and not erased).
    public var userKeys: Int
}

/// Read-only questions about a data directory; safe while a server writes (LMDB readers
/// never block the writer).
public struct Inspector: Sendable {
    public let directory: String
    let environment: Environment
    let log: EventLog
    let views: ViewTables
    let keys: UserKeys

    public init(directory: String) throws {
        self.directory = directory
        (environment, log, views) = try Replay.openExisting(directory: directory, readOnly: true)
        do { keys = try UserKeys(environment: environment) } catch { throw StoreError.wrap(error) }
    }

    public func read<R>(_ body: (ReadTransaction) throws -> R) throws -> R {
        do { return try environment.read(body) } catch { throw StoreError.wrap(error) }
    }

    /// Every registered user, as the operator lists them.
    public func users() throws -> [UserAdministration.Summary] {
        try read { try UserAdministration.list(views: views, keys: keys, $0) }
    }

    /// Every event of a timer, in order, with the fields each changed.
    public func history(of timer: TimerID) throws -> [HistoryEntry] {
        try read { try TimerHistory.all(of: timer, log: log, $0) }
    }

    /// One page of `reader`'s timeline of a timer, as `GET /timers/{id}/history` serves it;
    /// `nil` when they are not on the timer.
    public func timeline(of timer: TimerID, for reader: UserID, before: UInt64? = nil, limit: Int = 50) throws -> TimerHistory.Page? {
        try read { try TimerHistory.page(of: timer, for: reader, before: before, limit: limit, log: log, $0) }
    }

    /// Every event of a user's own stream, in order: registration, profile, devices, inbox,
    /// messages received, pushes, erasure.
    public func history(ofUser user: UserID) throws -> [EventEnvelope] {
        try read { txn in
            var out: [EventEnvelope] = []
            try log.history(of: .user(user), txn) { e in
                out.append(e)
                return true
            }
            return out
        }
    }

    /// The timer as of `bound` (the fold of its stream up to it), and the last event included.
    public func timer(_ id: TimerID, at bound: ReplayBound) throws -> (state: TimerState, last: EventEnvelope?) {
        try read { txn in
            var state = TimerState.unknown
            var last: EventEnvelope?
            try log.history(of: .timer(id), txn) { e in
                guard bound.includes(e) else { return false }
                state = TimerState.evolve(state, e.event)
                last = e
                return true
            }
            return (state, last)
        }
    }

    public func user(_ id: UserID) throws -> UserReport {
        try read { txn in
            let owned = try views.timersOwned(by: id, txn).compactMap { try views.timer($0, txn) }
            let shared = try views.timersShared(with: id, txn).compactMap { try views.timer($0, txn) }
            var history: [EventEnvelope] = []
            var abandoned: [EventEnvelope] = []
            var erasedAt: UInt64?
            try log.history(of: .user(id), txn) { e in
                switch e.event {
                case .deviceConnected, .deviceDisconnected: history.append(e)
                case .pushAbandoned: abandoned.append(e)
                case .userErased: erasedAt = e.seq
                default: break
                }
                return true
            }
            let state = try views.userState(id, txn)
            let key = try keys.key(of: id, txn)
            func field(_ sealed: Sealed?) -> PersonalField {
                guard let sealed else { return .none }
                return key?.open(sealed).map(PersonalField.text) ?? .erased
            }
            let inbox = try views.notifications(of: id, before: nil, unreadOnly: false, limit: .max, txn)
            var pending = 0
            try txn.scan(views.outbox) { k, _ in
                if OutboxKey(key: k)?.user == id { pending += 1 }
                return true
            }
            return UserReport(
                owned: owned, shared: shared, connections: try views.connections(of: id, txn),
                pushTargets: state.pushTargets, deviceHistory: history,
                profile: state.profile.map { (field($0.email), field($0.displayName), $0.settings) },
                erasedAt: erasedAt, notifications: (inbox.count, inbox.filter { !$0.row.read }.count),
                pendingPushes: pending, abandonedPushes: abandoned
            )
        }
    }

    /// A sealed field of `user`'s: its text while their key exists, `.erased` after.
    public func personal(_ user: UserID, _ sealed: Sealed) -> PersonalField {
        let key = try? read { try keys.key(of: user, $0) }
        return (key ?? nil)?.open(sealed).map(PersonalField.text) ?? .erased
    }

    /// Events after `seq`, at most `limit`, oldest first.
    public func events(after seq: UInt64, limit: Int = .max) throws -> [EventEnvelope] {
        try read { txn in
            var out: [EventEnvelope] = []
            try log.scan(from: seq + 1, txn) { e in
                out.append(e)
                return out.count < limit
            }
            return out
        }
    }

    public func head() throws -> LogHead { try read { try log.head($0) } }

    public func statistics() throws -> LogStatistics {
        try read { txn in
            var counts: [String: Int] = [:]
            var first: EventEnvelope?
            var last: EventEnvelope?
            try log.scan(txn) { e in
                counts[e.event.name, default: 0] += 1
                if first == nil { first = e }
                last = e
                return true
            }
            let completed = try views.completedTimerCount(txn)
            return LogStatistics(
                countsByType: counts, first: first, last: last, fileBytes: DataDirectory.fileSize(directory),
                liveTimers: try txn.statistics(views.timerView).entries, completedTimers: completed,
                scheduled: try txn.statistics(views.due).entries, streams: try txn.statistics(log.streamHeads).entries,
                pendingPushes: try txn.statistics(views.outbox).entries, userKeys: try keys.count(txn)
            )
        }
    }

    /// Log integrity plus views == fold(log).
    public func verify(progress: ReplayProgress = { _, _ in }) throws -> (log: LogVerification, views: [String]) {
        let logResult = try read { txn in try log.verify(txn, progress: { progress($0, 0) }) }
        // A fold over a corrupt log would stop at the first bad record; report the log alone.
        guard logResult.isValid else { return (logResult, ["not compared: the log itself has problems"]) }
        let report = try Replay.verify(environment: environment, log: log, views: views, progress: progress)
        return (logResult, report.differences)
    }
}
