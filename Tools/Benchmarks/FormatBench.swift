import Foundation
import EventLog
import TimerDomain

/// Why the log is binary: the same envelopes decoded from our records and from JSON with
/// Foundation's JSONDecoder, in one run.
enum FormatBench {
    struct JSONTimer: Codable {
        var id, name, totalDuration: String
        var remainingDuration, timerEnd: String?
        var tags: [String]
    }

    struct JSONEnvelope: Codable {
        var seq: UInt64
        var timestamp: Int64
        var user, device: String
        var commandId: String?
        var type: String
        var timer: JSONTimer?
        var timerId, otherUser, connectionId: String?
    }

    static func run() throws -> [BenchResult] {
        let actor = Actor(userID: "alice", deviceID: "alice-phone")
        let events = AppendBench.sampleEvents(1000)
        var records: [[UInt8]] = []
        var jsons: [Data] = []
        var chain = ChainHash.genesis
        let encoder = JSONEncoder()
        for (i, e) in events.enumerated() {
            let env = EventEnvelope(seq: UInt64(i + 1), timestamp: 1_755_000_000_000, actor: actor, commandID: "req-123456", event: e)
            let (record, next) = RecordCodec.encode(env, previousChain: chain)
            chain = next
            records.append(record)
            var j = JSONEnvelope(seq: env.seq, timestamp: env.timestamp, user: actor.userID, device: actor.deviceID, commandId: env.commandID, type: e.name)
            switch e {
            case .timerUpdated(let t):
                j.timer = JSONTimer(id: t.id, name: t.name, totalDuration: t.totalDuration, remainingDuration: t.remainingDuration, timerEnd: t.end, tags: t.tags)
            case .timerShared(let id, let user): (j.timerId, j.otherUser) = (id, user)
            case .deviceConnected(_, _, let c, _): j.connectionId = c
            default: break
            }
            jsons.append(try encoder.encode(j))
        }
        let rounds = 100
        var start = now()
        var n = 0
        for _ in 0..<rounds {
            for (i, r) in records.enumerated() { n += try r.withUnsafeBytes { try RecordCodec.decode($0, seq: UInt64(i + 1)) }.seq > 0 ? 1 : 0 }
        }
        let binary = Double(n) / (now() - start)
        let decoder = JSONDecoder()
        start = now()
        n = 0
        for _ in 0..<(rounds / 10) {
            for d in jsons { n += try decoder.decode(JSONEnvelope.self, from: d).seq > 0 ? 1 : 0 }
        }
        let json = Double(n) / (now() - start)
        return [BenchResult(name: "decode envelope: JSONDecoder (same fields as JSON)", value: json, unit: "events/s",
                            reference: ("our binary record, CRC checked", binary), target: "—")]
    }
}
