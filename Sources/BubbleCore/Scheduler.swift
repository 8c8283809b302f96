internal import Foundation
internal import LMDB
public import TimerDomain
internal import Projections

/// Acts on time: at each entry of the due index it submits the command that completes the
/// timer or fires the reminder, decided by the domain like any command, so a repeat (after a
/// crash between commit and wake-up, or two scans racing) changes nothing. Exactly once holds
/// because the index is a view written in the same transaction as the event that fires it.
///
/// A dedicated thread sleeping on a condition until the next due instant or until a commit
/// wakes it (a new end may come first), never a busy loop.
public final class Scheduler: @unchecked Sendable {
    /// The actor of everything the scheduler does.
    public static let actor = Actor(userID: "server", deviceID: "scheduler")

    private let store: EventStore
    private let clock: @Sendable () -> Int64
    private let condition = NSCondition()
    private var woken = false
    private var stopping = false
    private var stopped = false
    private var thread: Thread?
    /// Entries the decider would not fire although the index lists them (index and state
    /// disagree, which replay repairs): skipped rather than tried in a loop.
    private var stuck: Set<DueEntry> = []
    private let onProblem: @Sendable (String) -> Void
    private let batchLimit = 4096

    private var fired = 0
    /// Ends and reminders this scheduler fired since it started.
    public var firedCount: Int { condition.withLock { fired } }

    public init(store: EventStore, onProblem: @escaping @Sendable (String) -> Void = { _ in }) {
        self.store = store
        self.clock = store.options.clock
        self.onProblem = onProblem
    }

    /// Fires what fell due while the server was down (in due order, marked late), then
    /// returns and keeps firing on its own thread. On a log that never had a scheduler,
    /// first resolves old local ends and records the cut-over (ends before it are silent).
    public func start() throws {
        let startedAt = clock()
        let since = try cutOver()
        try fireDue(since: since, startedAt: startedAt)
        let thread = Thread { [self] in run(since: since, startedAt: startedAt) }
        thread.name = "bubble-scheduler"
        thread.qualityOfService = .userInitiated
        self.thread = thread
        thread.start()
    }

