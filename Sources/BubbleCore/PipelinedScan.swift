internal import Foundation
internal import LMDB
internal import EventLog

/// Reads and decodes the log on a second thread while the caller folds: decoding (checksum
/// included) is about a third of replay's work, and the machine has two cores.
///
/// The reader uses the caller's read transaction (LMDB's `MDB_NOTLS` lets a snapshot move
/// between threads as long as two never use it at once): the caller does not touch `txn`
/// until this returns, so verify can compare the fold with views from the same snapshot.
enum PipelinedScan {
    static let chunkSize = 4096

    static func run(
        log: EventLog, txn: ReadTransaction, until bound: ReplayBound?, _ consume: (EventEnvelope) throws -> Void
    ) throws {
        let channel = ChunkChannel(capacity: 4)
        let shared = UncheckedBox((log, txn, bound))
        let reader = Thread {
            let (log, txn, bound) = shared.value
            do {
                var chunk: [EventEnvelope] = []
                chunk.reserveCapacity(chunkSize)
                try log.scan(txn) { e in
                    if let bound, !bound.includes(e) { return false }
                    chunk.append(e)
                    if chunk.count == chunkSize {
                        guard channel.put(chunk) else { return false }
                        chunk = []
                        chunk.reserveCapacity(chunkSize)
                    }
                    return true
                }
                _ = channel.put(chunk)
                channel.finish(nil)
            } catch {
                channel.finish(error)
            }
        }
        reader.name = "bubble-replay-reader"
        reader.start()
        // Whatever happens here, wait for the reader to let go of the transaction.
        defer { channel.cancelAndWait() }
        while let chunk = try channel.take() {
            for e in chunk { try consume(e) }
        }
    }
}

/// A bounded FIFO of chunks between one producer and one consumer.
private final class ChunkChannel: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [[EventEnvelope]] = []
    private let capacity: Int
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false

    init(capacity: Int) { self.capacity = capacity }

    /// Blocks while full; `false` once the consumer has gone.
    func put(_ chunk: [EventEnvelope]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while chunks.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        chunks.append(chunk)
        condition.broadcast()
        return true
    }

    func finish(_ error: (any Error)?) {
        condition.lock()
        finished = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// The next chunk, `nil` at the end, or the reader's error.
    func take() throws -> [EventEnvelope]? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !finished { condition.wait() }
        if !chunks.isEmpty {
            condition.broadcast()
            return chunks.removeFirst()
        }
        if let failure { throw failure }
        return nil
    }

    func cancelAndWait() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }
}

/// Hands a non-Sendable value to a thread that is its only user from then on.
private final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
