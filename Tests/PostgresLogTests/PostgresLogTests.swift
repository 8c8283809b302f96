import Foundation
import Logging
import PostgresNIO
import Testing
import BubbleCore
@testable import EventLog
import LMDB
import TimerDomain
import TestSupport
@testable import PostgresLog

/// The shared log in a real PostgreSQL: `Tools/scripts/test.sh` starts a private instance and
/// names it in `BUBBLE_TEST_POSTGRES_URL` (`Tools/scripts/postgres.sh`). Each test gets a
/// database of its own.
enum TestDatabase {
    static let server = ProcessInfo.processInfo.environment["BUBBLE_TEST_POSTGRES_URL"]
    static var available: Bool { server != nil }

    /// A new, empty database on the test server.
    static func make(logger: Logger) async throws -> PostgresURL {
        var url = try PostgresURL(parsing: try #require(server))
        let name = "bubble_test_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try await PostgresConnection.connect(
            configuration: .init(host: url.host, port: url.port, username: url.user, password: url.password, database: url.database, tls: .disable),
            id: 1, logger: logger
        )
        try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        try await admin.close()
        url.database = name
        return url
    }
}

@Suite(.enabled(if: TestDatabase.available, "needs BUBBLE_TEST_POSTGRES_URL (Tools/scripts/test.sh starts PostgreSQL)"))
struct PostgresLogTests {
    let logger = Logger(label: "test")

    /// A record for `timer`, encoded after `head` as a node would under the head's lock.
    static func row(_ timer: String, after head: LogHead, previous: UInt64, name: String) -> PostgresLog.Row {
        let envelope = EventEnvelope(
            seq: head.seq + 1, timestamp: 1_796_000_000_000 + Int64(head.seq), actor: Actor(userID: "alice", deviceID: "node"), commandID: nil,
            event: .timerCreated(TimerSnapshot(id: timer, name: name, totalDuration: "PT3M", remainingDuration: "PT3M"), owner: "alice"),
            previousInStream: previous
        )
        let (record, _) = RecordCodec.encode(envelope, previousChain: head.chain)
        return PostgresLog.Row(seq: envelope.seq, stream: envelope.stream.description, previousInStream: previous, timestamp: envelope.timestamp, bytes: record)
    }

    @Test func importKeepsEverySeqEveryByteAndTheChainAndGoesOnWhereItStopped() async throws {
        let url = try await TestDatabase.make(logger: logger)
        let dir = TemporaryDirectory("pg-import")
        let store = try EventStore(directory: dir.path)
        _ = try DemoScenario.run(on: store)
        let (localHead, localRows) = try store.read { txn in
            (try store.log.head(txn), try ClusterImport.rows(store.log, after: 0, limit: .max, txn))
        }
        store.close()

        let log = try await PostgresLog.connect(url, logger: logger)
        let first = try await ClusterImport.run(dataDirectory: dir.path, into: log, batchSize: 7)
        #expect(first.imported == localHead.seq)
        #expect(first.skipped == 0)
        #expect(try await log.head() == localHead)
        #expect(try await log.rows(after: 0, limit: 10_000) == localRows)
        // Stream heads as LMDB keeps them: the back-pointer chains continue on either side.
        let heads = try await log.streamHeads()
        let local = try EventStore(directory: dir.path)
        for (stream, head) in heads {
            #expect(try local.read { try local.log.streamHead(try #require(StreamID(parsing: stream)), $0) } == head, "\(stream)")
        }
        local.close()

        // Cut off after 20 records (their rows written, as an import batch would): the next
        // run goes on from 21.
        let cut = try await PostgresLog.connect(try await TestDatabase.make(logger: logger), logger: logger)
        _ = try await cut.append { _ in Array(localRows.prefix(20)) }
        let resumed = try await ClusterImport.run(dataDirectory: dir.path, into: cut)
        #expect(resumed.skipped == 20)
        #expect(resumed.imported == localHead.seq - 20)
        #expect(try await cut.rows(after: 0, limit: 10_000) == localRows)
        await cut.close()

        // Again: nothing to do. A log that differs from the imported one: refused.
        let again = try await ClusterImport.run(dataDirectory: dir.path, into: log)
        #expect(again.imported == 0)
        #expect(again.skipped == localHead.seq)
        let other = TemporaryDirectory("pg-other")
        let otherStore = try EventStore(directory: other.path)
        _ = try await otherStore.execute(CommandRequest(.timer(.update(TimerSnapshot(id: "x", name: "X", totalDuration: "PT1M", remainingDuration: "PT1M"))), actor: Actor(userID: "zed", deviceID: "d")))
        otherStore.close()
        await #expect(throws: ClusterLogError.self) { try await ClusterImport.run(dataDirectory: other.path, into: log) }
        #expect(try await log.head() == localHead)
        await log.close()
    }

