/// What the decider knows about one timer: the fold of its stream with ``TimerState/evolve(_:_:)``.
public enum TimerState: Equatable, Sendable {
    case unknown
    case active(ActiveTimer)
    /// Stopped timers keep their owner so that the id is never silently reused.
    case stopped(owner: UserID)

    public static let initial = TimerState.unknown

    /// Applies one event of this timer's stream. Total: pairs that cannot happen leave the state as is.
    public static func evolve(_ state: TimerState, _ event: Event) -> TimerState {
        switch (state, event) {
        case (.unknown, .timerCreated(let timer, let owner)), (.stopped, .timerCreated(let timer, let owner)):
            return .active(ActiveTimer(owner: owner, timer: timer, sharedWith: []))
        case (.active(var active), .timerUpdated(let timer)):
            active.timer = timer
            return .active(active)
        case (.active(var active), .timerShared(_, let user)):
            active.sharedWith.insert(user)
            return .active(active)
        case (.active(var active), .timerUnshared(_, let user)):
            active.sharedWith.remove(user)
            return .active(active)
        case (.active(let active), .timerStopped):
            return .stopped(owner: active.owner)
        default:
            return state
        }
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
        switch event {
        case .deviceConnected(_, let device, let connection, let epoch):
            next.connections[device] = Connection(connectionID: connection, epoch: epoch)
        case .deviceDisconnected(_, let device, let connection, _):
            if next.connections[device]?.connectionID == connection { next.connections[device] = nil }
        case .pushTokenRegistered(_, let device, let token):
            next.pushTokens[device] = token
        case .pushTokenRemoved(_, let device):
            next.pushTokens[device] = nil
        default:
            break
        }
        return next
    }
}
