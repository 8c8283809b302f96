import TestSupport
import Testing
import LMDB
import TimerDomain
import EventLog
@testable import BubbleCore

/// Issue 10, defect 4: one command that fails in storage must not fail the others that
/// share its group commit.
@Suite struct BatchIsolationTests {
    let dir = TemporaryDirectory("isolation")

    @Test func aCommandFailingInStorageFailsAloneAndTheRestOfItsBatchCommits() throws {
        let store = try EventStore(directory: dir.path)
        // Limits that let an id through that LMDB cannot store: the start check refuses these
        // settings, so the batch is run directly, as the writer thread would run it.
        var options = StoreOptions()
        options.limits.maxIDLength = 600
        let long = String(repeating: "x", count: 600)
        let batch = [
            CommandRequest(.timer(.update(snapshot("before"))), actor: alice),
            CommandRequest(.timer(.update(snapshot("t1"), shareWith: [long])), actor: alice),
            CommandRequest(.timer(.update(snapshot("after"))), actor: bob),
        ]
        let outcome = try EventStore.process(batch, environment: store.environment, log: store.log, views: store.views, keys: store.keys, options: options)
        #expect(outcome.committed.map(\.envelope.seq) == [1, 2])
        #expect((try? outcome.results[0].get())?.seq == 1)
        #expect((try? outcome.results[2].get())?.seq == 2)
        guard case .failure(StoreError.storage(let error)) = outcome.results[1] else {
            Issue.record("expected a storage failure, got \(outcome.results[1])")
            return
        }
        #expect(error.kind == .badValueSize)
        try store.read { (txn) throws in
            #expect(try store.log.head(txn).seq == 2)
            #expect(try store.views.timer("t1", txn) == nil)
            #expect(try store.views.timer("after", txn)?.owner == "bob")
        }
    }

    @Test func limitsThatLMDBCannotStoreAreRefusedAtOpen() throws {
        var options = StoreOptions()
        options.limits.maxIDLength = 600
        #expect {
            try EventStore(directory: dir.path, options: options)
        } throws: { error in
            "\(error)" == "a maximum id length of 600 bytes cannot work: ids become LMDB keys of up to 1201 bytes and LMDB keys stop at 511; use at most 255 (--max-id-length)"
        }
        options.limits.maxIDLength = 255
        _ = try EventStore(directory: dir.path, options: options)
    }

    @Test func anEmptyOrOversizedIdIsARefusalNotAStorageError() throws {
        let store = try EventStore(directory: dir.path)
        #expect(throws: Rejection.invalid(field: "timerId", reason: "is required and must not be empty")) { try store.timer(.stop(""), alice) }
        #expect(throws: Rejection.invalid(field: "timerId", reason: "is 129 bytes long; the limit is 128")) {
            try store.timer(.unshare(String(repeating: "a", count: 129), user: "bob"), alice)
        }
        #expect(try store.read { try store.log.head($0).seq } == 0)
    }
}