    @Test func concurrentAppendsFromTwoNodesGetGaplessSeqsInCommitOrderAndOneChain() async throws {
        let url = try await TestDatabase.make(logger: logger)
        let a = try await PostgresLog.connect(url, logger: logger)
        let b = try await PostgresLog.connect(url, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (node, log) in [("a", a), ("b", b)] {
                group.addTask {
                    for i in 0..<40 {
                        _ = try await log.append { head in [Self.row("\(node)\(i)", after: head, previous: 0, name: "\(node) \(i)")] }
                    }
                }
            }
            try await group.waitForAll()
        }
        let rows = try await a.rows(after: 0, limit: 1_000)
        #expect(rows.map(\.seq) == Array(1...80))
        // Each record links to the one before it, whichever node wrote either.
        var chain = ChainHash.genesis
        for row in rows {
            let envelope = try row.bytes.withUnsafeBytes { try RecordCodec.decode($0, seq: row.seq) }
            let (again, link) = RecordCodec.encode(envelope, previousChain: chain)
            #expect(again == row.bytes, "record \(row.seq)")
            chain = link
        }
        #expect(try await a.head().chain == chain)
        await a.close()
        await b.close()
    }

    @Test func rowsNumberedAfterAnOlderHeadWriteNothing() async throws {
        let url = try await TestDatabase.make(logger: logger)
        let a = try await PostgresLog.connect(url, logger: logger)
        let b = try await PostgresLog.connect(url, logger: logger)
        // Both read the empty log; a appends first.
        let seen = try await b.head()
        let first = try await a.append { head in [Self.row("t1", after: head, previous: 0, name: "from a")] }
        #expect(first.seq == 1)
        await #expect(throws: ClusterLogError.corrupt(seq: 1, reason: "rows must be numbered from 2 without gaps")) {
            _ = try await b.append { _ in [Self.row("t1", after: seen, previous: 0, name: "from b")] }
        }
        #expect(try await b.head() == first)
        #expect(try await b.rows(after: 0, limit: 10).count == 1)
        let second = try await b.append { head in [Self.row("t1", after: head, previous: 1, name: "from b")] }
        #expect(second.seq == 2)
        #expect(try await a.streamHeads()["timer:t1"] == StreamHead(lastSeq: 2, count: 2))
        await a.close()
        await b.close()
    }
}

/// Reading `--postgres-url` (no server needed).
@Suite struct PostgresURLTests {
    @Test func urlsAreReadAndPasswordsNeverPrinted() throws {
        let url = try PostgresURL(parsing: "postgres://bubble:s3cret@db.example.org:6543/timers")
        #expect(url.host == "db.example.org" && url.port == 6543 && url.user == "bubble" && url.password == "s3cret" && url.database == "timers")
        #expect(url.description == "postgres://bubble@db.example.org:6543/timers")
        #expect(throws: ClusterLogError.self) { try PostgresURL(parsing: "postgres://bubble@db.example.org") }
        do {
            _ = try PostgresURL(parsing: "mysql://bubble:s3cret@db/timers")
            Issue.record("a mysql URL was accepted")
        } catch {
            #expect(!error.description.contains("s3cret"))
        }
    }
}

