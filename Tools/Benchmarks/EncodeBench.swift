import EventLog
import TimerDomain

/// Where an append's CPU goes: record encoding alone (codec + CRC-32C + SHA-256 link).
enum EncodeBench {
    static func run() -> [BenchResult] {
        let sample = AppendBench.sampleEvents(1000)
        let actor = Actor(userID: "alice", deviceID: "alice-phone")
        var chain = ChainHash.genesis
        var bytes = 0
        let rounds = 300
        let start = now()
        for r in 0..<rounds {
            for (i, e) in sample.enumerated() {
                let env = EventEnvelope(seq: UInt64(r * 1000 + i + 1), timestamp: 1_755_000_000_000, actor: actor, commandID: "req-123456", event: e)
                let (record, next) = RecordCodec.encode(env, previousChain: chain)
                chain = next
                bytes &+= record.count
            }
        }
        let seconds = now() - start
        return [BenchResult(name: "record encode + CRC + chain link only (no LMDB)", value: Double(rounds * 1000) / seconds, unit: "events/s", reference: nil, target: "—")]
    }
}

import Crypto

enum EncodeParts {
    static func run() -> [BenchResult] {
        let buf = [UInt8](repeating: 7, count: 128)
        let n = 300_000
        var acc: UInt64 = 0
        var start = now()
        for _ in 0..<n { acc &+= buf.withUnsafeBytes { UInt64(SHA256.hash(data: $0).withUnsafeBytes { $0[0] }) } }
        let sha = now() - start
        start = now()
        for _ in 0..<n { acc &+= buf.withUnsafeBytes { UInt64(CRC32C.checksum($0)) } }
        let crc = now() - start
        start = now()
        var chain = ChainHash.genesis
        for _ in 0..<n { chain = buf.withUnsafeBytes { chain.next(body: $0) } }
        let link = now() - start
        _ = acc
        return [
            BenchResult(name: "SHA256.hash one-shot 128 B", value: Double(n) / sha, unit: "ops/s", reference: nil, target: "—"),
            BenchResult(name: "ChainHash.next 128 B", value: Double(n) / link, unit: "ops/s", reference: nil, target: "—"),
            BenchResult(name: "CRC32C 128 B", value: Double(n) / crc, unit: "ops/s", reference: nil, target: "—"),
        ]
    }
}
