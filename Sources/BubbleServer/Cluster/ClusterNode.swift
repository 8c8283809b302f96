internal import PostgresLog
internal import BubbleCore
internal import EventLog
internal import Logging
internal import Foundation
internal import Synchronization

/// This server as a cluster node (issue 16): the log of record is PostgreSQL's, the data
/// directory its replica. Joining shares the secrets; following rings the store's writer
/// whenever another node appended; the duties that must run once per cluster (the
/// scheduler, the push outbox) run only while this node holds their lease.
final class ClusterNode: Sendable {
    let log: PostgresLog
    let logger: Logger
    /// The server cannot go on (a lease lost, a record from a newer build): it stops.
    let stop: @Sendable (String) -> Void
    /// When the shared log last reached the follower (a notification or a poll tick on a live
    /// connection): `/health` turns degraded when that is too long ago.
    private let heard = Mutex(ContinuousClock.now)
    /// Silence after which `/health` says the shared log is out of reach (the follower hears
    /// from it every second while it is up).
    static let silenceLimit: Duration = .seconds(3)

    private init(log: PostgresLog, logger: Logger, stop: @escaping @Sendable (String) -> Void) {
        self.log = log
        self.logger = logger
        self.stop = stop
    }

    /// `/health`'s `cluster` entry, and its problems (which make the status `degraded`, so a
    /// balancer's check drains a node that cannot commit).
    func health(now: ContinuousClock.Instant = .now) -> (json: [String: Any], problems: [String]) {
        let silence = now - heard.withLock { $0 }
        let seconds = Double(silence.components.seconds) + Double(silence.components.attoseconds) / 1e18
        let reachable = silence < Self.silenceLimit
        return (
            ["sharedLog": reachable ? "ok" : "unreachable", "secondsSinceHeard": (seconds * 10).rounded() / 10],
            reachable ? [] : ["the shared log (PostgreSQL) has not answered for \(Int(seconds)) s: commands get 503"]
        )
    }

    /// The default `stop`: log why and exit with status 3, for the supervisor to restart.
    static func exiting(_ logger: Logger) -> @Sendable (String) -> Void {
        { reason in
            logger.critical("stopping: \(reason)")
            exit(3)
        }
    }

    /// What the store commits through.
    var sharedLog: any SharedLog { PostgresSharedLog(log) }

    /// Connects (making the tables on first use).
    static func join(_ text: String, logger: Logger, stop: @escaping @Sendable (String) -> Void) async throws -> ClusterNode {
        let url: PostgresURL
        do { url = try PostgresURL(parsing: text) } catch { throw ConfigurationError("--postgres-url: \(error)") }
        return ClusterNode(log: try await PostgresLog.connect(url, logger: logger), logger: logger, stop: stop)
    }

    /// Makes this data directory's secret files the cluster's (after ``catchUp(_:)``: a
    /// directory refused there offers nothing).
    func adoptSecrets(directory: String) async throws {
        try await ClusterSecrets.share(directory: directory, log: log, logger: logger)
    }

    /// Brings the replica up to the shared log before the node serves. A data directory whose
    /// log is not a prefix of PostgreSQL's (a single server's, never imported) is refused.
    func catchUp(_ store: EventStore) async throws {
        let local = try store.read { try store.log.head($0) }
        let shared = try await log.head()
        if local.seq > shared.seq || (local.seq == shared.seq && local.chain != shared.chain) {
            throw ConfigurationError(
                "the log in this data directory (seq \(local.seq)) is not the shared log's (seq \(shared.seq) in \(log.url)): move a single server's log in with `bubble-timer cluster import` first, or start this node on an empty data directory"
            )
        }
        let started = ContinuousClock.now
        let report = try await Replica.catchUp(store, from: log)
        logger.notice("caught up with the shared log", metadata: [
            "events": "\(report.applied)", "head": "\(report.head.seq)", "url": "\(log.url)",
            "seconds": "\((ContinuousClock.now - started).components.seconds)",
        ])
    }

    /// What the writer's failures mean here: a record this build cannot read stops the node
    /// rather than fold around it; anything else (PostgreSQL away) is logged.
    func watch(_ store: EventStore) {
        store.onReplicationFailure { [logger, stop] error in
            if case StoreError.log(.newerRecord(let seq, let reason)) = error {
                stop("the shared log holds record \(seq), which this build cannot read (\(reason)): a newer version wrote it; upgrade this node (docs/operations.md, \"Upgrading a cluster\")")
            } else {
                // Its commands' senders were told; a follower's catch-up is tried again at the next ring.
                logger.warning("could not commit or catch up through the shared log", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Until cancelled: follows the shared log, and runs the scheduler while this node leads it.
    func run(store: EventStore, scheduler: Scheduler?) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.follow(store) }
            guard let scheduler else { return }
            group.addTask {
                await self.whileLeading(.scheduler) {
                    // Its start waits on commits (what fell due meanwhile): on a thread of its
                    // own, never holding one of the pool's, which the commits need.
                    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                        Thread { [logger = self.logger] in
                            do { try scheduler.start() } catch { logger.error("scheduler: \(error)") }
                            done.resume()
                        }.start()
                    }
                    while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                }
            }
        }
    }

    /// Keeps the replica up with the shared log: a listening connection rings the store's
    /// writer on every NOTIFY; every second the log's head is read on the node's own
    /// connection (which reconnects by itself) — a missed notification is caught up, and each
    /// answer is the sign of life `/health` reads. The listening connection is renewed every
    /// minute and whenever PostgreSQL answers again after failing: a connection the server
    /// ended can leave a LISTEN waiting forever (seen after `pg_terminate_backend`), so a stuck
    /// one is abandoned, not waited for.
    func follow(_ store: EventStore) async {
        let renew = Doorbell()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [log, logger] in
                while !Task.isCancelled {
                    let listener = Task {
                        do {
                            for try await _ in log.changes(pollInterval: .seconds(3600)) { store.replicate() }
                        } catch {
                            logger.warning("lost the shared log's notifications; listening again", metadata: ["error": "\(error)"])
                        }
                    }
                    await renew.wait(upTo: .seconds(60))
                    listener.cancel()
                }
            }
            group.addTask { [log] in
                var answering = true
                while !Task.isCancelled {
                    if let shared = try? await log.head().seq {
                        self.heard.withLock { $0 = .now }
                        if !answering { renew.ring() }
                        answering = true
                        if let local = try? store.read({ try store.log.head($0).seq }), local < shared { store.replicate() }
                    } else {
                        answering = false
                    }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    /// Runs `body` while this node leads `duty`: asks for the lease every `retry` until it has
    /// it, then confirms it every second. A lease lost while running stops the server — the
    /// duty may already run elsewhere, and a node that cannot say otherwise must not go on.
    func whileLeading(_ duty: Leadership.Duty, retry: Duration = .seconds(2), _ body: @escaping @Sendable () async -> Void) async {
        var lease: Leadership?
        while lease == nil {
            if Task.isCancelled { return }
            lease = try? await Leadership.tryLead(duty, at: log.url, logger: logger)
            if lease == nil { try? await Task.sleep(for: retry) }
        }
        guard let lease else { return }
        logger.notice("leading the cluster's \(duty)")
        let work = Task { await body() }
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            if Task.isCancelled { break }
            if await !lease.confirm(logger: logger) {
                stop("lost the lease on the cluster's \(duty) (PostgreSQL out of reach): stopping, so it never runs on two nodes")
                break
            }
        }
        work.cancel()
        await work.value
        await lease.resign()
    }
}
