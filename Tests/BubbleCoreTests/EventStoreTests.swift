import TestSupport
import Foundation
import Testing
import LMDB
import TimerDomain
import EventLog
import Projections
@testable import BubbleCore

@Suite struct EventStoreTests {
    let dir = TemporaryDirectory("store")

    @Test func aCommandAppendsDecidedEventsAndUpdatesViewsInTheSameCommit() throws {
        var options = StoreOptions()
        options.timeZone = "Europe/Berlin"
        let store = try EventStore(directory: dir.path, options: options)
        let result = try store.timer(.update(snapshot("t1"), shareWith: ["bob"]), alice, id: "req-1")
        // The local end is resolved in the server's zone: 14:03 in Berlin in August is 12:03Z.
        var created = snapshot("t1")
        created.endsAt = 1_755_000_180_000
        // The share notifies bob, in the same command (his inbox entry's id is its seq).
        let invitation = InboxNotification(kind: .invited, timer: "t1", timerName: "Tea", from: "alice")
        #expect(result.events.map(\.event) == [.timerCreated(created, owner: "alice"), .timerShared("t1", with: "bob"), .notificationCreated("bob", invitation)])
        #expect(result.seq == 3)
        #expect(result.events.allSatisfy { $0.envelope.commandID == "req-1" })
        #expect(result.events[1].audience == ["alice", "bob"])
        try store.read { (txn) throws in
            #expect(try store.views.timer("t1", txn)?.sharedWith == ["bob"])
            #expect(try store.views.timersShared(with: "bob", txn) == ["t1"])
            #expect(try store.views.timersOwned(by: "alice", txn) == ["t1"])
            #expect(try store.views.notifications(of: "bob", before: nil, unreadOnly: true, limit: 10, txn).map(\.id) == [3])
            #expect(try store.views.appliedSeq(txn) == 3)
        }
    }

    @Test func aRejectedCommandAppendsNothing() throws {
        let store = try EventStore(directory: dir.path)
        try store.timer(.update(snapshot("t1")), alice)
        #expect(throws: Rejection.notFound("t1")) { try store.timer(.update(snapshot("t1", "Mine")), carol) }
        #expect(throws: Rejection.self) { try store.timer(.share("t1", with: "carol"), bob) }
        #expect(try store.read { try store.log.head($0).seq } == 1)
    }

    @Test func aNoOpAppendsNothingAndReturnsNoSeq() throws {
        let store = try EventStore(directory: dir.path)
        let result = try store.timer(.stop("never-existed"), alice)
        #expect(result.events.isEmpty)
        #expect(result.seq == nil)
        #expect(try store.read { try store.log.head($0).seq } == 0)
    }

    @Test func stoppingRemovesTheTimerFromEveryViewButKeepsItsHistory() throws {
        let store = try EventStore(directory: dir.path)
        try store.timer(.update(snapshot("t1"), shareWith: ["bob"]), alice)
        let stop = try store.timer(.stop("t1"), bob)
        #expect(stop.events.first?.audience == ["alice", "bob"])
        try store.timer(.stop("t1"), bob)  // idempotent
        try store.read { (txn) throws in
            #expect(try store.views.timer("t1", txn) == nil)
            #expect(try store.views.timersShared(with: "bob", txn).isEmpty)
            #expect(try store.views.timersOwned(by: "alice", txn).isEmpty)
            #expect(try store.log.count(of: .timer("t1"), txn) == 3)
        }
    }

    @Test func unshareAudienceIncludesTheRemovedUser() throws {
        let store = try EventStore(directory: dir.path)
        try store.timer(.update(snapshot("t1"), shareWith: ["bob", "carol"]), alice)
        let result = try store.timer(.unshare("t1", user: "bob"), alice)
        #expect(result.events.first?.audience == ["alice", "carol", "bob"])
    }

