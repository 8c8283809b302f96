internal import BubbleCore
internal import Sockets
internal import Foundation
internal import Logging
internal import Projections
internal import TimerDomain

/// Delivers the push outbox. The outbox is a view of the log (a push is due from the event
/// that made its notification until one that says it was delivered or abandoned), so a push
/// decided before a crash is sent after the restart; a push sent but not yet recorded when
/// the process died is sent again: delivery is at least once, and the notification id is
/// its collapse key, so the phone replaces rather than repeats it.
///
/// Runs as one task; each page of due pushes is sent with bounded concurrency and each
/// outcome is a command (`push_delivered`, `push_failed` with the next attempt's time,
/// `push_abandoned`), appended before the page after it is read.
final class PushSender: @unchecked Sendable {
    /// The providers, made with the sender's HTTP client when it starts.
    typealias Providers = @Sendable (HTTPPoster) -> [PushProvider: any PushProviderClient]

    struct Settings: Sendable {
        var concurrency = 16
        var retryBase = 2.0
        var retryMax = 3600.0
    }

    private let store: EventStore
    private let makeProviders: Providers
    private let settings: Settings
    /// Where links the server hands out point (avatars).
    private let publicURL: String
    private let metrics: ServerMetrics
    private let logger: Logger
    private let wakeup = Wakeup()
    private let lock = NSLock()
    private var stopped = false
    static let actor = Actor(userID: "server", deviceID: "push")

    init(store: EventStore, providers: @escaping Providers, settings: Settings, publicURL: String, metrics: ServerMetrics, logger: Logger) {
        self.store = store
        self.publicURL = publicURL
        makeProviders = providers
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
    }

    /// A commit may have added or rescheduled pushes.
    func wake() { wakeup.wake() }

