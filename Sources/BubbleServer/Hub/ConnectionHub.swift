internal import Foundation
internal import TimerDomain

/// Who is connected where: user → device → connection. A newer connection for the same
/// device replaces the older one.
final class ConnectionHub: @unchecked Sendable {
    private let lock = NSLock()
    private var byUser: [UserID: [DeviceID: Connection]] = [:]
    let maxConnectionsPerUser: Int

    init(maxConnectionsPerUser: Int) { self.maxConnectionsPerUser = maxConnectionsPerUser }

    enum AddResult {
        case added(replaced: Connection?)
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
            return .added(replaced: replaced)
        }
    }

    /// Removes the connection if it is still the device's current one; returns whether it was.
    @discardableResult
    func remove(_ connection: Connection) -> Bool {
        lock.withLock {
            let user = connection.actor.userID, device = connection.actor.deviceID
            guard byUser[user]?[device] === connection else { return false }
            byUser[user]?[device] = nil
            if byUser[user]?.isEmpty == true { byUser[user] = nil }
            return true
        }
    }

    func devices(of user: UserID) -> [DeviceID] {
        lock.withLock { byUser[user].map { Array($0.keys) } ?? [] }
    }

    func connection(user: UserID, device: DeviceID) -> Connection? {
        lock.withLock { byUser[user]?[device] }
    }

    func connections(of user: UserID) -> [Connection] {
        lock.withLock { byUser[user].map { Array($0.values) } ?? [] }
    }

    func all() -> [Connection] {
        lock.withLock { byUser.values.flatMap(\.values) }
    }

    var count: Int { lock.withLock { byUser.values.reduce(0) { $0 + $1.count } } }
}
