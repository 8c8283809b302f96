import Foundation
import Logging
import Testing
import BubbleCore
import EventLog
import TimerDomain
import TestSupport
@testable import PostgresLog
@testable import BubbleServer

/// The server as a cluster node, in process (the three-node suite with real processes and
/// sockets is Tools/scripts/e2e/cluster.py).
@Suite(.enabled(if: TestDatabase.available, "needs BUBBLE_TEST_POSTGRES_URL (Tools/scripts/test.sh starts PostgreSQL)"))
struct ClusterNodeTests {
    let logger = Logger(label: "test")

    /// A statement on the server's `postgres` database (faults: sessions ended, a database closed).
    static func sql(_ text: String, beside url: PostgresURL, _ logger: Logger) async throws {
        var base = url
        base.database = "postgres"
        let other = try await PostgresLog.connect(base, logger: logger)
        try await other.execute(text)
        await other.close()
    }

    func configuration(_ directory: TemporaryDirectory, _ url: PostgresURL) -> ServerConfiguration {
        var config = ServerConfiguration()
        config.dataDirectory = directory.path
        config.port = 0
        config.postgresURL = url.description
        config.scheduler = false
        return config
    }

    @Test func aRecordFromANewerBuildStopsTheNodeAndKeepsANewOneFromStarting() async throws {
        let url = try await TestDatabase.make(logger: logger)
        let dir = TemporaryDirectory("node-newer")
        let reasons = Reasons()
        let server = try await BubbleServer(configuration: configuration(dir, url), logger: logger, stop: { reasons.add($0) })
        let store = server.state.store
        let alice = Actor(userID: "alice", deviceID: "phone")
        _ = try await store.execute(CommandRequest(.timer(.update(TimerSnapshot(id: "t0", name: "T", totalDuration: "PT1M", remainingDuration: "PT1M"))), actor: alice))

        // A newer node appends a record of a type this build does not know.
        let log = try await PostgresLog.connect(url, logger: logger)
        let before = try await log.head()
        let future = ReplicatedRecordsTests.futureRecord(seq: before.seq + 1, after: before)
        _ = try await log.append { head in
            [PostgresLog.Row(seq: head.seq + 1, stream: "timer:t1", previousInStream: 0, timestamp: 1_796_000_000_000, bytes: future)]
        }
        store.replicate()
        try await waitUntil { !reasons.all.isEmpty }
        let reason = try #require(reasons.all.first)
        #expect(reason.contains("record \(before.seq + 1)") && reason.contains("cannot read") && reason.contains("upgrade this node"), "\(reason)")
        #expect(try store.read { try store.log.head($0) } == before, "nothing folded around it")
        // A command meanwhile is refused, not decided on a replica that stopped short.
        await #expect(throws: StoreError.self) { try await store.execute(CommandRequest(.timer(.stop("t0")), actor: alice)) }
        #expect(try await log.head().seq == before.seq + 1)
        store.close()

        // A node joining now stops at the same record before it serves.
        let fresh = TemporaryDirectory("node-newer-2")
        do {
            _ = try await BubbleServer(configuration: configuration(fresh, url), logger: logger, stop: { reasons.add($0) })
            Issue.record("a node started on a log it cannot read")
        } catch {
            #expect("\(error)".contains("record \(before.seq + 1) of the shared log is intact but this build cannot read it"), "\(error)")
        }
        await log.close()
    }

    @Test func aNodeReconnectsToPostgresAndAnswers503WhileItCannot() async throws {
        let url = try await TestDatabase.make(logger: logger)
        let dir = TemporaryDirectory("node-reconnect")
        let server = try await BubbleServer(configuration: configuration(dir, url), logger: logger)
        let store = server.state.store
        let alice = Actor(userID: "alice", deviceID: "phone")
        func rename(_ name: String) -> CommandRequest {
            CommandRequest(.timer(.update(TimerSnapshot(id: "t0", name: name, totalDuration: "PT1M", remainingDuration: "PT1M"))), actor: alice)
        }
        _ = try await store.execute(rename("A"))
        let admin = try await PostgresLog.connect(url, logger: logger)
        func sql(_ text: String) async throws { try await Self.sql(text, beside: url, logger) }
        // PostgreSQL drops the node's sessions (a restart, a failover): the next command
        // reconnects and is acknowledged.
        try await sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(url.database)' AND pid <> pg_backend_pid()")
        try await Task.sleep(for: .milliseconds(200))
        let renamed = try await store.execute(rename("B"))
        #expect(renamed.events.count == 1)

        // While it cannot be reached: 503 `unavailable`, nothing acknowledged, nothing applied.
        let before = try store.read { try store.log.head($0) }
        try await sql("ALTER DATABASE \(url.database) ALLOW_CONNECTIONS false")
        try await sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(url.database)'")
        try await Task.sleep(for: .milliseconds(200))
        do {
            _ = try await store.execute(rename("C"))
            Issue.record("a command was acknowledged without PostgreSQL")
        } catch {
            let answer = ServerError.from(error)
            #expect(answer.status == .serviceUnavailable)
            #expect(String(decoding: answer.jsonBody, as: UTF8.self) == #"{"code":"unavailable","error":"the cluster's log is out of reach; the command was not acknowledged, try again"}"#)
        }
        #expect(try store.read { try store.log.head($0) } == before)
        try await sql("ALTER DATABASE \(url.database) ALLOW_CONNECTIONS true")
        _ = try await store.execute(rename("D"))
        #expect(try await admin.head().seq == before.seq + 1, "C never reached the log; D did")
        store.close()
        await admin.close()
    }