    @Test func serverStartMarkerDropsConnectionsOfThePreviousProcess() throws {
        let store = try EventStore(directory: dir.path)
        try store.run(.device(.connect(connectionID: "c1")), alice)
        try store.run(.markServerStarted(version: "test"), Actor(userID: "server", deviceID: "server"))
        try store.read { (txn) throws in #expect(try store.views.connections(of: "alice", txn).isEmpty) }
        // The dead connection's late disconnect changes nothing.
        #expect(try store.run(.device(.disconnect(connectionID: "c1", reason: "gone")), alice).events.isEmpty)
        try store.run(.device(.connect(connectionID: "c2")), alice)
        try store.read { (txn) throws in #expect(try store.views.connections(of: "alice", txn).map(\.row.connectionID) == ["c2"]) }
    }

    @Test func acknowledgedCommandsSurviveReopen() throws {
        do {
            let store = try EventStore(directory: dir.path)
            try store.timer(.update(snapshot("t1"), shareWith: ["bob"]), alice)
            try store.timer(.update(snapshot("t1", remaining: "PT1M")), bob)
            store.close()
        }
        let store = try EventStore(directory: dir.path)
        try store.read { (txn) throws in
            #expect(try store.log.head(txn).seq == 4)  // created, shared, bob's notification, bob's update
            #expect(try store.views.timer("t1", txn)?.timer.remainingDuration == "PT1M")
        }
        #expect(try store.timer(.update(snapshot("t1", "Again")), alice).seq == 5)
    }

    @Test func aSecondWriterIsRefusedWhileTheFirstHoldsTheDirectory() throws {
        let store = try EventStore(directory: dir.path)
        defer { store.close() }
        do {
            _ = try EventStore(directory: dir.path)
            Issue.record("a second writer opened the directory")
        } catch let error as StoreError {
            #expect("\(error)".contains("held for writing"))
        }
    }

    @Test func concurrentAppendersGetDistinctGaplessSeqsInCommitOrder() async throws {
        let store = try EventStore(directory: dir.path)
        let writers = 32, perWriter = 25
        let results = try await withThrowingTaskGroup(of: [(String, UInt64)].self) { group in
            for w in 0..<writers {
                group.addTask {
                    var mine: [(String, UInt64)] = []
                    for i in 0..<perWriter {
                        let id = "w\(w)-\(i)"
                        let actor = Actor(userID: "user\(w)", deviceID: "d")
                        let result = try await store.execute(CommandRequest(.timer(.update(snapshot("timer-\(w)", "n\(i)"))), actor: actor, commandID: id))
                        mine.append((id, result.seq!))
                    }
                    return mine
                }
            }
            var all: [(String, UInt64)] = []
            for try await part in group { all += part }
            return all
        }
        let seqs = results.map(\.1).sorted()
        #expect(seqs == Array(1...UInt64(writers * perWriter)))
        // Each writer's commands landed in the order it sent them, and the log agrees with every ack.
        let bySeq = try store.read { (txn) throws in
            var map: [UInt64: String] = [:]
            try store.log.scan(txn) { map[$0.seq] = $0.commandID; return true }
            return map
        }
        for (id, seq) in results { #expect(bySeq[seq] == id) }
        #expect(try store.read { try store.log.verify($0).isValid })
    }

    @Test func groupCommitPutsConcurrentCommandsInOneTransaction() async throws {
        let store = try EventStore(directory: dir.path)
        let count = 400
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<count {
                group.addTask {
                    _ = try await store.execute(CommandRequest(.timer(.update(snapshot("t\(i)"))), actor: alice))
                }
            }
            try await group.waitForAll()
        }
        let stats = store.commitStatistics
        #expect(stats.commands == count)
        #expect(stats.largestBatch > 1)
        #expect(stats.batches < count)
    }

    @Test func commitHandlerSeesEveryCommittedEventInSeqOrderBeforeTheAck() throws {
        let store = try EventStore(directory: dir.path)
        let seen = Locked<[UInt64]>([])
        store.onCommit { events in seen.withValue { $0 += events.map(\.seq) } }
        let result = try store.timer(.update(snapshot("t1"), shareWith: ["bob", "carol"]), alice)
        // Created, shared twice, two invitations.
        #expect(seen.withValue { $0 } == [1, 2, 3, 4, 5])
        #expect(result.seq == 5)
        try store.timer(.stop("nothing"), alice)
        #expect(seen.withValue { $0 } == [1, 2, 3, 4, 5])
    }

    @Test func closedStoreRefusesCommands() throws {
        let store = try EventStore(directory: dir.path)
        store.close()
        #expect(throws: StoreError.self) { try store.timer(.update(snapshot("t1")), alice) }
    }

    @Test func viewsLeftBehindByALogOnlyCopyCatchUpAtOpen() throws {
        do {
            let store = try EventStore(directory: dir.path)
            try store.timer(.update(snapshot("t1"), shareWith: ["bob"]), alice)
            try store.environment.write { txn in try store.views.replaceAll(with: MemoryViewStore(), txn) }
            store.close()
        }
        let store = try EventStore(directory: dir.path)
        try store.read { (txn) throws in
            #expect(try store.views.timer("t1", txn)?.sharedWith == ["bob"])
            #expect(try store.views.appliedSeq(txn) == 3)
        }
    }
}

final class Locked<T>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ value: T) { self.value = value }
    func withValue<R>(_ body: (inout T) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
