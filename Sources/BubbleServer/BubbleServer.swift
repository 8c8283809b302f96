internal import EventLog
public import Hummingbird
internal import HummingbirdCore
public import Logging
public import NIOCore
internal import ServiceLifecycle
internal import CoreMetrics
internal import Sockets
internal import BubbleCore
internal import Foundation
internal import PostgresLog

internal import TimerDomain
internal import Projections

/// The real-time server: REST and WebSocket on one port, over one event store.
///
/// Frames and requests become commands; the store appends them durably (group commit) and
/// hands every committed batch to the fan-out dispatcher, which queues frames on the live
/// sockets concerned. Run it as a service (`run()`); SIGTERM/SIGINT shut it down gracefully.
public struct BubbleServer: Sendable {
    let state: ServerState
    /// Set on a cluster node.
    let cluster: ClusterNode?
    public let configuration: ServerConfiguration
    /// The certificate in use with TLS; ``reloadTLS()`` (SIGHUP) swaps it for new connections.
    let certificates: TLSCertificates?

    /// Opens the store (taking the data directory's writer lock) and records a server-start
    /// marker, which retires the connections the previous process left in the views.
    /// A cluster node (`postgresURL`) instead joins the shared log and catches up with it.
    /// `stop`: called when a cluster node must not go on (a lease lost, a record from a
    /// newer build); by default it logs and exits with status 3, for a supervisor to restart.
    public init(
        configuration: ServerConfiguration, logger: Logger = Logger(label: "bubble-timer"),
        stop: (@Sendable (String) -> Void)? = nil
    ) async throws {
        var storeOptions = StoreOptions()
        storeOptions.limits = configuration.limits
        storeOptions.timeZone = configuration.timeZone
        switch (configuration.tlsCertificate, configuration.tlsKey) {
        case (let cert?, let key?):
            do { certificates = try TLSCertificates(certificatePath: cert, keyPath: key) } catch {
                throw ConfigurationError("--tls-cert \(cert) / --tls-key \(key) cannot be used: \(error)")
            }
        case (nil, nil): certificates = nil
        default: throw ConfigurationError("--tls-cert and --tls-key go together: give both, or neither for plain HTTP")
        }
        var cluster: ClusterNode?
        if let url = configuration.postgresURL {
            let node = try await ClusterNode.join(url, logger: logger, stop: stop ?? ClusterNode.exiting(logger))
            storeOptions.sharedLog = node.sharedLog
            cluster = node
        }
        let store = try EventStore(directory: configuration.dataDirectory, options: storeOptions)
        // Appending after a damaged record would chain new history to it: check the tail now,
        // the rest of the log in the background.
        try store.checkTail(records: configuration.startupCheckRecords)
        try await cluster?.catchUp(store)
        try await cluster?.adoptSecrets(directory: configuration.dataDirectory)
        cluster?.watch(store)
        var auth = configuration.auth
        if auth.hmacSecret == nil, auth.jwksJSON == nil {
            auth.hmacSecret = try DevSecret.loadOrCreate(directory: configuration.dataDirectory)
        }
        let verifier = try await TokenVerifier(auth, maxUserIDLength: configuration.limits.maxIDLength)
        let metrics = ServerMetrics()
        let push = configuration.push.enabled ? try await Self.pushSender(configuration, store: store, metrics: metrics, logger: logger) : nil
        let serverKeys = try ServerKeys.loadOrCreate(directory: configuration.dataDirectory)
        // The issuer is the operator's public URL, else a name the signing key gives: never the
        // listening address, which a restore elsewhere or a port change would make refuse tokens.
        let issuer = configuration.publicURL == nil ? "urn:bubble-timer:\(serverKeys.keyID)" : configuration.publicBaseURL
        let serverTokens = try await ServerTokens(keys: serverKeys, issuer: issuer, lifetime: configuration.signIn.accessTokenLifetime)
        state = ServerState(
            configuration: configuration, store: store, verifier: verifier, serverKeys: serverKeys, serverTokens: serverTokens,
            logger: logger, push: push, metrics: metrics
        )
        let files = FileLimit.ensure(room: configuration.maxConnections)
        if files < configuration.maxConnections + FileLimit.reserve {
            logger.warning("the open-file limit (ulimit -n) is \(files), below --max-connections \(configuration.maxConnections) plus \(FileLimit.reserve) for the server itself: raise the limit or lower the cap, or a flood of connections can starve the server of file descriptors")
        }
        self.configuration = configuration
        self.cluster = cluster
        // A cluster node records no start: `server_started` retires every connection in the
        // views, and the other nodes' are alive.
        if cluster == nil {
            _ = try await store.execute(CommandRequest(.markServerStarted(version: configuration.version), actor: Actor(userID: "server", deviceID: "server")))
        }
        let scheduler = state.scheduler
        let sender = state.pushSender
        store.onCommit { [dispatcher = state.dispatcher, metrics = state.metrics, hub = state.hub, viewers = state.publicViewers, linger = configuration.supersededLinger] events in
            dispatcher.enqueue(events)
            viewers.publish(events)
            SignInEnforcement.closeSockets(after: events, hub: hub)
            if !hub.node.isEmpty { ClusterDevices.replace(after: events, hub: hub, linger: linger) }
            var moved = false
            var pushes = false
            for e in events {
                switch e.event {
                case .timerCompleted(_, let due, let fired, let kind): metrics.fired("completion", kind: kind, lateMilliseconds: fired - due)
                case .reminderFired(_, _, _, let due, let fired, let kind): metrics.fired("reminder", kind: kind, lateMilliseconds: fired - due)
                // Both add push outbox entries (a message is its recipient's inbox entry).
                case .notificationCreated, .messageSent: pushes = true
                default: break
                }
                moved = moved || DueIndex.concerns(e.event)
            }
            // A commit may have moved an end before the scheduler's next one: it looks again.
            if moved { scheduler?.wake() }
            if pushes { sender?.wake() }
        }
        store.onBatch { [metrics = state.metrics] in metrics.batch(commands: $0, nanoseconds: $1) }
        // Ends and reminders that fell due while the server was down fire now, before the
        // port opens, in due order and marked late. (A cluster node: when it leads.)
        if cluster == nil { try scheduler?.start() }
        state.metrics.logProblems.record(0)
        state.integrity.check(store: store, metrics: state.metrics, logger: logger)
    }