    func stop() {
        lock.withLock { stopped = true }
        wakeup.wake()
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    /// How long after a wake-up the outbox is read (a push waits at most this much more).
    static let coalescing: Duration = .milliseconds(20)

    /// Sends until ``stop()``; the HTTP client lives exactly as long as this call.
    func run() async {
        let client = HTTPPoster()
        await send(providers: makeProviders(client))
        await client.shutdown()
    }

    private func send(providers: [PushProvider: any PushProviderClient]) async {
        while !isStopped {
            let now = currentMilliseconds()
            let page: [(key: OutboxKey, entry: OutboxEntry)]
            let next: Int64?
            do {
                (page, next) = try store.read { try store.views.duePushes(now: now, limit: settings.concurrency * 4, $0) }
                recordDepth(now: now)
            } catch {
                logger.error("could not read the push outbox", metadata: ["error": "\(error)"])
                await wakeup.wait(seconds: 1)
                continue
            }
            if page.isEmpty {
                await wakeup.wait(seconds: next.map { Double(max(1, $0 - now)) / 1000 } ?? 60)
                // Every commit with a notification wakes the sender, most of them adding no
                // push (the recipient has no push device, or is connected): reading the outbox
                // after each one cost ~15% of the server's CPU at 5k commands/s. A burst is
                // read once, after it settles.
                try? await Task.sleep(for: Self.coalescing)
                continue
            }
            await withTaskGroup(of: Void.self) { group in
                var running = 0
                for item in page {
                    if running == settings.concurrency {
                        await group.next()
                        running -= 1
                    }
                    group.addTask { await self.deliver(item.key, item.entry, providers) }
                    running += 1
                }
            }
        }
    }

    private func deliver(_ key: OutboxKey, _ entry: OutboxEntry, _ providers: [PushProvider: any PushProviderClient]) async {
        let outcome: PushOutcome
        var provider = "none"
        do {
            let (target, row, from, text) = try store.read { txn -> (PushTarget?, NotificationRow?, DirectoryEntry?, String?) in
                let row = try store.views.notification(of: key.user, id: key.notification, txn)
                // A message's text, opened with its sender's key (gone if they were erased).
                let text = try store.views.message(of: key.user, id: key.notification, txn).flatMap { m in
                    try store.keys.key(of: m.message.from, txn)?.open(m.message.content)
                }
                return (try store.views.userState(key.user, txn).pushTargets[key.device], row,
                        try row?.notification.from.flatMap { try DirectoryEntry.read($0, store: store, txn) }, text)
            }
            if let row, let target {
                provider = target.provider.name
                if let client = providers[target.provider] {
                    let message = PushMessage.make(
                        id: key.notification, row, fromName: from?.displayName ?? row.notification.from, text: text, avatarURL: from?.avatarURL(publicURL)
                    )
                    outcome = self.outcome(await client.send(message, token: target.token, device: key.device, user: key.user), key, entry)
                } else {
                    outcome = .undeliverable(notification: key.notification, device: key.device, reason: "provider \(target.provider.name) is not configured on this server", dropToken: false)
                }
            } else {
                let reason = row == nil ? "the notification no longer exists" : "the device has no push registration"
                outcome = .undeliverable(notification: key.notification, device: key.device, reason: reason, dropToken: false)
            }
        } catch {
            logger.error("could not read a push", metadata: ["error": "\(error)"])
            return
        }
        do {
            let result = try await store.execute(CommandRequest(.push(key.user, outcome), actor: Self.actor))
            for e in result.events {
                switch e.event {
                case .pushDelivered: metrics.pushed(provider: provider, outcome: "delivered")
                case .pushFailed: metrics.pushed(provider: provider, outcome: "retried")
                case .pushAbandoned: metrics.pushed(provider: provider, outcome: "abandoned")
                case .pushTokenRemoved: metrics.pushed(provider: provider, outcome: "unregistered")
                default: break
                }
            }
        } catch {
            logger.error("could not record a push outcome", metadata: ["error": "\(error)"])
        }
    }

    private func outcome(_ result: PushResult, _ key: OutboxKey, _ entry: OutboxEntry) -> PushOutcome {
        switch result {
        case .delivered:
            return .delivered(notification: key.notification, device: key.device)
        case .retry(let reason, let after):
            let backoff = min(settings.retryMax, after ?? settings.retryBase * pow(2, Double(entry.attempt)))
            return .failed(notification: key.notification, device: key.device, reason: reason, retryAt: currentMilliseconds() + Int64(backoff * 1000))
        case .unregistered(let reason):
            return .undeliverable(notification: key.notification, device: key.device, reason: reason, dropToken: true)
        case .rejected(let reason):
            return .undeliverable(notification: key.notification, device: key.device, reason: reason, dropToken: false)
        }
    }

    private func recordDepth(now: Int64) {
        guard let (count, oldest) = try? store.read({ try store.views.outboxDepth($0) }) else { return }
        metrics.outbox(depth: count, oldestAgeSeconds: oldest.map { Double(max(0, now - $0)) / 1000 } ?? 0)
    }
}

/// Wakes one waiting task, early or at a deadline; a wake with nobody waiting is kept for the
/// next wait, so none is lost between a read and the wait after it.
final class Wakeup: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?

    func wake() {
        let waiting: CheckedContinuation<Void, Never>? = lock.withLock {
            if let w = waiter {
                waiter = nil
                return w
            }
            pending = true
            return nil
        }
        waiting?.resume()
    }

    func wait(seconds: Double) async {
        let timer = Task { [weak self] in
            // A cancelled sleep ends at once: waking then would leave `pending` set, and the
            // next wait would return at once and cancel its own timer — a loop that spun a
            // core and piled up dispatch timers (6.6 GB in 16 minutes) after the first wake.
            guard (try? await Task.sleep(for: .milliseconds(Int64(min(seconds, 3600) * 1000)))) != nil else { return }
            self?.wake()
        }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = lock.withLock {
                if pending {
                    pending = false
                    return true
                }
                waiter = c
                return false
            }
            if now { c.resume() }
        }
        timer.cancel()
    }
}
