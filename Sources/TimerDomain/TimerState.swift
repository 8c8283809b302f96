/// What the decider knows about one timer: the fold of its stream with ``TimerState/evolve(_:_:)``.
public enum TimerState: Equatable, Sendable {
    case unknown
    case active(ActiveTimer)
    /// Stopped timers keep their owner so that the id is never silently reused.
    case stopped(owner: UserID)

    public static let initial = TimerState.unknown

    /// Applies one event of this timer's stream. Total: pairs that cannot happen leave the state as is.
    public static func evolve(_ state: TimerState, _ event: Event) -> TimerState {
        var next = state
        next.apply(event)
        return next
    }

    /// `evolve` in place: replay folds millions of events, and mutating the payload where it
    /// lies avoids copying the shared-with set on every share.
    public mutating func apply(_ event: Event) {
        switch event {
        case .timerCreated(let timer, let owner):
            if case .active = self { return }
            self = .active(ActiveTimer(owner: owner, timer: timer, sharedWith: []))
        case .timerUpdated(let timer):
            modifyActive { $0.timer = timer }
        case .timerShared(_, let user):
            modifyActive { $0.sharedWith.insert(user) }
        case .timerUnshared(_, let user):
            modifyActive { $0.sharedWith.remove(user) }
        case .timerStopped:
            if case .active(let active) = self { self = .stopped(owner: active.owner) }
        default:
            break
        }
    }

    private mutating func modifyActive(_ body: (inout ActiveTimer) -> Void) {
        guard case .active(var active) = self else { return }
        self = .unknown  // drop the enum's reference so `active` is uniquely held
        body(&active)
        self = .active(active)
    }

    public var active: ActiveTimer? {
        if case .active(let a) = self { return a }
        return nil
    }
}

/// A live timer with its owner and the users it is shared with.
public struct ActiveTimer: Equatable, Sendable {
    public var owner: UserID
    public var timer: TimerSnapshot
    public var sharedWith: Set<UserID>

    public init(owner: UserID, timer: TimerSnapshot, sharedWith: Set<UserID>) {
        self.owner = owner
        self.timer = timer
        self.sharedWith = sharedWith
    }

    public func canAccess(_ user: UserID) -> Bool { user == owner || sharedWith.contains(user) }

    /// Owner first, then shared users in order: everyone who sees this timer.
    public var audience: [UserID] { [owner] + sharedWith.sorted() }
}

/// What the decider knows about one user: their live connections and push tokens.
public struct UserState: Equatable, Sendable {
    public struct Connection: Equatable, Sendable {
        public var connectionID: String
        public var epoch: UInt64
        public init(connectionID: String, epoch: UInt64) {
            self.connectionID = connectionID
            self.epoch = epoch
        }
    }

    public var connections: [DeviceID: Connection] = [:]
    public var pushTokens: [DeviceID: String] = [:]

    public init(connections: [DeviceID: Connection] = [:], pushTokens: [DeviceID: String] = [:]) {
        self.connections = connections
        self.pushTokens = pushTokens
    }

    public static let initial = UserState()

    public static func evolve(_ state: UserState, _ event: Event) -> UserState {
        var next = state
        next.apply(event)
        return next
    }

    /// `evolve` in place.
    public mutating func apply(_ event: Event) {
        switch event {
        case .deviceConnected(_, let device, let connection, let epoch):
            connections[device] = Connection(connectionID: connection, epoch: epoch)
        case .deviceDisconnected(_, let device, let connection, _):
            if connections[device]?.connectionID == connection { connections[device] = nil }
        case .pushTokenRegistered(_, let device, let token):
            pushTokens[device] = token
        case .pushTokenRemoved(_, let device):
            pushTokens[device] = nil
        default:
            break
        }
    }
}
