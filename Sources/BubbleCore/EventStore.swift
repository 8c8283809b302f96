public import LMDB
internal import TimerDomain
public import EventLog
public import Projections

/// The event-sourced core: command → decide → append → project, durably, with group commit.
///
/// Open one per data directory per process; it takes the directory's writer lock. Reads
/// (views, log) may run concurrently from any thread.
public final class EventStore: Sendable {
    public let directory: String
    public let environment: Environment
    public let log: EventLog
    public let views: ViewTables
    /// Each user's data key (``UserKeys``): not a view, never rebuilt.
    public let keys: UserKeys
    let options: StoreOptions
    private let committer: GroupCommitter
    private let lock: WriterLock

    /// Opens or creates the store in `directory`, then brings the views up to the log if a
    /// previous build left them behind.
    public init(directory: String, options: StoreOptions = StoreOptions()) throws {
        do {
            try DataDirectory.create(directory)
            lock = try WriterLock(directory: directory)
            self.directory = directory
            self.options = options
            environment = try Environment(path: directory, options: options.environment)
            try Self.checkLimits(options.limits, environment: environment)
            log = try EventLog(environment: environment)
            views = try ViewTables(environment: environment)
            keys = try UserKeys(environment: environment)
            try Self.upgradeViews(environment: environment, views: views)
            try Self.catchUp(environment: environment, log: log, views: views)
        } catch {
            throw StoreError.wrap(error)
        }
        committer = GroupCommitter(maxBatch: options.maxBatch)
        if let shared = options.sharedLog {
            committer.start { [environment, log, views, keys, options] batch in
                try Self.processShared(batch, shared: shared, environment: environment, log: log, views: views, keys: keys, options: options)
            }
        } else {
            committer.start { [environment, log, views, keys, options] batch in
                try Self.process(batch, environment: environment, log: log, views: views, keys: keys, options: options)
            }
        }
    }

    /// A cluster node: the shared log has moved on (another node appended); the writer brings
    /// this replica up and hands the records to ``onCommit(_:)`` like its own, in seq order.
    public func replicate() { committer.wakeForReplication() }

    /// Called on the writer thread when a batch failed in storage (its callers are told too)
    /// or bringing a cluster replica up did: the shared log is unreachable, or holds a record
    /// this build cannot read (`LogError.newerRecord`, on which a node must stop).
    public func onReplicationFailure(_ handler: @escaping @Sendable (any Error) -> Void) {
        committer.setReplicationFailureHandler(handler)
    }

    /// Checks the last `records` records before anything is appended after them; throws
    /// ``StoreError/damagedTail(_:)`` naming the first problem.
    public func checkTail(records: UInt64) throws {
        let found = try read { try log.verifyTail($0, records: records) }
        if let problem = found.problems.first { throw StoreError.damagedTail(problem) }
    }

    /// Runs one command and returns once its events are durably committed (or it was rejected:
    /// throws ``Rejection``, or ``StoreError`` when storage failed).
    public func execute(_ request: CommandRequest) async throws -> CommandResult {
        try await withCheckedThrowingContinuation { continuation in
            committer.submit(request) { continuation.resume(with: $0) }
        }
    }

    /// Queues a command; `completion` runs on the writer thread once it is durable or refused
    /// (keep it short). For callers that keep many commands in flight without a task each.
    public func submit(_ request: CommandRequest, _ completion: @escaping @Sendable (Result<CommandResult, any Error>) -> Void) {
        committer.submit(request, completion)
    }

    /// The blocking form, for tools and tests that are not async.
    public func executeAndWait(_ request: CommandRequest) throws -> CommandResult {
        let done = Completion<CommandResult>()
        committer.submit(request) { done.finish($0) }
        return try done.wait()
    }

    /// Called on the writer thread after each durable commit with its events in seq order,
    /// before the commands' callers resume. Keep it short: hand the events to the fan-out.
    public func onCommit(_ handler: @escaping @Sendable ([CommittedEvent]) -> Void) {
        committer.setCommitHandler(handler)
    }

    /// Called on the writer thread after each batch with its size and how long deciding,
    /// appending, projecting and the synced commit took (for metrics).
    public func onBatch(_ observer: @escaping @Sendable (_ commands: Int, _ nanoseconds: UInt64) -> Void) {
        committer.setBatchObserver(observer)
    }