    /// The first step of a graceful shutdown: closes every socket with 1001 ("going away")
    /// and waits (up to `timeout`) for the sessions to record their disconnects. A client
    /// that ignores the close handshake does not hold the shutdown up: its disconnect is
    /// recorded here, and its socket dies with the process.
    public func closeAllConnections(timeout: Duration = .seconds(1)) async {
        let reason = "server shutting down"
        for connection in state.hub.all() { connection.close(code: 1001, reason: reason) }
        let deadline = ContinuousClock.now + timeout
        while state.hub.count > 0, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        for connection in state.hub.all() where state.hub.remove(connection) {
            _ = try? await state.execute(CommandRequest(.device(.disconnect(connectionID: connection.id, reason: reason)), actor: connection.actor))
        }
    }

    /// The push sender with the providers the configuration names (a bad FCM service account
    /// stops the server here, not at its first push).
    static func pushSender(_ configuration: ServerConfiguration, store: EventStore, metrics: ServerMetrics, logger: Logger) async throws -> PushSender {
        let config = configuration.push
        var fcm: (ServiceAccount, AccessTokens)?
        if let json = config.fcmServiceAccount {
            let account = try ServiceAccount(json: Array(json.utf8))
            fcm = (account, try await FCMPush.tokens(for: account))
        }
        let providers: PushSender.Providers = { [fcm] client in
            var out: [PushProvider: any PushProviderClient] = [.expo: ExpoPush(client: client, baseURL: config.expoURL, accessToken: config.expoAccessToken)]
            if let (account, tokens) = fcm { out[.fcm] = FCMPush(client: client, baseURL: config.fcmURL, account: account, tokens: tokens) }
            if let url = config.webhookURL { out[.webhook] = WebhookPush(client: client, url: url, secret: config.webhookSecret) }
            return out
        }
        let settings = PushSender.Settings(concurrency: config.concurrency, retryBase: config.retryBase, retryMax: config.retryMax)
        return PushSender(store: store, providers: providers, settings: settings, publicURL: configuration.publicBaseURL, metrics: metrics, logger: logger)
    }

    /// Reads the certificate and key files again (SIGHUP): new connections get them, open ones
    /// keep theirs. Throws (and keeps the old certificate) when the files cannot be used.
    public func reloadTLS() throws {
        try certificates?.reload()
    }

    /// The verifier in use (the `token` command and tests mint dev tokens with it).
    public var tokens: TokenVerifier { state.verifier }

    /// The Hummingbird application, for `run()` or HummingbirdTesting.
    public func application(logger: Logger, onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) -> some ApplicationProtocol {
        assemble(router: restRouter(), logger: logger, onServerRunning: onServerRunning)
    }

