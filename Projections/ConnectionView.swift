public import TimerDomain
public import EventLog

/// A device's live connection as recorded in the log.
public struct ConnectionRow: Equatable, Sendable {
    public var connectionID: String
    public var connectedAt: Int64
    public var seq: UInt64

    public init(connectionID: String, connectedAt: Int64, seq: UInt64) {
        self.connectionID = connectionID
        self.connectedAt = connectedAt
        self.seq = seq
    }
}

/// One change to the connection view (user → device → connection).
public enum ConnectionChange: Equatable, Sendable {
    case set(user: UserID, device: DeviceID, ConnectionRow)
    case remove(user: UserID, device: DeviceID)
    /// A new server process started: every connection recorded before it is dead.
    case clearAll
}

/// The connection view as a fold. A newer connection of a device replaces the older one.
public enum ConnectionView {
    public static func changes(for e: EventEnvelope) -> [ConnectionChange] {
        switch e.event {
        case .deviceConnected(let user, let device, let connection, _):
            [.set(user: user, device: device, ConnectionRow(connectionID: connection, connectedAt: e.timestamp, seq: e.seq))]
        case .deviceDisconnected(let user, let device, _, _):
            [.remove(user: user, device: device)]
        case .serverStarted:
            [.clearAll]
        default:
            []
        }
    }
}
