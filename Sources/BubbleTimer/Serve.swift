import ArgumentParser
import BubbleServer
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals
import ToolSupport
import TimerDomain
import BubbleCore

/// `bubble-timer serve`: the server on its embedded default (LMDB under ./data, a dev
/// signing secret generated there). Every flag also reads an environment variable
/// (docs/configuration.md), the flag winning.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the Bubble Timer server (REST + WebSocket on one port).")

    @Option(help: "Address to listen on [BUBBLE_HOST].") var host = env("BUBBLE_HOST") ?? "127.0.0.1"
    @Option(help: "Port [BUBBLE_PORT].") var port = Int(env("BUBBLE_PORT") ?? "") ?? 8080
    @Option(help: "Data directory [BUBBLE_DATA].") var data = env("BUBBLE_DATA") ?? defaultDataDirectory
    @Option(help: "HS256 secret; default: a dev secret kept in the data directory [BUBBLE_JWT_SECRET].") var jwtSecret: String?
    @Option(help: "JWKS file with RS256/ES256 public keys, e.g. Cognito's [BUBBLE_JWKS_FILE].") var jwksFile: String?
    @Option(help: "Claim naming the user: sub, cognito:username, … [BUBBLE_USER_CLAIM].") var userClaim = env("BUBBLE_USER_CLAIM") ?? "sub"
    @Option(help: "Required iss [BUBBLE_JWT_ISSUER].") var jwtIssuer: String?
    @Option(help: "Required aud or client_id [BUBBLE_JWT_AUDIENCE].") var jwtAudience: String?
    @Option(help: "Required token_use, id or access [BUBBLE_JWT_TOKEN_USE].") var jwtTokenUse: String?
    @Option(help: "Largest frame or body in bytes [BUBBLE_MAX_FRAME_BYTES].") var maxFrameBytes = Int(env("BUBBLE_MAX_FRAME_BYTES") ?? "") ?? 65_536
    @Option(help: "Messages per second per connection [BUBBLE_RATE].") var rate = Double(env("BUBBLE_RATE") ?? "") ?? 20
    @Option(help: "Message burst per connection [BUBBLE_BURST].") var burst = Double(env("BUBBLE_BURST") ?? "") ?? 60
    @Option(help: "Connections per user [BUBBLE_MAX_CONNECTIONS_PER_USER].") var maxConnectionsPerUser = Int(env("BUBBLE_MAX_CONNECTIONS_PER_USER") ?? "") ?? 20
    @Option(help: "Superseded Android sockets kept open per device before the oldest is closed [BUBBLE_SUPERSEDED_MAX].") var supersededMax = Int(env("BUBBLE_SUPERSEDED_MAX") ?? "") ?? 4
    @Option(help: "Seconds a superseded Android socket is kept open [BUBBLE_SUPERSEDED_LINGER].") var supersededLinger = Double(env("BUBBLE_SUPERSEDED_LINGER") ?? "") ?? 1800
    @Option(help: "Bytes queued unsent per connection before it is closed as slow (1013) [BUBBLE_OUTBOUND_QUEUE_BYTES].") var outboundQueueBytes = Int(env("BUBBLE_OUTBOUND_QUEUE_BYTES") ?? "") ?? 1 << 20
    @Option(help: "Deprecated: frames per connection, read as that many KiB; use --outbound-queue-bytes [BUBBLE_OUTBOUND_QUEUE].") var outboundQueue = Int(env("BUBBLE_OUTBOUND_QUEUE") ?? "")
    @Option(help: "Users a timer may be shared with [BUBBLE_MAX_SHARES].") var maxShares = Int(env("BUBBLE_MAX_SHARES") ?? "") ?? 100
    @Option(help: "Longest timer, user or device id in bytes [BUBBLE_MAX_ID_LENGTH].") var maxIdLength = Int(env("BUBBLE_MAX_ID_LENGTH") ?? "") ?? 128
    @Option(help: "Longest timer name in bytes [BUBBLE_MAX_NAME_LENGTH].") var maxNameLength = Int(env("BUBBLE_MAX_NAME_LENGTH") ?? "") ?? 256
    @Option(help: "Seconds between WebSocket pings [BUBBLE_PING_INTERVAL].") var pingInterval = Double(env("BUBBLE_PING_INTERVAL") ?? "") ?? 30
    @Option(help: "Seconds after an Android ping at which an extra pong is sent; 0 turns it off [BUBBLE_ANDROID_EXTRA_PONG].") var androidExtraPong = Double(env("BUBBLE_ANDROID_EXTRA_PONG") ?? "") ?? 11
    @Option(help: "Browser origin allowed to call the REST API (CORS), repeatable; * for any [BUBBLE_CORS_ORIGINS, comma-separated].") var corsOrigin: [String] = []
    @Option(help: "Open connections in all; keep below ulimit -n [BUBBLE_MAX_CONNECTIONS].") var maxConnections = Int(env("BUBBLE_MAX_CONNECTIONS") ?? "") ?? 10_000
    @Option(help: "Open connections from one client address [BUBBLE_MAX_CONNECTIONS_PER_ADDRESS].") var maxConnectionsPerAddress = Int(env("BUBBLE_MAX_CONNECTIONS_PER_ADDRESS") ?? "") ?? 256
    @Option(help: "Seconds a new connection has to send a complete request head [BUBBLE_HEADER_TIMEOUT].") var headerTimeout = Double(env("BUBBLE_HEADER_TIMEOUT") ?? "") ?? 30
    @Option(help: "Seconds an HTTP keep-alive connection may stay idle [BUBBLE_IDLE_TIMEOUT].") var idleTimeout = Double(env("BUBBLE_IDLE_TIMEOUT") ?? "") ?? 60
    @Option(help: "Reverse proxy address whose X-Forwarded-For names the client, repeatable [BUBBLE_TRUSTED_PROXIES, comma-separated].") var trustedProxy: [String] = []
    @Option(help: "Events back a ?since= resume may reach; further gets a snapshot [BUBBLE_RESUME_WINDOW].") var resumeWindow = UInt64(env("BUBBLE_RESUME_WINDOW") ?? "") ?? 100_000
    @Option(help: "Live timers one user may own [BUBBLE_MAX_TIMERS_PER_USER].") var maxTimersPerUser = Int(env("BUBBLE_MAX_TIMERS_PER_USER") ?? "") ?? 1000
    @Option(help: "Log records checked before the server appends after them (the rest in the background) [BUBBLE_STARTUP_CHECK_RECORDS].") var startupCheckRecords = UInt64(env("BUBBLE_STARTUP_CHECK_RECORDS") ?? "") ?? 10_000
    @Option(help: "MiB free on the data disk below which /health is degraded [BUBBLE_MIN_FREE_DISK_MB].") var minFreeDiskMb = Int(env("BUBBLE_MIN_FREE_DISK_MB") ?? "") ?? 512
    @Option(help: "IANA zone for local timer ends from users and devices that named none, e.g. Europe/Berlin; default: the machine's [BUBBLE_TIME_ZONE].") var timeZone = env("BUBBLE_TIME_ZONE")
    @Flag(help: "Do not complete timers or fire reminders (a node that only relays) [BUBBLE_NO_SCHEDULER=1].") var noScheduler = env("BUBBLE_NO_SCHEDULER") == "1"
    @Option(help: "Firebase service account JSON file: push to FCM devices (the Android app) [BUBBLE_FCM_SERVICE_ACCOUNT].") var fcmServiceAccount = env("BUBBLE_FCM_SERVICE_ACCOUNT")
    @Option(help: "FCM API base URL [BUBBLE_FCM_URL].") var fcmUrl = env("BUBBLE_FCM_URL") ?? "https://fcm.googleapis.com"
    @Option(help: "Expo push API base URL [BUBBLE_EXPO_URL].") var expoUrl = env("BUBBLE_EXPO_URL") ?? "https://exp.host"
    @Option(help: "File holding an Expo access token, if your Expo project requires one [BUBBLE_EXPO_ACCESS_TOKEN_FILE].") var expoAccessTokenFile = env("BUBBLE_EXPO_ACCESS_TOKEN_FILE")
    @Option(help: "URL pushes of 'webhook' devices are POSTed to [BUBBLE_PUSH_WEBHOOK_URL].") var pushWebhookUrl = env("BUBBLE_PUSH_WEBHOOK_URL")
    @Option(help: "File holding the webhook's HMAC-SHA256 signing key [BUBBLE_PUSH_WEBHOOK_SECRET_FILE].") var pushWebhookSecretFile = env("BUBBLE_PUSH_WEBHOOK_SECRET_FILE")
    @Option(help: "Pushes in flight at once [BUBBLE_PUSH_CONCURRENCY].") var pushConcurrency = Int(env("BUBBLE_PUSH_CONCURRENCY") ?? "") ?? 16
    @Option(help: "Attempts before a push is abandoned (dead-lettered) [BUBBLE_PUSH_MAX_ATTEMPTS].") var pushMaxAttempts = Int(env("BUBBLE_PUSH_MAX_ATTEMPTS") ?? "") ?? 8
    @Option(help: "Seconds before a failed push is retried, doubled per attempt [BUBBLE_PUSH_RETRY_BASE].") var pushRetryBase = Double(env("BUBBLE_PUSH_RETRY_BASE") ?? "") ?? 2
    @Option(help: "Longest wait between attempts, in seconds [BUBBLE_PUSH_RETRY_MAX].") var pushRetryMax = Double(env("BUBBLE_PUSH_RETRY_MAX") ?? "") ?? 3600
    @Flag(help: "Do not send pushes (the outbox waits for a server that does) [BUBBLE_NO_PUSH=1].") var noPush = env("BUBBLE_NO_PUSH") == "1"
    @Option(help: "How clients reach this server, e.g. https://timers.example.org, for the links it hands out (avatars); default: http://host:port [BUBBLE_PUBLIC_URL].") var publicUrl = env("BUBBLE_PUBLIC_URL")
    @Option(help: "Largest avatar image in bytes [BUBBLE_MAX_AVATAR_BYTES].") var maxAvatarBytes = Int(env("BUBBLE_MAX_AVATAR_BYTES") ?? "") ?? 262_144
    @Option(help: "Who may sign up with an email code: open, invite (the allow-list) or closed [BUBBLE_SIGNUP].") var signup = env("BUBBLE_SIGNUP") ?? "open"
    @Option(help: "Email address or domain that may sign up under --signup invite, repeatable [BUBBLE_SIGNUP_ALLOW, comma-separated].") var signupAllow: [String] = []
    @Option(help: "Sendmail-compatible command sign-in codes are piped to, e.g. 'msmtp -t'; default: codes go to the log (dev) [BUBBLE_MAIL_COMMAND].") var mailCommand = env("BUBBLE_MAIL_COMMAND")
    @Option(help: "From address of sign-in mail [BUBBLE_MAIL_FROM].") var mailFrom = env("BUBBLE_MAIL_FROM") ?? "Bubble Timer <bubble-timer@localhost>"
    @Option(help: "Seconds an access token from email sign-in lives [BUBBLE_ACCESS_TOKEN_TTL].") var accessTokenTtl = Double(env("BUBBLE_ACCESS_TOKEN_TTL") ?? "") ?? 900
    @Option(help: "Seconds a sign-in session lasts unused (each refresh starts it again) [BUBBLE_SESSION_TTL].") var sessionTtl = Double(env("BUBBLE_SESSION_TTL") ?? "") ?? 2_592_000
    @Option(help: "Take a verified backup this often while serving: 90s, 30m, 1h, 1d [BUBBLE_BACKUP_EVERY].") var backupEvery = env("BUBBLE_BACKUP_EVERY")
    @Option(help: "Backups kept by --backup-every; older ones are deleted [BUBBLE_BACKUP_KEEP].") var backupKeep = Int(env("BUBBLE_BACKUP_KEEP") ?? "") ?? 24
    @Option(help: "Where --backup-every writes; default: <data>-backups [BUBBLE_BACKUP_DIR].") var backupDir = env("BUBBLE_BACKUP_DIR")
    @Option(help: "Anonymous viewers one public link may have at once [BUBBLE_MAX_VIEWERS_PER_LINK].") var maxViewersPerLink = Int(env("BUBBLE_MAX_VIEWERS_PER_LINK") ?? "") ?? 100
    @Option(help: "PEM certificate (chain): serve HTTPS and WSS on the port; SIGHUP reloads it [BUBBLE_TLS_CERT].") var tlsCert = env("BUBBLE_TLS_CERT")
    @Option(help: "PEM private key for --tls-cert [BUBBLE_TLS_KEY].") var tlsKey = env("BUBBLE_TLS_KEY")
    @Option(help: "postgres://user[:password]@host[:port]/database: run as a cluster node on that shared log, the data directory its replica; give a password through the environment, not the command line [BUBBLE_POSTGRES_URL].") var postgresUrl = env("BUBBLE_POSTGRES_URL")
    @Option(help: "Log level: trace, debug, info, notice, warning, error [BUBBLE_LOG_LEVEL].") var logLevel = env("BUBBLE_LOG_LEVEL") ?? "info"
    @Option(help: "Log format: json (one object per line) or text [BUBBLE_LOG_FORMAT].") var logFormat = env("BUBBLE_LOG_FORMAT") ?? "json"

    func run() async throws {
        var config = ServerConfiguration()
        config.host = host
        config.port = port
        config.dataDirectory = data
        let jwtSecret = jwtSecret ?? env("BUBBLE_JWT_SECRET")
        let jwksFile = jwksFile ?? env("BUBBLE_JWKS_FILE")
        config.auth.hmacSecret = jwtSecret
        if let jwksFile { config.auth.jwksJSON = try String(contentsOfFile: jwksFile, encoding: .utf8) }
        config.auth.userClaim = userClaim
        config.auth.issuer = jwtIssuer ?? env("BUBBLE_JWT_ISSUER")
        config.auth.audience = jwtAudience ?? env("BUBBLE_JWT_AUDIENCE")
        config.auth.tokenUse = jwtTokenUse ?? env("BUBBLE_JWT_TOKEN_USE")
        config.maxFrameBytes = maxFrameBytes
        config.messagesPerSecond = rate
        config.messageBurst = burst
        config.maxConnectionsPerUser = maxConnectionsPerUser
        config.outboundQueueBytes = outboundQueue.map { $0 * ServerConfiguration.bytesPerQueuedFrame } ?? outboundQueueBytes
        config.maxSupersededPerDevice = supersededMax
        config.supersededLinger = supersededLinger
        config.limits.maxSharesPerTimer = maxShares
        config.limits.maxIDLength = maxIdLength
        config.limits.maxNameLength = maxNameLength
        config.pingInterval = pingInterval
        config.androidExtraPongDelay = androidExtraPong
        config.corsOrigins = corsOrigin.isEmpty ? (env("BUBBLE_CORS_ORIGINS")?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []) : corsOrigin

        config.minFreeDiskBytes = minFreeDiskMb * 1_048_576
        config.limits.maxLiveTimersPerUser = maxTimersPerUser
        config.resumeWindow = resumeWindow
        config.startupCheckRecords = startupCheckRecords
        config.maxConnections = maxConnections
        config.maxConnectionsPerAddress = maxConnectionsPerAddress
        config.headerTimeout = headerTimeout
        config.idleTimeout = idleTimeout
        config.trustedProxies = trustedProxy.isEmpty ? (env("BUBBLE_TRUSTED_PROXIES")?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []) : trustedProxy
        if let timeZone {
            guard ZoneRules.isZone(timeZone) else {
                Terminal.error("--time-zone '\(timeZone)' is not an IANA time zone this machine knows (is tzdata installed?)")
                throw ExitCode(2)
            }
            config.timeZone = timeZone
        }
        config.scheduler = !noScheduler
        config.push.enabled = !noPush
        config.publicURL = publicUrl
        config.limits.maxAvatarBytes = maxAvatarBytes
        guard let policy = SignupPolicy(rawValue: signup) else {
            Terminal.error("--signup '\(signup)' is not one of open, invite, closed")
            throw ExitCode(2)
        }
        config.signIn.signup = policy
        config.signIn.allow = signupAllow.isEmpty ? (env("BUBBLE_SIGNUP_ALLOW")?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []) : signupAllow
        config.signIn.mailCommand = mailCommand
        config.signIn.mailFrom = mailFrom
        config.signIn.accessTokenLifetime = max(30, accessTokenTtl)
        config.signIn.sessionLifetime = max(60, sessionTtl)
        if let backupEvery {
            guard let seconds = BackupConfiguration.seconds(backupEvery) else {
                Terminal.error("--backup-every '\(backupEvery)' is not a duration such as 90s, 30m, 1h or 1d")
                throw ExitCode(2)
            }
            config.backup.every = seconds
        }
        config.backup.keep = max(1, backupKeep)
        config.backup.directory = backupDir
        config.maxViewersPerLink = max(1, maxViewersPerLink)
        config.postgresURL = postgresUrl
        config.tlsCertificate = tlsCert
        config.tlsKey = tlsKey
        // Credentials come from files, never from the command line (visible in `ps`).
        func secret(_ path: String?, _ flag: String) throws -> String? {
            guard let path else { return nil }
            do { return try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) } catch {
                Terminal.error("\(flag) '\(path)' cannot be read: \(error.localizedDescription)")
                throw ExitCode(2)
            }
        }
        config.push.fcmServiceAccount = try secret(fcmServiceAccount, "--fcm-service-account")
        config.push.fcmURL = fcmUrl
        config.push.expoURL = expoUrl
        config.push.expoAccessToken = try secret(expoAccessTokenFile, "--expo-access-token-file")
        config.push.webhookURL = pushWebhookUrl
        config.push.webhookSecret = try secret(pushWebhookSecretFile, "--push-webhook-secret-file")
        config.push.concurrency = max(1, pushConcurrency)
        config.push.retryBase = pushRetryBase
        config.push.retryMax = pushRetryMax
        config.limits.maxPushAttempts = max(1, pushMaxAttempts)

        let level = Logger.Level(rawValue: logLevel) ?? .info
        if logFormat == "json" {
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
        var logger = Logger(label: "bubble-timer")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let server: BubbleServer
        do { server = try await BubbleServer(configuration: config, logger: logger) } catch {
            Terminal.error("\(error)")
            throw ExitCode(2)
        }
        if let outboundQueue {
            logger.warning("--outbound-queue (BUBBLE_OUTBOUND_QUEUE) is deprecated: the limit is bytes now; \(outboundQueue) is read as --outbound-queue-bytes \(outboundQueue * ServerConfiguration.bytesPerQueuedFrame)")
        }
        if jwtSecret == nil, jwksFile == nil {
            logger.notice("using the dev signing secret in \(data)/dev-jwt-secret; mint a token with: bubble-timer token <userId> --data \(data)")
        }
        let log = logger
        let settings = config
        let app = server.application(logger: logger) { channel in
            let tls = settings.usesTLS
            let url = "\(tls ? "https" : "http")://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(channel.localAddress?.port ?? port)"
            // Where `bubble-timer users …` finds this server (it holds the data directory).
            try? (url + "\n").write(toFile: data + "/server-url", atomically: true, encoding: .utf8)
            log.notice("listening on \(tls ? "https" : "http")://\(host):\(channel.localAddress?.port ?? port) (WebSocket: \(tls ? "wss" : "ws")://\(host):\(channel.localAddress?.port ?? port)/ws)")
            log.notice("web app: \(url)/app")
        }
        // SIGTERM/SIGINT: sockets first (1001, disconnects recorded), then the services (the
        // HTTP server stops, the last commit finishes, LMDB closes).
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger))
        // Each task says whether it was the server ending. A signal only STARTS the graceful
        // shutdown: cancelling the server then would cut its accept loop short (an error-level
        // "Waiting on child channel: CancellationError" on every orderly stop).
        try await withThrowingTaskGroup(of: Bool.self) { tasks in
            tasks.addTask {
                try await group.run()
                return true
            }
            tasks.addTask {
                // SIGHUP: a renewed certificate, without dropping a connection.
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
                    do {
                        try server.reloadTLS()
                        log.notice("reloaded the TLS certificate", metadata: ["cert": "\(settings.tlsCertificate ?? "-")"])
                    } catch {
                        log.error("could not reload the TLS certificate; still serving the previous one", metadata: ["error": "\(error)"])
                    }
                }
                return false
            }
            tasks.addTask {
                for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                    log.notice("shutting down", metadata: ["signal": "\(signal)"])
                    await server.closeAllConnections()
                    await group.triggerGracefulShutdown()
                    break
                }
                return false
            }
            for try await serverEnded in tasks where serverEnded { break }
            tasks.cancelAll()
        }
    }
}