    /// Every REST route (the OpenAPI test enumerates them).
    func restRouter() -> Router<BubbleRequestContext> {
        let router = Router(context: BubbleRequestContext.self)
        let methods = RouteMethods()
        router.middlewares.add(RequestLogMiddleware(trustedProxies: Set(configuration.trustedProxies)))
        if !configuration.corsOrigins.isEmpty { router.middlewares.add(CORSMiddleware(origins: Set(configuration.corsOrigins))) }
        router.middlewares.add(ErrorMiddleware(methods: methods))
        router.get("/health") { [state, configuration, cluster] _, _ in
            let head = try state.store.read { try state.store.log.head($0).seq }
            let storage = state.storageStatus()
            var problems = storage.problems(minFreeDisk: configuration.minFreeDiskBytes)
            if state.integrity.isDamaged { problems.append("the event log is damaged (see log.problems)") }
            var storageJSON = storage.json
            storageJSON["problems"] = problems
            var body: [String: Any] = [
                "seq": head, "connections": state.hub.count,
                "version": configuration.version, "log": state.integrity.summary, "storage": storageJSON,
            ]
            if let cluster {
                var (json, clusterProblems) = cluster.health()
                json["problems"] = clusterProblems
                body["cluster"] = json
                problems += clusterProblems
            }
            body["status"] = problems.isEmpty ? "ok" : "degraded"
            return jsonResponse(body)
        }
        // The server's clock, for clients and public pages (no token).
        router.get("/time") { [configuration] _, _ in
            jsonResponse(["serverTime": currentMilliseconds(), "timeZone": configuration.timeZone])
        }
        router.get("/metrics") { [state] _, _ in
            _ = state.storageStatus()
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: state.metrics.text())))
        }
        AvatarRoutes(server: state).registerPublic(on: router)
        AuthRoutes(server: state).register(on: router)
        PublicRoutes(server: state).register(on: router)
        WebApp.register(on: router, server: state)
        AdminRoutes(server: state).register(on: router)
        let api = router.group().add(middleware: AuthMiddleware(server: state))
        TimerRoutes(server: state).register(on: api)
        DeviceTokenRoutes(server: state).register(on: api)
        MeRoutes(server: state).register(on: api)
        UserRoutes(server: state).register(on: api)
        NotificationRoutes(server: state).register(on: api)
        PreferenceRoutes(server: state).register(on: api)
        MessageRoutes(server: state).register(on: api)
        AvatarRoutes(server: state).register(on: api)
        ExportRoutes(server: state).register(on: api)
        methods.record(router.routes.map { ($0.method.rawValue, $0.path.description) })
        return router
    }

    /// The rest of the application around the router: every connection passes the guard,
    /// then speaks HTTP/1 to Hummingbird or upgrades to our socket layer.
    private func assemble(router: Router<BubbleRequestContext>, logger: Logger, onServerRunning: @escaping @Sendable (any Channel) async -> Void) -> some ApplicationProtocol {
        let settings = SocketSettings(
            maxMessageBytes: configuration.maxFrameBytes, outboundQueueBytes: configuration.outboundQueueBytes,
            pingInterval: configuration.pingInterval, closeTimeout: 3
        )
        let limits = state.connectionLimits
        let headerTimeout = TimeAmount.milliseconds(Int64(configuration.headerTimeout * 1000))
        let idleTimeout = Duration.milliseconds(Int64(configuration.idleTimeout * 1000))
        let acceptance = SocketAcceptance(server: state, logger: logger)
        let malformed = SocketAcceptance.refusal(.badRequest("bad_upgrade", "not a WebSocket upgrade this server can read (Sec-WebSocket-Key and Sec-WebSocket-Version: 13 are required)"))
        return Application(
            router: router,
            server: HTTPServerBuilder { responder in
                GuardedChannel(
                    inner: TLSChannel(
                        inner: SocketUpgradeChannel(responder: responder, settings: settings, idleTimeout: idleTimeout, malformed: malformed) { request in
                            await acceptance.decide(request)
                        },
                        certificates: certificates
                    ),
                    limits: limits, headerTimeout: headerTimeout
                )
            },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "bubble-timer"),
            services: [Lifecycle(state: state, cluster: cluster, backups: BackupSchedule(configuration: configuration.backup, dataDirectory: configuration.dataDirectory, state: state, logger: logger))],
            onServerRunning: onServerRunning,
            logger: ClosedChannelNoise.wrapping(logger)
        )
    }
}

/// Runs the fan-out dispatcher beside the HTTP server; on shutdown closes every socket with
/// 1001 ("going away"), records the disconnects, finishes the last commit and closes LMDB.
struct Lifecycle: Service {
    let state: ServerState
    let cluster: ClusterNode?
    let backups: BackupSchedule

    func run() async throws {
        let pushing = Task { [state, cluster] in
            guard let sender = state.pushSender else { return }
            if let cluster { await cluster.whileLeading(.outbox) { await sender.run() } } else { await sender.run() }
        }
        let clusterDuties = Task { [state, cluster] in await cluster?.run(store: state.store, scheduler: state.scheduler) }
        let backingUp = Task { await backups.run() }
        await withGracefulShutdownHandler {
            await state.dispatcher.run()
        } onGracefulShutdown: {
            for connection in state.hub.all() { connection.close(code: 1001, reason: "server shutting down") }
            state.dispatcher.finish()
            state.pushSender?.stop()
        }
        // Pushes in flight finish and their outcomes are recorded before the store closes.
        state.pushSender?.stop()
        pushing.cancel()
        await pushing.value
        clusterDuties.cancel()
        await clusterDuties.value
        // A backup being copied finishes before LMDB closes under it.
        backingUp.cancel()
        await backingUp.value
        // Sessions record their disconnects as their sockets close; give them a moment.
        for _ in 0..<50 where state.hub.count > 0 { try? await Task.sleep(for: .milliseconds(20)) }
        state.scheduler?.stop()
        state.store.close()
    }
}