/// A replica of the shared log: PostgreSQL's rows written into a fresh data directory.
@Suite(.enabled(if: TestDatabase.available, "needs BUBBLE_TEST_POSTGRES_URL (Tools/scripts/test.sh starts PostgreSQL)"))
struct ReplicaCatchUpTests {
    let logger = Logger(label: "test")

    @Test func aNewNodeCatchesUpToTheSameHeadAndItsViewsVerify() async throws {
        let source = TemporaryDirectory("pg-source")
        let store = try EventStore(directory: source.path)
        _ = try DemoScenario.run(on: store)
        let head = try store.read { try store.log.head($0) }
        store.close()
        let log = try await PostgresLog.connect(try await TestDatabase.make(logger: logger), logger: logger)
        _ = try await ClusterImport.run(dataDirectory: source.path, into: log)

        let replica = TemporaryDirectory("pg-replica")
        let node = try EventStore(directory: replica.path)
        let batches = Counter()
        let report = try await Replica.catchUp(node, from: log, batchSize: 10) { batches.add($0.count) }
        #expect(report.applied == head.seq)
        #expect(report.head == head)
        #expect(batches.value == Int(head.seq))
        // Nothing more to do; the replica is what replay and verify expect of any data directory.
        #expect(try await Replica.catchUp(node, from: log).applied == 0)
        node.close()
        let verified = try Replay.verify(directory: replica.path)
        #expect(verified.differences.isEmpty, "\(verified.differences)")
        let inspector = try Inspector(directory: replica.path)
        #expect(try inspector.verify().log.isValid)
        let original = try Inspector(directory: source.path)
        #expect(try inspector.history(of: "tea").map(\.envelope.seq) == (try original.history(of: "tea").map(\.envelope.seq)))
        #expect(try !inspector.history(of: "tea").isEmpty)
        // The users' keys came along: the same users can be read on the replica.
        #expect(try inspector.statistics().userKeys == (try original.statistics().userKeys))
        #expect(try inspector.statistics().userKeys > 0)
        await log.close()
    }
}

/// The replica's door: records from elsewhere are taken all or none, and only when they follow.
@Suite struct ReplicatedRecordsTests {
    static func demoRecords() throws -> [[UInt8]] {
        let dir = TemporaryDirectory("replicated")
        let store = try EventStore(directory: dir.path)
        defer { store.close() }
        _ = try DemoScenario.run(on: store)
        return try store.read { try ClusterImport.rows(store.log, after: 0, limit: .max, $0) }.map(\.bytes)
    }

