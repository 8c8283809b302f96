internal import CoreMetrics
public import Prometheus
internal import TimerDomain

/// The server's metrics, through swift-metrics into its own Prometheus registry (so several
/// servers in one test process do not share counters). `GET /metrics` prints the registry.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    let connections: CoreMetrics.Gauge
    let frames: CoreMetrics.Counter
    let slowConsumerCloses: CoreMetrics.Counter
    let authFailures: CoreMetrics.Counter
    /// Socket messages refused by the per-connection rate limit.
    let rateLimited: CoreMetrics.Counter
    /// `rate_limited` error frames not sent because one went out less than a second before.
    let rateLimitFramesSuppressed: CoreMetrics.Counter
    let tokenExpiredCloses: CoreMetrics.Counter
    /// Problems the background log check found (0 when the log verified).
    let logProblems: CoreMetrics.Gauge
    /// Connections closed without a complete request head in time.
    let headerTimeouts: CoreMetrics.Counter
    let appendLatency: CoreMetrics.Timer
    let commitToSend: CoreMetrics.Timer
    let commitDuration: CoreMetrics.Timer
    let batchSize: CoreMetrics.Recorder
    /// Firing − due instant of every completion and reminder the scheduler committed.
    let schedulerLateness: CoreMetrics.Timer
    /// Anonymous sockets open on public links now, and opened in all.
    let publicViewers: CoreMetrics.Gauge
    let publicViewersOpened: CoreMetrics.Counter
    /// Backups written by `--backup-every`, their last success (Unix seconds) and size.
    let backups: CoreMetrics.Counter
    let backupFailures: CoreMetrics.Counter
    let lastBackup: CoreMetrics.Gauge
    let lastBackupBytes: CoreMetrics.Gauge

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        let latencyBuckets: [Duration] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .seconds(1),
        ]
        factory.defaultDurationHistogramBuckets = latencyBuckets
        factory.defaultValueHistogramBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096]
        self.factory = factory
        connections = CoreMetrics.Gauge(label: "bubble_connections", factory: factory)
        frames = CoreMetrics.Counter(label: "bubble_frames_sent_total", factory: factory)
        slowConsumerCloses = CoreMetrics.Counter(label: "bubble_slow_consumer_closes_total", factory: factory)
        authFailures = CoreMetrics.Counter(label: "bubble_auth_failures_total", factory: factory)
        rateLimited = CoreMetrics.Counter(label: "bubble_rate_limited_total", factory: factory)
        rateLimitFramesSuppressed = CoreMetrics.Counter(label: "bubble_rate_limit_frames_suppressed_total", factory: factory)
        tokenExpiredCloses = CoreMetrics.Counter(label: "bubble_token_expired_closes_total", factory: factory)
        headerTimeouts = CoreMetrics.Counter(label: "bubble_header_timeouts_total", factory: factory)
        logProblems = CoreMetrics.Gauge(label: "bubble_log_problems", factory: factory)
        appendLatency = Self.timer("bubble_append_seconds", factory)
        commitToSend = Self.timer("bubble_commit_to_send_seconds", factory)
        commitDuration = Self.timer("bubble_commit_seconds", factory)
        batchSize = CoreMetrics.Recorder(label: "bubble_batch_commands", dimensions: [], aggregate: true, factory: factory)
        schedulerLateness = Self.timer("bubble_scheduler_lateness_seconds", factory)
        publicViewers = CoreMetrics.Gauge(label: "bubble_public_viewers", factory: factory)
        publicViewersOpened = CoreMetrics.Counter(label: "bubble_public_viewers_opened_total", factory: factory)
        backups = CoreMetrics.Counter(label: "bubble_backups_total", factory: factory)
        backupFailures = CoreMetrics.Counter(label: "bubble_backup_failures_total", factory: factory)
        lastBackup = CoreMetrics.Gauge(label: "bubble_backup_last_success_seconds", factory: factory)
        lastBackupBytes = CoreMetrics.Gauge(label: "bubble_backup_last_bytes", factory: factory)
    }

    func publicViewerOpened() { publicViewersOpened.increment() }

    /// Counts what the scheduler fired (`what`: completion or reminder; `kind`: on_time, late,
    /// silent) and records its lateness.
    func fired(_ what: String, kind: FiringKind, lateMilliseconds: Int64) {
        CoreMetrics.Counter(label: "bubble_scheduler_fired_total", dimensions: [("what", what), ("kind", kind.name)], factory: factory).increment()
        // An end in year 1 fires two thousand years late: more nanoseconds than Int64 holds.
        if kind != .silent { schedulerLateness.recordNanoseconds(min(max(0, lateMilliseconds), Int64.max / 1_000_000) * 1_000_000) }
    }

    private static func timer(_ label: String, _ factory: PrometheusMetricsFactory) -> CoreMetrics.Timer {
        CoreMetrics.Timer(label: label, dimensions: [], handler: factory.makeTimer(label: label, dimensions: []), factory: factory)
    }

    /// The value of one series as `/metrics` prints it (`name{labels}`), if present.
    func value(of series: String) -> Double? {
        for line in text().split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// The storage gauges: data file, map use and size, free disk, in bytes.
    func storage(_ status: StorageStatus) {
        for (label, value) in [
            ("bubble_data_file_bytes", status.dataFileBytes), ("bubble_map_used_bytes", status.mapUsedBytes),
            ("bubble_map_size_bytes", status.mapSizeBytes), ("bubble_disk_free_bytes", status.diskFreeBytes),
        ] {
            CoreMetrics.Gauge(label: label, factory: factory).record(value)
        }
    }

    /// Counts one push attempt by provider and outcome: delivered, retried, abandoned (dead
    /// letter: attempts exhausted or refused), unregistered (token dropped).
    func pushed(provider: String, outcome: String) {
        CoreMetrics.Counter(label: "bubble_push_total", dimensions: [("provider", provider), ("outcome", outcome)], factory: factory).increment()
    }

    /// The push outbox: pushes waiting, and how old the oldest one's notification is.
    func outbox(depth: Int, oldestAgeSeconds: Double) {
        CoreMetrics.Gauge(label: "bubble_push_outbox_depth", factory: factory).record(depth)
        CoreMetrics.Gauge(label: "bubble_push_outbox_oldest_age_seconds", factory: factory).record(oldestAgeSeconds)
    }

    /// Counts one connection refused at accept, by which cap: `total` or `address`.
    func connectionsRefused(_ reason: String) {
        CoreMetrics.Counter(label: "bubble_connections_refused_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    /// Counts one command by type and outcome (appended, noop, rejected, error).
    func command(_ command: Command, outcome: String) {
        CoreMetrics.Counter(label: "bubble_commands_total", dimensions: [("type", Self.name(of: command)), ("outcome", outcome)], factory: factory).increment()
    }

    static func name(of command: Command) -> String {
        switch command {
        case .timer(.update): "update"
        case .timer(.stop): "stop"
        case .timer(.share): "share"
        case .timer(.unshare): "unshare"
        case .timer(.invite): "invite"
        case .timer(.countdown(_, let action)): action.name
        case .timer(.setReminder): "reminder_set"
        case .timer(.cancelReminder): "reminder_cancel"
        case .timer(.complete): "complete"
        case .timer(.fireReminder): "reminder_fire"
        case .timer(.resolveEnd): "resolve_end"
        case .timer(.createLink): "link_create"
        case .timer(.revokeLink): "link_revoke"
        case .device(.setTimeZone): "time_zone"
        case .enableScheduler: "scheduler_enabled"
        case .account(.issueCode): "sign_in_code"
        case .account(.verify): "sign_in"
        case .account(.refresh): "session_refresh"
        case .account(.logout), .account(.endSessions): "session_end"
        case .account(.disable): "user_disable"
        case .account(.enable): "user_enable"
        case .device(.connect): "connect"
        case .device(.disconnect): "disconnect"
        case .device(.registerPushToken): "push_token_register"
        case .device(.removePushToken): "push_token_remove"
        case .markServerStarted: "server_started"
        case .device(.registerDevice): "device_register"
        case .device(.register): "register"
        case .device(.updateProfile): "profile_update"
        case .device(.erase): "erase"
        case .device(.readNotifications): "notifications_read"
        case .device(.setNotificationPreferences): "notification_preferences"
        case .device(.setAvatar): "avatar"
        case .push: "push_outcome"
        case .message: "message"
        }
    }

    /// One group commit: how many commands, and how long it took to decide, append, project and sync.
    func batch(commands: Int, nanoseconds: UInt64) {
        commitDuration.recordNanoseconds(Int64(nanoseconds))
        batchSize.record(commands)
    }

    public func text() -> String { registry.emitToString() }
}
