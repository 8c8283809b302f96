import Foundation
import LMDB
import EventLog
import TimerDomain
import BubbleCore

/// How fast the log grows for one active device over a day: the events a phone causes by
/// being there (connects, disconnects, push-token registration) and by its user's timers,
/// appended through the real store, measured as log record bytes and `data.mdb` growth.
///
/// The day: the app connects on demand, so a phone in use reconnects often; 48 connect and
/// disconnect pairs (every 30 min), one push-token registration, and for each user (two
/// devices) 12 timer commands (3 timers: create shared with one user, 2 pause/resume
/// updates, stop). Ids are the sizes Cognito and Android give: 36-byte user ids, 16-byte
/// device ids, 36-byte timer ids.
enum GrowthBench {
    static let users = 100
    static let devicesPerUser = 2
    static let reconnects = 48

    static func run(scratch: String) throws -> [BenchResult] {
        let dir = scratch + "/growth"
        let store = try EventStore(directory: dir)
        let sizeBefore = fileSize(dir)
        let headBefore = try store.read { try store.log.head($0).seq }
        DispatchQueue.concurrentPerform(iterations: users) { u in
            let user = uuid(u)
            for d in 0..<devicesPerUser {
                let actor = Actor(userID: user, deviceID: String(format: "%016llx", UInt64(u * 10 + d) &* 0x9E37_79B9_7F4A_7C15))
                _ = try? store.executeAndWait(CommandRequest(.device(.registerPushToken(device: actor.deviceID, token: String(repeating: "f", count: 163))), actor: actor))
                for r in 0..<reconnects {
                    let connection = String(format: "%08x", r * 7919 + u)
                    _ = try? store.executeAndWait(CommandRequest(.device(.connect(connectionID: connection)), actor: actor))
                    _ = try? store.executeAndWait(CommandRequest(.device(.disconnect(connectionID: connection, reason: "client closed")), actor: actor))
                }
            }
            let phone = Actor(userID: user, deviceID: "phone")
            for t in 0..<3 {
                let id = uuid(100_000 + u * 10 + t)
                let running = TimerSnapshot(id: id, name: "Tea \(t)", totalDuration: "PT5M", end: "2026-11-30T14:03:07.123")
                let paused = TimerSnapshot(id: id, name: "Tea \(t)", totalDuration: "PT5M", remainingDuration: "PT3M12.5S")
                for command in [TimerCommand.update(running, shareWith: [uuid((u + 1) % users)]), .update(paused), .update(running), .stop(id)] {
                    _ = try? store.executeAndWait(CommandRequest(.timer(command), actor: phone, commandID: "r-\(UUID().uuidString.prefix(8))"))
                }
            }
        }
        let headAfter = try store.read { try store.log.head($0).seq }
        var recordBytes = 0
        try store.read { txn in
            try txn.scan(store.log.events, from: BigEndianKey.encode(headBefore + 1)) { _, value in
                recordBytes += value.count
                return true
            }
        }
        store.close()
        let devices = Double(users * devicesPerUser)
        let events = Double(headAfter - headBefore)
        let fileGrowth = Double(fileSize(dir) - sizeBefore)
        return [
            BenchResult(name: "log growth per active device per day: events", value: events / devices, unit: "events", reference: nil, target: "—"),
            BenchResult(name: "log growth per active device per day: log records", value: Double(recordBytes) / devices / 1024, unit: "KiB", reference: nil, target: "—"),
            BenchResult(name: "log growth per active device per day: data.mdb", value: fileGrowth / devices / 1024, unit: "KiB", reference: nil, target: "—"),
            BenchResult(name: "bytes per event (records only)", value: Double(recordBytes) / events, unit: "B", reference: nil, target: "—"),
        ]
    }

    static func uuid(_ n: Int) -> String {
        String(format: "%08x-%04x-4%03x-8%03x-%012llx", n, n % 65536, n % 4096, (n * 7) % 4096, UInt64(n) &* 2_654_435_761)
    }

    static func fileSize(_ dir: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: dir + "/data.mdb")[.size] as? Int) ?? 0
    }
}