    /// An intact record (checksum and chain hold) of an event type no build knows yet (250).
    static func futureRecord(seq: UInt64, after head: LogHead) -> [UInt8] {
        let known = EventEnvelope(
            seq: seq, timestamp: 1_796_000_000_000, actor: Actor(userID: "alice", deviceID: "node"), commandID: nil,
            event: .timerCreated(TimerSnapshot(id: "t1", name: "T", totalDuration: "PT1M", remainingDuration: "PT1M"), owner: "alice")
        )
        var future = RecordCodec.encode(known, previousChain: head.chain).record
        let tagOffset = 37 + 24 + (1 + 5) + (1 + 4) + 1 + 1 + 1  // header, seq/back/time, actor, no command id, no audience, flags
        precondition(future[tagOffset] != 250)
        future[tagOffset] = 250
        head.chain.withBytes { future.replaceSubrange(5..<37, with: $0) }
        let link = future.withUnsafeBytes { RecordCodec.expectedChain($0, previousChain: head.chain)! }
        link.withBytes { future.replaceSubrange(5..<37, with: $0) }
        let crc = future.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[5...])) }
        withUnsafeBytes(of: crc.littleEndian) { future.replaceSubrange(1..<5, with: $0) }
        return future
    }

    @Test func aRecordThatDoesNotFollowRefusesTheWholeBatch() throws {
        let records = try Self.demoRecords()
        let dir = TemporaryDirectory("replica")
        let store = try EventStore(directory: dir.path)
        defer { store.close() }
        var flipped = records[4]
        flipped[flipped.count - 1] ^= 0x01
        var reordered = Array(records[0..<6])
        reordered.swapAt(2, 3)
        for (what, batch) in [("a flipped byte", Array(records[0..<4]) + [flipped]), ("a gap", [records[0], records[1], records[3]]), ("reordered", reordered)] {
            #expect(throws: StoreError.self, "\(what)") { try store.applyReplicated(batch) }
            #expect(try store.read { try store.log.head($0) }.seq == 0, "\(what): nothing applied")
        }
        // An intact record of an event type this build does not know (a newer node wrote it):
        // refused as newer, not as damage, and nothing folded around it.
        let future = Self.futureRecord(seq: 1, after: LogHead.genesis)
        #expect(future.withUnsafeBytes { RecordCodec.checksumHolds($0) })
        do {
            _ = try store.applyReplicated([future])
            Issue.record("a record of an unknown type was folded")
        } catch StoreError.log(.newerRecord(let seq, let reason)) {
            #expect(seq == 1)
            #expect(reason.contains("unknown event type 250"))
        }
        #expect(try store.read { try store.log.head($0) }.seq == 0)

        // The same records in order are taken, and a second copy of them is not.
        #expect(try store.applyReplicated(Array(records[0..<10])).count == 10)
        #expect(throws: StoreError.self) { try store.applyReplicated([records[9]]) }
        #expect(try store.applyReplicated(Array(records[10...])).count == records.count - 10)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add(_ n: Int) { lock.withLock { count += n } }
    var value: Int { lock.withLock { count } }
}

/// Following the shared log (LISTEN/NOTIFY) and leading the once-per-cluster duties.
@Suite(.enabled(if: TestDatabase.available, "needs BUBBLE_TEST_POSTGRES_URL (Tools/scripts/test.sh starts PostgreSQL)"))
struct FollowAndLeadTests {
    let logger = Logger(label: "test")

    @Test func aFollowerGetsEveryAppendOnceInOrderWokenByNotifyNotByPolling() async throws {
        let url = try await TestDatabase.make(logger: logger)
        let writer = try await PostgresLog.connect(url, logger: logger)
        let reader = try await PostgresLog.connect(url, logger: logger)
        // Polling only every 60 s: anything seen sooner came through NOTIFY.
        let stream = reader.follow(after: 0, pollInterval: .seconds(60))
        let seen = Task {
            var seqs: [UInt64] = []
            for try await rows in stream {
                seqs += rows.map(\.seq)
                if seqs.count >= 30 { break }
            }
            return seqs
        }
        let clock = ContinuousClock()
        let started = clock.now
        for i in 0..<30 {
            _ = try await writer.append { head in [PostgresLogTests.row("f\(i)", after: head, previous: 0, name: "F")] }
            try await Task.sleep(for: .milliseconds(20))
        }
        let seqs = try await seen.value
        #expect(seqs == Array(1...30))
        #expect(clock.now - started < .seconds(30), "woken by NOTIFY, not the 60 s poll")
        await writer.close()
        await reader.close()
    }

    @Test func oneNodeLeadsEachDutyAndAnotherTakesOverWhenItGoes() async throws {
        let url = try await TestDatabase.make(logger: logger)
        let a = try #require(try await Leadership.tryLead(.scheduler, at: url, logger: logger))
        #expect(a.isHeld)
        #expect(try await Leadership.tryLead(.scheduler, at: url, logger: logger) == nil)
        let outbox = try #require(try await Leadership.tryLead(.outbox, at: url, logger: logger), "another duty, another lease")
        await a.resign()  // as its connection would drop if the node died
        #expect(!a.isHeld)
        let b = try #require(try await Leadership.tryLead(.scheduler, at: url, logger: logger))
        #expect(b.isHeld)
        await b.resign()
        await outbox.resign()
    }
}

/// Keys made on one node open on the others; an erasure takes them everywhere.
@Suite(.enabled(if: TestDatabase.available, "needs BUBBLE_TEST_POSTGRES_URL (Tools/scripts/test.sh starts PostgreSQL)"))
struct SharedKeysTests {
    let logger = Logger(label: "test")

