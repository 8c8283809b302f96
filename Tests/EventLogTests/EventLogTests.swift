import TestSupport
import Testing
import LMDB
import TimerDomain
@testable import EventLog

@Suite struct EventLogTests {
    let dir = TemporaryDirectory("log")

    func appended(_ events: [Event], env: Environment, log: EventLog, now: Int64 = 1000) throws -> [EventEnvelope] {
        try env.write { txn in
            var appender = try EventLog.Appender(log: log, txn: txn)
            let out = try events.map { try appender.append($0, actor: Actor(userID: "alice", deviceID: "phone"), commandID: nil, now: now, txn: txn) }
            try appender.finish(txn)
            return out
        }
    }

    @Test func seqsStartAtOneAndIncreaseAcrossTransactions() throws {
        let env = try Environment(path: dir.path)
        let log = try EventLog(environment: env)
        let first = try appended(Array(everyEvent.prefix(3)), env: env, log: log)
        let second = try appended(Array(everyEvent.suffix(3)), env: env, log: log)
        #expect((first + second).map(\.seq) == [1, 2, 3, 4, 5, 6])
        var scanned: [EventEnvelope] = []
        try env.read { txn in try log.scan(txn) { scanned.append($0); return true } }
        #expect(scanned == first + second)
        #expect(try env.read { try log.head($0).seq } == 6)
    }

    @Test func timeNeverRunsBackwardsAlongTheLog() throws {
        let env = try Environment(path: dir.path)
        let log = try EventLog(environment: env)
        _ = try appended([everyEvent[9]], env: env, log: log, now: 5000)
        let later = try appended([everyEvent[9]], env: env, log: log, now: 4000)
        #expect(later[0].timestamp == 5000)
    }

    @Test func streamHistoryIsARangeScan() throws {
        let env = try Environment(path: dir.path)
        let log = try EventLog(environment: env)
        _ = try appended(everyEvent, env: env, log: log)
        var timerSeqs: [UInt64] = []
        try env.read { txn in try log.history(of: .timer("t1"), txn) { timerSeqs.append($0.seq); return true } }
        #expect(timerSeqs == [1, 2, 3, 4, 5])
        #expect(try env.read { try log.streamSeqs(.timer("t1"), from: 3, $0) } == [3, 4, 5])
        #expect(try env.read { try log.streamSeqs(.user("alice"), $0) } == [6, 7, 8, 9])
        #expect(try env.read { try log.envelope(at: 9, $0)?.previousInStream } == 8)
        #expect(try env.read { try log.envelope(at: 6, $0)?.previousInStream } == 0)
        #expect(try env.read { try log.count(of: .user("alice"), $0) } == 4)
        #expect(try env.read { try log.count(of: .timer("none"), $0) } == 0)
    }

    @Test func aLongStreamIsReadInPagesOldestFirstFromItsPageEnds() throws {
        let env = try Environment(path: dir.path)
        let log = try EventLog(environment: env)
        // 23 events of t1 interleaved with another stream's.
        var events: [Event] = []
        for i in 0..<23 {
            events.append(.timerUpdated(TimerSnapshot(id: "t1", name: "n\(i)", totalDuration: "PT1M")))
            if i % 3 == 0 { events.append(.userErased("bob")) }
        }
        _ = try appended(events, env: env, log: log)
        let all = try env.read { try log.streamSeqs(.timer("t1"), $0) }
        #expect(all.count == 23)
        let ends = try env.read { try log.streamPageEnds(.timer("t1"), pageSize: 5, $0) }
        #expect(ends.count == 5)
        #expect(ends.first == all.last)
        var paged: [UInt64] = []
        for end in ends.reversed() { paged += try env.read { try log.streamSeqs(.timer("t1"), endingAt: end, count: 5, $0) } }
        #expect(paged == all)
        #expect(try env.read { try log.streamPageEnds(.timer("none"), pageSize: 5, $0) } == [])
    }

    @Test func aCleanLogVerifies() throws {
        let env = try Environment(path: dir.path)
        let log = try EventLog(environment: env)
        _ = try appended(everyEvent, env: env, log: log)
        let result = try env.read { try log.verify($0) }
        #expect(result.isValid)
        #expect(result.records == everyEvent.count)
    }

    @Test func aNewerFormatIsRefused() throws {
        do {
            let env = try Environment(path: dir.path)
            let log = try EventLog(environment: env)
            try env.write { txn in try txn.put(log.meta, key: Array("format".utf8), value: [9]) }
        }
        let env = try Environment(path: dir.path)
        #expect(throws: LogError.self) { _ = try EventLog(environment: env) }
    }
}