    @Test func aSingleServersDataDirectoryIsRefusedUntilItsLogIsImported() async throws {
        let url = try await TestDatabase.make(logger: logger)
        let dir = TemporaryDirectory("node-single")
        let single = try EventStore(directory: dir.path)
        _ = try DemoScenario.run(on: single)
        _ = try ServerKeys.loadOrCreate(directory: dir.path)
        let head = try single.read { try single.log.head($0) }
        single.close()
        do {
            _ = try await BubbleServer(configuration: configuration(dir, url), logger: logger)
            Issue.record("a node served a log PostgreSQL does not have")
        } catch {
            #expect("\(error)".contains("the log in this data directory (seq \(head.seq)) is not the shared log's (seq 0"), "\(error)")
            #expect("\(error)".contains("bubble-timer cluster import"))
        }
        let log = try await PostgresLog.connect(url, logger: logger)
        #expect(try await log.head().seq == 0, "nothing appended")
        #expect(try await log.shareSecrets([:]).isEmpty, "nothing offered by a refused node")
        // Imported — log and secrets: a new node joining first signs and maps emails as the
        // single server did, and the same directory is a node whose replica is up to date.
        _ = try await ClusterImport.run(dataDirectory: dir.path, into: log)
        let fresh = TemporaryDirectory("node-after-import")
        let other = try await BubbleServer(configuration: configuration(fresh, url), logger: logger)
        let original = try ServerKeys.loadOrCreate(directory: dir.path)
        #expect(other.state.serverKeys.keyID == original.keyID)
        #expect(other.state.serverKeys.userID(forEmail: "ann@example.org") == original.userID(forEmail: "ann@example.org"))
        other.state.store.close()
        let node = try await BubbleServer(configuration: configuration(dir, url), logger: logger)
        #expect(try node.state.store.read { try node.state.store.log.head($0) } == (try await log.head()))
        node.state.store.close()
        await log.close()
    }

    @Test func healthIsDegradedWhileThePostgresLogIsOutOfReach() async throws {
        let url = try await TestDatabase.make(logger: logger)
        let dir = TemporaryDirectory("node-health")
        let server = try await BubbleServer(configuration: configuration(dir, url), logger: logger)
        let node = try #require(server.cluster)
        let following = Task { await node.follow(server.state.store) }
        func sharedLog() -> String? { node.health().json["sharedLog"] as? String }
        try await waitUntil { sharedLog() == "ok" }
        #expect(node.health().problems.isEmpty)

        try await Self.sql("ALTER DATABASE \(url.database) ALLOW_CONNECTIONS false", beside: url, logger)
        try await Self.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(url.database)'", beside: url, logger)
        try await waitUntil(timeout: .seconds(20)) { sharedLog() == "unreachable" }
        let problems = node.health().problems
        #expect(problems.count == 1 && problems[0].hasPrefix("the shared log (PostgreSQL) has not answered for ") && problems[0].hasSuffix(" s: commands get 503"), "\(problems)")

        try await Self.sql("ALTER DATABASE \(url.database) ALLOW_CONNECTIONS true", beside: url, logger)
        try await waitUntil(timeout: .seconds(20)) { sharedLog() == "ok" }
        #expect(node.health().problems.isEmpty)
        following.cancel()
        await following.value
        server.state.store.close()
    }

    @Test func everyNodeUsesTheFirstNodesSecrets() async throws {
        let url = try await TestDatabase.make(logger: logger)
        let dirA = TemporaryDirectory("node-a"), dirB = TemporaryDirectory("node-b")
        // B had secrets of its own from a single-server past: the cluster's replace them.
        _ = try ServerKeys.loadOrCreate(directory: dirB.path)
        let oldAdmin = try String(contentsOfFile: dirB.path + "/admin-token", encoding: .utf8)
        let a = try await BubbleServer(configuration: configuration(dirA, url), logger: logger)
        let b = try await BubbleServer(configuration: configuration(dirB, url), logger: logger)
        for name in Backup.secretFiles {
            #expect(try String(contentsOfFile: dirA.path + "/" + name, encoding: .utf8) == String(contentsOfFile: dirB.path + "/" + name, encoding: .utf8), "\(name)")
        }
        #expect(try String(contentsOfFile: dirB.path + "/admin-token", encoding: .utf8) != oldAdmin)
        // Same account key: one email is one user on every node; same signing key: A's tokens verify on B.
        #expect(a.state.serverKeys.userID(forEmail: "ann@example.org") == b.state.serverKeys.userID(forEmail: "ann@example.org"))
        #expect(a.state.serverKeys.keyID == b.state.serverKeys.keyID)
        a.state.store.close()
        b.state.store.close()
    }
}

final class Reasons: @unchecked Sendable {
    private let lock = NSLock()
    private var reasons: [String] = []
    func add(_ reason: String) { lock.withLock { reasons.append(reason) } }
    var all: [String] { lock.withLock { reasons } }
}
