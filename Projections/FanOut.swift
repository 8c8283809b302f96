public import TimerDomain

/// One device that must receive a frame.
public struct Delivery: Hashable, Sendable {
    public var user: UserID
    public var device: DeviceID

    public init(user: UserID, device: DeviceID) {
        self.user = user
        self.device = device
    }
}

/// Who hears of a committed event: pure, so the server only turns the answer into frames.
public enum FanOut {
    /// The users an event concerns, each once: owner and shared users as of after the event,
    /// plus a user just removed (so they learn of it) and everyone a stopped timer was shared with.
    /// Device and server events concern nobody else.
    public static func audience(of event: Event, timerAfter: ActiveTimer?) -> [UserID] {
        var users: [UserID]
        switch event {
        case .timerCreated, .timerUpdated, .timerShared:
            users = timerAfter?.audience ?? []
        case .timerUnshared(_, let removed):
            users = (timerAfter?.audience ?? []) + [removed]
        case .timerStopped(_, let owner, let sharedWith):
            users = [owner] + sharedWith
        case .deviceConnected, .deviceDisconnected, .pushTokenRegistered, .pushTokenRemoved, .serverStarted:
            users = []
        }
        var seen = Set<UserID>()
        return users.filter { seen.insert($0).inserted }
    }

    /// Every live device of the audience except the one the command came from; no device twice.
    public static func deliveries(
        audience: [UserID], origin: Actor, liveDevices: (UserID) -> [DeviceID]
    ) -> [Delivery] {
        var out: [Delivery] = []
        var seen = Set<Delivery>()
        for user in audience {
            for device in liveDevices(user) where !(user == origin.userID && device == origin.deviceID) {
                let delivery = Delivery(user: user, device: device)
                if seen.insert(delivery).inserted { out.append(delivery) }
            }
        }
        return out
    }
}