    static func email(of user: UserID, in store: EventStore) throws -> String? {
        try store.read { txn in
            guard let sealed = try store.views.userState(user, txn).profile?.email, let key = try store.keys.key(of: user, txn) else { return nil }
            return key.open(sealed)
        }
    }

    @Test func aKeyMadeOnOneNodeOpensOnTheOtherAndAnErasureTakesItEverywhere() async throws {
        let url = try await TestDatabase.make(logger: logger)
        let dirA = TemporaryDirectory("keys-a"), dirB = TemporaryDirectory("keys-b"), dirC = TemporaryDirectory("keys-c")
        let a = try await ClusterTestNode(dirA.path, url, logger), b = try await ClusterTestNode(dirB.path, url, logger)
        let bob = Actor(userID: "bob", deviceID: "phone")
        _ = try await a.store.execute(CommandRequest(.device(.register(email: "bob@example.org", displayName: "Bob")), actor: bob))
        #expect(try Self.email(of: "bob", in: a.store) == "bob@example.org")
        _ = try await Replica.catchUp(b.store, from: b.log)
        #expect(try Self.email(of: "bob", in: b.store) == "bob@example.org", "node A's key opens bob's email on node B")

        // Bob leaves through node B: his key goes from PostgreSQL and, as each node applies
        // the erasure, from every replica; a node built afterwards never gets it.
        _ = try await b.store.execute(CommandRequest(.device(.erase(ErasureScope())), actor: bob))
        #expect(try b.store.read { try b.store.keys.key(of: "bob", $0) } == nil)
        _ = try await Replica.catchUp(a.store, from: a.log)
        #expect(try a.store.read { try a.store.keys.key(of: "bob", $0) } == nil)
        #expect(try await a.log.keys(after: 0, through: .max / 2).isEmpty)
        let c = try EventStore(directory: dirC.path)
        _ = try await Replica.catchUp(c, from: a.log)
        #expect(try c.read { try c.keys.key(of: "bob", $0) } == nil)
        #expect(try c.read { try c.log.head($0) } == (try a.store.read { try a.store.log.head($0) }))
        c.close()
        for node in [a, b] { node.store.close(); await node.log.close() }
    }
}

/// A cluster node's store: its data directory a replica, its commits through PostgreSQL.
struct ClusterTestNode {
    let store: EventStore
    let log: PostgresLog

    init(_ directory: String, _ url: PostgresURL, _ logger: Logger) async throws {
        log = try await PostgresLog.connect(url, logger: logger)
        var options = StoreOptions()
        options.sharedLog = PostgresSharedLog(log)
        store = try EventStore(directory: directory, options: options)
    }
}

/// Two nodes' command paths on one shared log: deciding on their replicas, racing to append.
@Suite(.enabled(if: TestDatabase.available, "needs BUBBLE_TEST_POSTGRES_URL (Tools/scripts/test.sh starts PostgreSQL)"))
struct SharedLogCommitTests {
    let logger = Logger(label: "test")

    static func update(_ timer: String, name: String, device: String) -> CommandRequest {
        CommandRequest(.timer(.update(TimerSnapshot(id: timer, name: name, totalDuration: "PT10M", remainingDuration: "PT10M"))), actor: Actor(userID: "alice", deviceID: device))
    }

