internal import Foundation

/// One caller at a time across suspension points: a PostgreSQL connection runs one
/// transaction at a time, and an actor would let a second one start at the first's `await`.
final class AsyncMutex: @unchecked Sendable {
    private let lock = NSLock()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = lock.withLock { () -> Bool in
                if busy { waiting.append(c); return false }
                busy = true
                return true
            }
            if ready { c.resume() }
        }
    }

    private func release() {
        let next = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            if waiting.isEmpty { busy = false; return nil }
            return waiting.removeFirst()
        }
        next?.resume()
    }
}

/// A ring remembered until someone waits: a follower that was reading when the notification
/// came reads again at once instead of sleeping through it.
public final class Doorbell: @unchecked Sendable {
    private let lock = NSLock()
    private var rung = false
    private var waiter: CheckedContinuation<Void, Never>?

    public init() {}

    public func ring() {
        let w = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            if let w = waiter { waiter = nil; return w }
            rung = true
            return nil
        }
        w?.resume()
    }

    /// Returns at the next ring (or at once if one came since the last wait), after `limit`,
    /// or when the waiting task is cancelled (a node shutting down does not wait out a limit).
    public func wait(upTo limit: Duration) async {
        let timer = Task { [weak self] in
            // Cancelled (a real ring came first): no ring of its own, or the next wait would
            // return at once, and every wait after it — a follower spinning on the CPU.
            guard (try? await Task.sleep(for: limit)) != nil else { return }
            self?.ring()
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = lock.withLock { () -> Bool in
                    if rung || Task.isCancelled { rung = false; return true }
                    waiter = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            ring()
        }
        timer.cancel()
        // A timer ring that lost the race to the cancel stays as one spurious wake-up: harmless
        // (one empty read).
    }
}
