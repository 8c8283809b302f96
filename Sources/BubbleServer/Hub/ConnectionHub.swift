internal import Foundation
internal import Sockets
internal import TimerDomain
internal import Projections

/// Who is connected where: user → device → connection. A newer connection for the same
/// device replaces the older one.
///
/// The Android app treats the close of ANY socket it opened as its own disconnect and
/// reconnects, and never closes a socket it replaced; closing its superseded sockets would
/// loop. So a replaced Android-dialect socket is detached instead: it gets no frames and does
/// not count against the per-user cap, and is closed only when more than
/// `maxSupersededPerDevice` pile up for its device (oldest first) or after a linger the
/// session schedules. Replaced seed-dialect sockets are closed at once.
final class ConnectionHub: @unchecked Sendable {
    private let lock = NSLock()
    private var byUser: [UserID: [DeviceID: Connection]] = [:]
    private var superseded: [Delivery: [Connection]] = [:]
    let maxConnectionsPerUser: Int
    let maxSupersededPerDevice: Int
    /// Starts every connection id made here: empty on a single server; on a cluster node its
    /// own, so a `device_connected` from another node is known as one.
    let node: String

    init(maxConnectionsPerUser: Int, maxSupersededPerDevice: Int = 4, node: String = "") {
        self.maxConnectionsPerUser = maxConnectionsPerUser
        self.maxSupersededPerDevice = maxSupersededPerDevice
        self.node = node
    }

    enum AddResult {
        /// `close`: connections to close now (a replaced seed socket, or superseded Android
        /// sockets over the limit); `detached`: the replaced Android socket, kept open quietly.
        case added(close: [Connection], detached: Connection?)
        case tooMany
    }

    func add(_ connection: Connection) -> AddResult {
        lock.withLock {
            let user = connection.actor.userID, device = connection.actor.deviceID
            var devices = byUser[user, default: [:]]
            let replaced = devices[device]
            if replaced == nil, devices.count >= maxConnectionsPerUser { return .tooMany }
            devices[device] = connection
            byUser[user] = devices
            guard let replaced else { return .added(close: [], detached: nil) }
            return supersede(replaced)
        }
    }

    /// A cluster node: the device connected to another node (its `device_connected` came
    /// through the shared log), so its socket here is replaced as a newer one here would
    /// replace it. Nothing when this node has no socket for it.
    func connectedElsewhere(user: UserID, device: DeviceID) -> AddResult {
        lock.withLock {
            guard let replaced = byUser[user]?[device] else { return .added(close: [], detached: nil) }
            byUser[user]?[device] = nil
            if byUser[user]?.isEmpty == true { byUser[user] = nil }
            return supersede(replaced)
        }
    }

    /// Under the lock: `replaced` is no longer its device's current socket.
    private func supersede(_ replaced: Connection) -> AddResult {
        guard replaced.dialect == .android else { return .added(close: [replaced], detached: nil) }
        let key = Delivery(user: replaced.actor.userID, device: replaced.actor.deviceID)
        var pile = superseded[key, default: []]
        pile.append(replaced)
        let over = max(0, pile.count - maxSupersededPerDevice)
        let reaped = Array(pile.prefix(over))
        pile.removeFirst(over)
        superseded[key] = pile
        return .added(close: reaped, detached: replaced)
    }

    /// Closes a detached (superseded Android) socket once `seconds` pass, if it still is.
    func closeAfterLinger(_ detached: Connection, seconds: Double) {
        detached.socket.schedule(after: .milliseconds(Int64(seconds * 1000))) { [self] in
            if isSuperseded(detached) { detached.close(code: 1000, reason: "superseded by a newer connection of this device") }
        }
    }

    /// Removes the connection; returns whether it was the device's current one (a superseded
    /// socket's end records no disconnect: the device is still connected).
    @discardableResult
    func remove(_ connection: Connection) -> Bool {
        lock.withLock {
            let user = connection.actor.userID, device = connection.actor.deviceID
            let key = Delivery(user: user, device: device)
            if let pile = superseded[key], pile.contains(where: { $0 === connection }) {
                let rest = pile.filter { $0 !== connection }
                superseded[key] = rest.isEmpty ? nil : rest
            }
            guard byUser[user]?[device] === connection else { return false }
            byUser[user]?[device] = nil
            if byUser[user]?.isEmpty == true { byUser[user] = nil }
            return true
        }
    }

    /// Whether `connection` is detached as superseded (and not yet closed).
    func isSuperseded(_ connection: Connection) -> Bool {
        lock.withLock {
            superseded[Delivery(user: connection.actor.userID, device: connection.actor.deviceID)]?.contains { $0 === connection } ?? false
        }
    }

    func connections(of user: UserID) -> [Connection] {
        lock.withLock { byUser[user].map { Array($0.values) } ?? [] }
    }

    /// Every open socket, superseded ones included (shutdown closes them all).
    func all() -> [Connection] {
        lock.withLock { byUser.values.flatMap(\.values) + superseded.values.flatMap { $0 } }
    }

    var supersededCount: Int { lock.withLock { superseded.values.reduce(0) { $0 + $1.count } } }

    var count: Int { lock.withLock { byUser.values.reduce(0) { $0 + $1.count } } }
}