    @Test func twoNodesWritingTheSameTimersAtOnceConvergeOnOneLogAndLoseNothing() async throws {
        let url = try await TestDatabase.make(logger: logger)
        let dirA = TemporaryDirectory("node-a"), dirB = TemporaryDirectory("node-b")
        let a = try await ClusterTestNode(dirA.path, url, logger), b = try await ClusterTestNode(dirB.path, url, logger)
        for t in 0..<3 {
            let created = try await a.store.execute(Self.update("t\(t)", name: "T\(t)", device: "a"))
            #expect(created.events.first.map { if case .timerCreated = $0.envelope.event { true } else { false } } == true)
        }
        // Both nodes at once, the same three timers: renames on A, a minute added on B, each
        // decided on its node's replica of a log the other keeps moving.
        let acknowledged = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            group.addTask {
                var seqs: [UInt64] = []
                for i in 0..<30 { seqs += try await a.store.execute(Self.update("t\(i % 3)", name: "A\(i)", device: "a")).events.map(\.envelope.seq) }
                return seqs
            }
            group.addTask {
                var seqs: [UInt64] = []
                for i in 0..<30 {
                    let request = CommandRequest(.timer(.countdown("t\(i % 3)", .add(60_000))), actor: Actor(userID: "alice", deviceID: "b"))
                    seqs += try await b.store.execute(request).events.map(\.envelope.seq)
                }
                return seqs
            }
            var all: [UInt64] = []
            for try await seqs in group { all += seqs }
            return all
        }
        #expect(acknowledged.count == 60)
        #expect(Set(acknowledged).count == 60, "no seq acknowledged twice")
        // Each node decided after the other's records (it read them under the lock): both
        // replicas hold everything acknowledged on either, in one order.
        let shared = try await a.log.head()
        #expect(shared.seq == 3 + 60)
        let rows = try await a.log.rows(after: 0, limit: 1_000)
        #expect(Set(acknowledged).isSubset(of: Set(rows.map(\.seq))))
        let types = try rows.map { row in try row.bytes.withUnsafeBytes { try RecordCodec.decode($0, seq: row.seq) }.event.name }
        #expect(types.filter { $0 == "timer_updated" }.count == 30)
        #expect(types.filter { $0 == "timer_time_added" }.count == 30)
        // Both ran: the other node's records were interleaved into each one's batches.
        let writers = Set(try rows.suffix(60).map { row in try row.bytes.withUnsafeBytes { try RecordCodec.decode($0, seq: row.seq) }.actor.deviceID })
        #expect(writers == ["a", "b"])
        // A node is brought up by the follower's ring (an empty batch) too.
        for node in [a, b] {
            node.store.replicate()
            try await waitUntil { try node.store.read { try node.store.log.head($0) } == shared }
        }
        for t in 0..<3 {
            let onA = try a.store.read { try a.store.views.timer("t\(t)", $0) }, onB = try b.store.read { try b.store.views.timer("t\(t)", $0) }
            #expect(onA?.timer == onB?.timer && onA?.timer != nil, "t\(t)")
            #expect(onA?.timer.name == "A\(27 + t)", "A's last rename of t\(t) stands")
        }
        a.store.close()
        b.store.close()
        for dir in [dirA, dirB] {
            #expect(try Replay.verify(directory: dir.path).differences.isEmpty)
        }
        await a.log.close()
        await b.log.close()
    }

    @Test func aNodeFarBehindCatchesUpBeforeItDecides() async throws {
        let url = try await TestDatabase.make(logger: logger)
        let dirA = TemporaryDirectory("node-a"), dirB = TemporaryDirectory("node-b")
        let a = try await ClusterTestNode(dirA.path, url, logger), b = try await ClusterTestNode(dirB.path, url, logger)
        _ = try await b.store.execute(Self.update("t0", name: "B", device: "b"))
        // A writes more than one locked append carries while B (no follower here) hears nothing.
        let count = Int(PostgresLog.lockedCatchUpLimit) + 50
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<count { group.addTask { _ = try await a.store.execute(Self.update("t\(i % 20)", name: "A\(i)", device: "a")) } }
            try await group.waitForAll()
        }
        let shared = try await a.log.head()
        #expect(shared.seq > UInt64(count))
        let answer = try await b.store.execute(Self.update("t0", name: "B again", device: "b"))
        #expect(answer.events.map(\.envelope.seq) == [shared.seq + 1], "decided after all of A's, numbered on")
        #expect(try b.store.read { try b.store.log.head($0) } == (try await a.log.head()))
        #expect(try b.store.read { try b.store.views.timer("t0", $0) }?.timer.name == "B again")
        for node in [a, b] { node.store.close(); await node.log.close() }
        #expect(try Replay.verify(directory: dirB.path).differences.isEmpty)
    }

    @Test func whatACatchUpAppliedBeforeFailingStillReachesTheFanOut() async throws {
        let url = try await TestDatabase.make(logger: logger)
        let dir = TemporaryDirectory("node-partial")
        let node = try await ClusterTestNode(dir.path, url, logger)
        let delivered = Counter(), failures = Reasons()
        node.store.onCommit { delivered.add($0.count) }
        node.store.onReplicationFailure { failures.add("\($0)") }
        // One catch-up transaction's worth of records (5,000), then one from a newer build, read
        // by the next: the first is applied, the second refused whole.
        var head = try await node.log.head()
        var rows: [PostgresLog.Row] = []
        for i in 0..<5_000 {
            let row = PostgresLogTests.row("p\(i)", after: head, previous: 0, name: "P")
            rows.append(row)
            head = LogHead(seq: row.seq, timestamp: row.timestamp, chain: Array(row.bytes[5..<37]).withUnsafeBytes { ChainHash($0)! })
        }
        let batch = rows
        _ = try await node.log.append { _ in batch }
        let future = ReplicatedRecordsTests.futureRecord(seq: head.seq + 1, after: head)
        _ = try await node.log.append { h in [PostgresLog.Row(seq: h.seq + 1, stream: "timer:t1", previousInStream: 0, timestamp: 1, bytes: future)] }

        node.store.replicate()
        try await waitUntil { delivered.value == 5_000 || !failures.all.isEmpty }
        #expect(delivered.value == 5_000, "the records applied before the failure were handed on")
        node.store.replicate()
        try await waitUntil { !failures.all.isEmpty }
        #expect(failures.all.first?.contains("cannot read") == true)
        #expect(try node.store.read { try node.store.log.head($0) } == head)
        node.store.close()
        await node.log.close()
    }

    @Test func aRejectedCommandAppendsNothingAndARefusedAppendLeavesTheReplicaAsItWas() async throws {
        let url = try await TestDatabase.make(logger: logger)
        let dir = TemporaryDirectory("node-r")
        let node = try await ClusterTestNode(dir.path, url, logger)
        _ = try await node.store.execute(Self.update("t1", name: "T", device: "a"))
        let before = try await node.log.head()
        let mallory = CommandRequest(.timer(.stop("t1")), actor: Actor(userID: "mallory", deviceID: "m"))
        await #expect(throws: Rejection.self) { try await node.store.execute(mallory) }
        #expect(try await node.log.head() == before, "nothing appended for a rejection")
        #expect(try node.store.read { try node.store.log.head($0) } == before)
        node.store.close()
        await node.log.close()
    }
}

func waitUntil(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try !condition() {
        guard ContinuousClock.now < deadline else { Issue.record("timed out"); return }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// The follower's wake-up: a ring wakes one wait; no ring, no wake-up before the limit.
@Suite struct DoorbellTests {
    @Test func aWaitEndedByARingLeavesNoRingBehind() async throws {
        let bell = Doorbell()
        let waiting = Task { await bell.wait(upTo: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(50))
        bell.ring()
        await waiting.value
        // The first wait's timer was cancelled by that ring; it must not ring now.
        let returned = Flag()
        let second = Task {
            await bell.wait(upTo: .seconds(30))
            returned.set()
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(!returned.isSet, "the second wait returned with nobody ringing")
        bell.ring()
        await second.value
        #expect(returned.isSet)
    }
}

extension DoorbellTests {
    @Test(.timeLimit(.minutes(1))) func cancellingTheWaiterEndsItsWait() async throws {
        let bell = Doorbell()
        let returned = Flag()
        let waiting = Task {
            await bell.wait(upTo: .seconds(600))
            returned.set()
        }
        try await Task.sleep(for: .milliseconds(50))
        #expect(!returned.isSet)
        waiting.cancel()
        await waiting.value
        #expect(returned.isSet)
    }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