    /// A consistent snapshot of the log and views.
    public func read<R>(_ body: (ReadTransaction) throws -> R) throws -> R {
        do { return try environment.read(body) } catch { throw StoreError.wrap(error) }
    }

    /// Write transactions committed, commands they carried and the largest batch so far:
    /// commands per batch above 1 is group commit at work.
    public var commitStatistics: (batches: Int, commands: Int, largestBatch: Int) { committer.statistics }

    /// Finishes the commands already submitted, refuses new ones, stops the writer, closes
    /// LMDB and releases the directory. Reads after this throw.
    public func close() {
        committer.stop()
        environment.close()
        lock.release()
    }

    deinit { close() }

    // MARK: - The write path

    static func process(
        _ batch: [CommandRequest], environment: Environment, log: EventLog, views: ViewTables, keys: UserKeys, options: StoreOptions
    ) throws -> (results: [Result<CommandResult, any Error>], committed: [CommittedEvent]) {
        // A command that fails in storage (not a rejection) aborts the transaction; the batch
        // is retried without it, so only its sender sees the error. Each retry drops one more
        // command, so this ends.
        var failed: [Int: any Error] = [:]
        while true {
            do {
                return try attempt(batch, skipping: failed, environment: environment, log: log, views: views, keys: keys, options: options)
            } catch let failure as CommandFailure {
                failed[failure.index] = failure.error
            }
        }
    }

    /// One command's storage failure, by its index in the batch.
    struct CommandFailure: Error {
        let index: Int
        let error: any Error
    }

    private static func attempt(
        _ batch: [CommandRequest], skipping failed: [Int: any Error],
        environment: Environment, log: EventLog, views: ViewTables, keys: UserKeys, options: StoreOptions
    ) throws -> (results: [Result<CommandResult, any Error>], committed: [CommittedEvent]) {
        let now = options.clock()
        // The body may run twice (map growth aborts and retries), so it starts from scratch.
        return try environment.write { txn in
            try run(batch, skipping: failed, log: log, views: views, keys: keys, options: options, now: now, txn: txn)
        }
    }

    /// Decides, appends and projects a batch inside `txn`: what a commit writes.
    static func run(
        _ batch: [CommandRequest], skipping failed: [Int: any Error],
        log: EventLog, views: ViewTables, keys: UserKeys, options: StoreOptions, now: Int64, txn: WriteTransaction
    ) throws -> (results: [Result<CommandResult, any Error>], committed: [CommittedEvent]) {
        var results: [Result<CommandResult, any Error>] = []
        var committed: [CommittedEvent] = []
        var appender = try EventLog.Appender(log: log, txn: txn)
        var store = try LMDBViewStore(tables: views, txn: txn)
        for (index, request) in batch.enumerated() {
            if let error = failed[index] {
                results.append(.failure(StoreError.wrap(error)))
                continue
            }
            do {
                let events = try decide(request, store: store, log: log, keys: keys, txn: txn, options: options, now: now)
                var appended: [CommittedEvent] = []
                for (eventIndex, event) in events.enumerated() {
                    // Who is told is decided from the state after the event, before it is
                    // written, so the record itself says who was concerned.
                    var audience: [UserID] = []
                    if case .timer(let id) = event.stream {
                        audience = FanOut.audience(of: event, timerAfter: TimerState.evolve(try store.timerState(id), event).active)
                    }
                    let envelope = try appender.append(
                        event, actor: request.actor, commandID: request.commandID, audience: audience,
                        lastInCommand: eventIndex == events.count - 1, now: now, txn: txn
                    )
                    try Projector.apply(envelope, to: &store)
                    // The key goes in the same transaction as the event that says so.
                    if case .userErased(let user) = event { try keys.delete(user, txn) }
                    appended.append(try Self.committedEvent(envelope, store: store))
                }
                committed += appended
                results.append(.success(CommandResult(events: appended)))
            } catch let rejection as Rejection {
                results.append(.failure(rejection))
            } catch let error as LMDBError where error.isTransactionFatal {
                // The transaction cannot go on (map full, disk error): the whole batch fails.
                throw error
            } catch {
                throw CommandFailure(index: index, error: error)
            }
        }
        if !committed.isEmpty {
            try appender.finish(txn)
            try store.flush()
        }
        return (results, committed)
    }

