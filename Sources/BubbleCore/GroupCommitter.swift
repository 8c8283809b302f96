internal import Foundation

/// Group commit: callers queue commands; one writer thread takes everything queued, runs it
/// in ONE write transaction (one fsync), then resumes every caller. While it syncs, the next
/// batch gathers, so the batch size follows the load with no timer to tune.
///
/// A dedicated thread, not a task: fsync blocks, and blocking the cooperative pool would stall
/// every socket.
final class GroupCommitter: @unchecked Sendable {
    typealias Completion = @Sendable (Result<CommandResult, any Error>) -> Void
    typealias Processor = @Sendable ([CommandRequest]) throws -> (results: [Result<CommandResult, any Error>], committed: [CommittedEvent])

    private let condition = NSCondition()
    private var queue: [(CommandRequest, Completion)] = []
    private var stopping = false
    private var stopped = false
    /// A cluster node's shared log moved on: run an empty batch (the processor catches up).
    private var replicationWanted = false
    private var replicationFailed: (@Sendable (any Error) -> Void)?
    private var commitHandler: (@Sendable ([CommittedEvent]) -> Void)?
    private var batchObserver: (@Sendable (_ commands: Int, _ nanoseconds: UInt64) -> Void)?
    private let maxBatch: Int
    private var thread: Thread?

    /// Batches committed and commands in them, for tests and metrics.
    private(set) var batchCount = 0
    private(set) var commandCount = 0
    private(set) var largestBatch = 0

    init(maxBatch: Int) { self.maxBatch = maxBatch }

    func start(_ process: @escaping Processor) {
        let thread = Thread { [self] in run(process) }
        thread.name = "bubble-writer"
        thread.qualityOfService = .userInitiated
        self.thread = thread
        thread.start()
    }

    func submit(_ request: CommandRequest, _ completion: @escaping Completion) {
        condition.lock()
        if stopping {
            condition.unlock()
            completion(.failure(StoreError.closed))
            return
        }
        queue.append((request, completion))
        condition.signal()
        condition.unlock()
    }

    func setCommitHandler(_ handler: @escaping @Sendable ([CommittedEvent]) -> Void) {
        condition.lock()
        commitHandler = handler
        condition.unlock()
    }

    func wakeForReplication() {
        condition.lock()
        replicationWanted = true
        condition.signal()
        condition.unlock()
    }

    func setReplicationFailureHandler(_ handler: @escaping @Sendable (any Error) -> Void) {
        condition.lock()
        replicationFailed = handler
        condition.unlock()
    }

    func setBatchObserver(_ observer: @escaping @Sendable (_ commands: Int, _ nanoseconds: UInt64) -> Void) {
        condition.lock()
        batchObserver = observer
        condition.unlock()
    }

    /// Drains what is queued, then ends the thread; returns once it has.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while thread != nil && !stopped { condition.wait() }
        condition.unlock()
    }

    var statistics: (batches: Int, commands: Int, largestBatch: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (batchCount, commandCount, largestBatch)
    }

    private func run(_ process: Processor) {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping && !replicationWanted { condition.wait() }
            if queue.isEmpty && stopping {
                stopped = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let take = min(queue.count, maxBatch)
            let batch = Array(queue.prefix(take))
            queue.removeFirst(take)
            // Any batch brings a cluster replica up to the shared head first.
            replicationWanted = false
            let handler = commitHandler
            let observer = batchObserver
            let failed = replicationFailed
            condition.unlock()

            let started = DispatchTime.now().uptimeNanoseconds
            let outcome: Result<(results: [Result<CommandResult, any Error>], committed: [CommittedEvent]), any Error>
            do { outcome = .success(try process(batch.map(\.0))) } catch { outcome = .failure(StoreError.wrap(error)) }

            if case .failure(let error) = outcome { failed?(error) }
            if !batch.isEmpty { observer?(batch.count, DispatchTime.now().uptimeNanoseconds - started) }
            condition.lock()
            batchCount += batch.isEmpty ? 0 : 1
            commandCount += batch.count
            largestBatch = max(largestBatch, batch.count)
            condition.unlock()

            switch outcome {
            case .success(let done):
                if !done.committed.isEmpty, let handler {
                    let committedAt = DispatchTime.now().uptimeNanoseconds
                    handler(done.committed.map { var e = $0; e.committedAt = committedAt; return e })
                }
                for (i, item) in batch.enumerated() { item.1(done.results[i]) }
            case .failure(let error):
                // Nothing of this batch committed; every caller learns it.
                for item in batch { item.1(.failure(error)) }
            }
        }
    }
}

/// Waits on a result from another thread (the blocking API for tools).
final class Completion<T: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<T, any Error>?

    func finish(_ value: Result<T, any Error>) {
        condition.lock()
        result = value
        condition.signal()
        condition.unlock()
    }

    func wait() throws -> T {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return try result!.get()
    }
}
