internal import Foundation
internal import EventLog
internal import BubbleCore
internal import Logging
internal import CoreMetrics

/// The whole-log check a server runs in the background after its synchronous tail check:
/// a damaged record deep in the log does not stop the server (it appends after a good tail),
/// but `/health` says `degraded`, `/metrics` counts the problems and the log says where.
final class LogIntegrity: @unchecked Sendable {
    enum State: Equatable {
        case pending, running, verified(records: Int), damaged([LogProblem])
    }

    private let lock = NSLock()
    private var current: State = .pending

    var state: State { lock.withLock { current } }

    /// Runs the check on a thread of its own (it reads the whole log) and records the outcome.
    func check(store: EventStore, metrics: ServerMetrics, logger: Logger) {
        lock.withLock { current = .running }
        Thread { [self] in
            let outcome: State
            do {
                let result = try store.read { try store.log.verify($0, maxProblems: 20) }
                outcome = result.isValid ? .verified(records: result.records) : .damaged(result.problems)
            } catch StoreError.closed {
                return
            } catch {
                outcome = .damaged([LogProblem(seq: 0, problem: "the log could not be read: \(error)")])
            }
            if case .damaged(let problems) = outcome {
                metrics.logProblems.record(problems.count)
                for problem in problems {
                    logger.error("the event log is damaged", metadata: ["seq": "\(problem.seq)", "problem": "\(problem.problem)"])
                }
            }
            lock.withLock { current = outcome }
        }.start()
    }

    /// `/health`'s `log` entry.
    var summary: [String: Any] {
        switch state {
        case .pending: ["check": "pending"]
        case .running: ["check": "running"]
        case .verified(let records): ["check": "ok", "records": records]
        case .damaged(let problems): ["check": "damaged", "problems": problems.prefix(5).map(\.description)]
        }
    }

    var isDamaged: Bool { if case .damaged = state { true } else { false } }
}
