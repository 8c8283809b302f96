import BubbleCore
import EventLog
import Projections
import TimerDomain

/// Exactly-once, in-order delivery, checked against the server's own log: for every command
/// in the run's seq range and every timer it touched, the devices that should hear of it are
/// the live devices of the users its events concerned but the one it came from (the fan-out
/// rule), each with ONE frame carrying the seq of the command's last event (its notifications
/// come after its timer events).
/// Each device must have received exactly those seqs, ascending, none twice, nothing else.
struct DeliveryCheck {
    private(set) var expected = 0
    private(set) var received = 0
    private(set) var missing = 0
    private(set) var unexpected = 0
    private(set) var outOfOrder = 0

    /// A few of each kind, "device seq", for the report.
    private(set) var samples: [String] = []

    var passed: Bool { missing == 0 && unexpected == 0 && outOfOrder == 0 }

    /// Expected seqs per device key, for events in (after, through]. The log is opened
    /// read-only next to the running server (LMDB readers never block its writer).
    static func expected(data: String, after: UInt64, through: UInt64, devices: [LoadDevice]) throws -> [String: [UInt64]] {
        guard through > after else { return [:] }
        var live: [UserID: [DeviceID]] = [:]
        for d in devices { live[d.userID, default: []].append(d.deviceID) }
        let inspector = try Inspector(directory: data)
        var out: [String: [UInt64]] = [:]
        var command: [EventEnvelope] = []
        for e in try inspector.events(after: after, limit: Int(through - after)) where e.seq <= through {
            command.append(e)
            guard e.lastInCommand else { continue }
            for group in FanOut.timerGroups(command) {
                let users = group.events.reduce(into: [UserID]()) { users, e in users += e.audience.filter { !users.contains($0) } }
                let seq = e.seq
                for delivery in FanOut.deliveries(audience: users, origin: e.actor, liveDevices: { live[$0] ?? [] }) {
                    out["\(delivery.user)/\(delivery.device)", default: []].append(seq)
                }
            }
            command.removeAll()
        }
        return out
    }

    mutating func compare(device: String, received got: [UInt64], expected want: [UInt64], outOfOrder disorder: Int) {
        expected += want.count
        received += got.count
        // Counted as frames arrived: any seq not above the previous one (a duplicate or a reordering).
        outOfOrder += disorder
        let wanted = Set(want)
        let have = Set(got)
        let lost = wanted.subtracting(have)
        let extra = have.subtracting(wanted)
        missing += lost.count
        unexpected += extra.count
        if samples.count < 10 {
            samples += lost.sorted().prefix(3).map { "\(device) missing \($0)" } + extra.sorted().prefix(3).map { "\(device) unexpected \($0)" }
        }
    }
}

extension LoadDevice {
    var key: String { "\(userID)/\(deviceID)" }
}