/// `bubble-timer token alice`: an HS256 token for a user, signed with the configured or dev secret.
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Mint a dev token for a user id (HS256, the server's secret).")

    @Argument(help: "User id.") var userId: String
    @Option(help: "Data directory holding the dev secret [BUBBLE_DATA].") var data = env("BUBBLE_DATA") ?? defaultDataDirectory
    @Option(help: "HS256 secret instead of the dev one [BUBBLE_JWT_SECRET].") var jwtSecret: String?
    @Option(help: "Claim naming the user [BUBBLE_USER_CLAIM].") var userClaim = env("BUBBLE_USER_CLAIM") ?? "sub"
    @Option(help: "Lifetime in hours.") var hours = 24.0 * 30
    @Option(help: "An email claim (the users directory records it).") var email: String?
    @Option(help: "A name claim (the user's display name until they set one).") var name: String?

    func run() async throws {
        var auth = AuthConfiguration()
        auth.hmacSecret = try jwtSecret ?? env("BUBBLE_JWT_SECRET") ?? DevSecret.loadOrCreate(directory: data)
        auth.userClaim = userClaim
        var claims: [String: String] = [:]
        if let email { claims["email"] = email }
        if let name { claims["name"] = name }
        print(try await TokenVerifier(auth).mint(user: userId, lifetime: hours * 3600, claims: claims))
    }
}

func env(_ name: String) -> String? {
    ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
}