    /// Called after commits that may have moved an end: look again.
    public func wake() {
        condition.lock()
        woken = true
        condition.signal()
        condition.unlock()
    }

    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while thread != nil && !stopped { condition.wait() }
        condition.unlock()
    }

    // MARK: -

    /// The scheduler's first start on this log: legacy local ends get an instant (in the
    /// owner's zone, else the server's), then `scheduler_enabled` marks the cut-over. Both
    /// steps are commands, so a kill between them is redone on the next start.
    private func cutOver() throws -> Int64 {
        if let since = try store.read({ try store.views.schedulerSince($0) }) { return since }
        let pending = try store.read { txn in
            try store.views.unresolvedEnds(txn).map { item in
                (item, try store.views.userState(item.owner, txn).timeZone)
            }
        }
        let resolutions = pending.compactMap { item, zone -> CommandRequest? in
            let instant = zone.flatMap { ZoneRules.resolve(end: item.end, in: $0) } ?? ZoneRules.resolve(end: item.end, in: store.options.timeZone)
            return instant.map { CommandRequest(.timer(.resolveEnd(item.timer, end: item.end, endsAt: $0)), actor: Self.actor) }
        }
        // All at once, so group commit takes thousands per fsync; any failure stops the start
        // before the cut-over is recorded (the next start resumes it).
        for result in submitAll(resolutions) { _ = try result.get() }
        _ = try store.executeAndWait(CommandRequest(.enableScheduler, actor: Self.actor))
        guard let since = try store.read({ try store.views.schedulerSince($0) }) else { throw StoreError.closed }
        return since
    }

    private func run(since: Int64, startedAt: Int64) {
        while true {
            condition.lock()
            if stopping {
                stopped = true
                condition.broadcast()
                condition.unlock()
                return
            }
            woken = false
            condition.unlock()

            let next: Int64?
            do {
                next = try fireDue(since: since, startedAt: startedAt)
            } catch StoreError.closed {
                next = nil
                condition.lock()
                stopping = true
                condition.unlock()
                continue
            } catch {
                onProblem("scheduler: \(error)")
                next = clock() + 1000  // storage trouble: try again in a second
            }

            condition.lock()
            if !woken && !stopping {
                if let next {
                    let wait = Double(max(0, next - clock())) / 1000
                    // Capped, so a wall-clock step forward is noticed within a minute.
                    _ = condition.wait(until: Date(timeIntervalSinceNow: min(wait, 60)))
                } else {
                    _ = condition.wait(until: Date(timeIntervalSinceNow: 60))
                }
            }
            condition.unlock()
        }
    }

    /// Fires every entry due by now in due order, a page at a time, and returns the next due
    /// instant. Entries of one page are submitted together, so group commit takes them in as
    /// few transactions as the writer's batches allow.
    @discardableResult
    func fireDue(since: Int64, startedAt: Int64) throws -> Int64? {
        while true {
            let now = clock()
            let (entries, next) = try store.read { try store.views.due(through: now, limit: batchLimit + stuck.count, $0) }
            let todo = entries.filter { !stuck.contains($0) }
            // Only stuck entries are due: look again in a second rather than spin.
            if todo.isEmpty { return entries.isEmpty ? next : max(next ?? 0, now + 1000) }
            let outcomes = try fire(todo, since: since, startedAt: startedAt)
            var failed = false
            for (entry, outcome) in zip(todo, outcomes) {
                switch outcome {
                case .success(let result) where !result.events.isEmpty:
                    condition.withLock { fired += 1 }
                case .success:
                    // Decided as no change while the index lists it: the index and the state
                    // disagree (replay rebuilds both); do not spin on it.
                    stuck.insert(entry)
                    onProblem("scheduler: \(entry.timer) due at \(entry.dueAt) changed nothing; run bubble-replay --verify")
                case .failure(StoreError.closed):
                    throw StoreError.closed
                case .failure(let error):
                    // Storage trouble (a full map, a failing disk) passes or needs an
                    // operator: try again in a second, logging each time.
                    failed = true
                    onProblem("scheduler: \(entry.timer) due at \(entry.dueAt) failed: \(error); retrying")
                }
            }
            if failed { return clock() + 1000 }
        }
    }

    private func fire(_ entries: [DueEntry], since: Int64, startedAt: Int64) throws -> [Result<CommandResult, any Error>] {
        let kinds = try kinds(of: entries, since: since, startedAt: startedAt)
        return submitAll(entries.enumerated().map { i, entry in
            let command: TimerCommand = if let reminder = entry.reminder {
                .fireReminder(entry.timer, reminderID: reminder, dueAt: entry.dueAt, kind: kinds[i])
            } else {
                .complete(entry.timer, dueAt: entry.dueAt, kind: kinds[i])
            }
            return CommandRequest(.timer(command), actor: Self.actor)
        })
    }

    /// Submits every request at once and waits for all their results, in order.
    private func submitAll(_ requests: [CommandRequest]) -> [Result<CommandResult, any Error>] {
        let group = DispatchGroup()
        let results = Results(count: requests.count)
        for (i, request) in requests.enumerated() {
            group.enter()
            store.submit(request) { result in
                results.set(i, result)
                group.leave()
            }
        }
        group.wait()
        return results.all
    }

    /// Silent: an end that passed before the scheduler first ran, on a timer nobody changed
    /// since (it was history when the server started keeping time; decided from the log, so
    /// a kill during the cut-over changes nothing). Late: due before this process started.
    private func kinds(of entries: [DueEntry], since: Int64, startedAt: Int64) throws -> [FiringKind] {
        let old = entries.filter { $0.reminder == nil && $0.dueAt < since }
        let untouched: Set<TimerID> = old.isEmpty ? [] : try store.read { txn in
            Set(try old.compactMap { entry in
                try store.views.timer(entry.timer, txn).flatMap { $0.updatedAt < since ? entry.timer : nil }
            })
        }
        return entries.map { entry in
            if entry.reminder == nil, entry.dueAt < since, untouched.contains(entry.timer) { return .silent }
            return entry.dueAt < startedAt ? .late : .onTime
        }
    }

    private final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Result<CommandResult, any Error>]
        init(count: Int) { values = Array(repeating: .failure(StoreError.closed), count: count) }
        func set(_ i: Int, _ value: Result<CommandResult, any Error>) { lock.withLock { values[i] = value } }
        var all: [Result<CommandResult, any Error>] { lock.withLock { values } }
    }
}