    static func decide(
        _ request: CommandRequest, store: LMDBViewStore, log: EventLog, keys: UserKeys, txn: WriteTransaction, options: StoreOptions, now: Int64
    ) throws -> [Event] {
        let limits = options.limits
        var context = DecisionContext(actor: request.actor, serverEpoch: store.serverEpoch(), limits: limits, now: now)
        try Decider.checkRequestID(request.commandID, limits: limits)
        switch request.command {
        case .timer(var command):
            try Decider.checkIDs(command, limits: limits)
            if command.localEnd != nil {
                let zone = try store.userState(request.actor.userID).zone(of: request.actor.deviceID)
                command = command.resolvingLocalEnd { end in
                    zone.flatMap { ZoneRules.resolve(end: end, in: $0) } ?? ZoneRules.resolve(end: end, in: options.timeZone)
                }
            }
            let state = try store.timerState(command.timerID)
            // Only a command that can create the timer needs the caller's count of live timers.
            if state == .unknown, command.canCreate {
                context.ownedLiveTimers = try store.tables.timersOwned(by: request.actor.userID, txn).count
            }
            // A claimed owner matters only when the command would create the timer; shared
            // users' updates (which name the owner) skip the lookup.
            if state == .unknown, let claimed = command.claimedOwner, claimed != request.actor.userID,
               Decider.isLookupable(claimed, limits: limits), try store.tables.isKnownUser(claimed, log: log, txn) {
                context.knownUsers.insert(claimed)
            }
            let events = try Decider.decide(command, state: state, context: context)
            let notes = Notifications.derive(from: events, timerBefore: state.active, actor: request.actor)
            return events + (try silencing(notes, store: store, options: options, now: now))
        case .device(var command):
            let user = request.actor.userID
            switch command {
            case .register, .updateProfile, .setAvatar(.some):
                context.sealer = try keys.keyOrCreate(user, txn).sealer
            case .erase:
                command = .erase(try erasureScope(of: user, store: store, txn))
            case .readNotifications(let ids, _):
                command = .readNotifications(ids: ids, unread: try store.tables.unreadNotifications(of: user, txn))
            default:
                break
            }
            let events = try Decider.decide(command, state: try store.userState(user), context: context)
            guard case .erase(let scope) = command else { return events }
            // Those who shared the user's timers hear that they stopped.
            let notes = events.flatMap { e in
                Notifications.derive(from: [e], timerBefore: e.timerID.flatMap { scope.owned[$0] }, actor: request.actor)
            }
            return events + (try silencing(notes, store: store, options: options, now: now))
        case .message(var message):
            let sender = request.actor.userID
            var peers = Set<UserID>()
            for row in try store.tables.visibleTimers(for: sender, txn) { peers.insert(row.owner); peers.formUnion(row.sharedWith) }
            if let id = message.timer {
                try Decider.checkStorable(id, field: "timerId", limits: limits)
                guard let active = try store.timerState(id).active, active.canAccess(sender) else { throw Rejection.notFound(id) }
                message.to = active.audience
            }
            message.peers = peers
            context.sealer = try keys.keyOrCreate(sender, txn).sealer
            return try silencing(try Decider.decide(message, context: context), store: store, options: options, now: now)
        case .push(let user, let outcome):
            let key: OutboxKey = switch outcome {
            case .delivered(let n, let d), .failed(let n, let d, _, _), .undeliverable(let n, let d, _, _): OutboxKey(notification: n, user: user, device: d)
            }
            context.pushAttempt = try store.tables.outboxEntry(key, txn)?.attempt
            return Decider.decide(outcome, for: user, state: try store.userState(user), context: context)
        case .account(let command):
            let user = request.actor.userID
            let state = try store.userState(user)
            context.digest = SessionDigest.sha256
            // A first sign-in seals the email under the user's new key; a key is made only
            // when a code is pending, not for every guess at an unknown address.
            if case .verify = command, state.profile == nil, state.account.pendingCode != nil {
                context.sealer = try keys.keyOrCreate(user, txn).sealer
            }
            return try Decider.decide(command, state: state, context: context)
        case .markServerStarted(let version):
            return [.serverStarted(version: version)]
        case .enableScheduler:
            return try store.schedulerSince() == nil ? [.schedulerEnabled(since: now)] : []
        }
    }

    /// Marks the notifications their recipients' preferences hold back from push: a muted
    /// kind, or quiet hours at this moment in the recipient's zone (their own, else the
    /// server's). Decided here, once, and stored in the event: replay needs no zones.
    private static func silencing(_ notes: [Event], store: LMDBViewStore, options: StoreOptions, now: Int64) throws -> [Event] {
        try notes.map { note in
            let user: UserID, kind: InboxNotification.Kind
            switch note {
            case .notificationCreated(let u, let n): (user, kind) = (u, n.kind)
            case .messageSent(let u, _): (user, kind) = (u, .message)
            default: return note
            }
            let state = try store.userState(user)
            guard state.preferences != .all else { return note }
            let zone = state.timeZone ?? options.timeZone
            let minute = QuietHours.minuteOfDay(local: ZoneRules.local(instant: now, in: zone) ?? now)
            let silence = state.preferences.silence(kind, atLocalMinute: minute)
            switch note {
            case .notificationCreated(_, var n):
                n.silenced = silence
                return .notificationCreated(user, n)
            case .messageSent(_, var m):
                m.silenced = silence
                return .messageSent(user, m)
            default:
                return note
            }
        }
    }

    /// What `DELETE /me` touches: the live timers the user owns and those shared with them.
    private static func erasureScope(of user: UserID, store: LMDBViewStore, _ txn: ReadTransaction) throws -> ErasureScope {
        var scope = ErasureScope()
        for id in try store.tables.timersOwned(by: user, txn) {
            if let active = try store.timerState(id).active { scope.owned[id] = active }
        }
        scope.shared = try store.tables.timersShared(with: user, txn)
        return scope
    }

    static func committedEvent(_ envelope: EventEnvelope, store: LMDBViewStore) throws -> CommittedEvent {
        guard case .timer(let id) = envelope.stream else { return CommittedEvent(envelope: envelope, audience: [], timerAfter: nil) }
        return CommittedEvent(envelope: envelope, audience: envelope.audience, timerAfter: try store.timerView(id))
    }

    /// Refuses limits that storage cannot honour, before any command could meet them.
    static func checkLimits(_ limits: Limits, environment: Environment) throws {
        let longest = ViewTables.longestKey(idLength: limits.maxIDLength)
        let maxKey = environment.maxKeySize
        guard longest <= maxKey else {
            let largest = (maxKey - 1) / 2
            throw StoreError.setting("a maximum id length of \(limits.maxIDLength) bytes cannot work: ids become LMDB keys of up to \(longest) bytes and LMDB keys stop at \(maxKey); use at most \(largest) (--max-id-length)")
        }
    }

    /// Views in another row format are dropped, so ``catchUp(environment:log:views:)`` folds
    /// them again from the whole log: views are derived data, never migrated.
    static func upgradeViews(environment: Environment, views: ViewTables) throws {
        let (format, applied) = try environment.read { txn in (try views.format(txn), try views.appliedSeq(txn)) }
        guard format != ViewTables.formatVersion else { return }
        try environment.write { txn in
            if applied > 0 { try views.replaceAll(with: MemoryViewStore(), txn) }
            try views.markFormat(txn)
        }
    }

    /// Folds events the views have not seen (a log written by a build without views, or one
    /// restored from a log-only backup). Normal starts find nothing to do.
    static func catchUp(environment: Environment, log: EventLog, views: ViewTables) throws {
        let (applied, head) = try environment.read { txn in (try views.appliedSeq(txn), try log.head(txn).seq) }
        if applied > head { throw StoreError.viewsAhead(views: applied, log: head) }
        guard applied < head else { return }
        try environment.write { txn in
            var store = try LMDBViewStore(tables: views, txn: txn)
            try log.scan(from: applied + 1, txn) { envelope in
                try Projector.apply(envelope, to: &store)
                return true
            }
            try store.flush()
        }
    }
}
