internal import Foundation
internal import Logging
internal import TimerDomain
internal import BubbleCore
internal import EventLog
internal import Projections
internal import Sockets
internal import CoreMetrics
internal import HTTPTypes
internal import NIOCore

/// Our protocol on one socket, from open to close: records the connect, writes the initial
/// state (or a resume), then turns messages into commands and answers, and records the
/// disconnect however it ends.
///
/// Every method runs on the socket's event loop (the socket calls it there; store
/// completions hop back), so the state below needs no lock and no task waits on the socket.
/// Messages are handled one at a time in arrival order — a command's answer goes out before
/// the next message is read — which keeps answers in order and lets TCP push back on a
/// client that sends faster than its commands commit.
final class SocketSession: SocketDelegate {
    private let server: ServerState
    private let identity: Identity
    private let baseLogger: Logger
    private var connection: Connection?
    private var connectionID = ""
    /// Whether the hub took the connection (a refused one records no disconnect).
    private var registered = false
    private var holdsForwardedSlot = false
    private var budget: CommandBudget
    /// Messages not yet handled, oldest first.
    private var pending: [SocketMessage] = []
    private var pendingHead = 0
    /// A command is being committed, or the initial state is not yet written.
    private var busy = true
    private var readingPaused = false
    /// The rest of an `activeTimerList` whose items run one after another.
    private var queued: [Result<Command, ServerError>] = []
    private var extraPong: SocketTimer?
    private var expiry: SocketTimer?
    private var resume: ResumeStream?

    /// Past this many waiting messages the socket stops reading until they are handled.
    static let maxPending = 64

    init(server: ServerState, identity: Identity, logger: Logger) {
        self.server = server
        self.identity = identity
        baseLogger = logger
        budget = CommandBudget(rate: server.configuration.messagesPerSecond, burst: server.configuration.messageBurst)
    }

    // MARK: - Open

    func socketOpened(_ socket: Socket) {
        let connection = Connection(actor: identity.actor, session: identity.session, dialect: identity.dialect, socket: socket, sent: server.metrics.frames, node: server.hub.node)
        self.connection = connection
        connectionID = connection.id
        // Behind a trusted proxy the per-address cap applies here, to the forwarded client.
        if identity.viaProxy {
            guard server.connectionLimits.admitForwarded(identity.clientAddress) else {
                return socket.close(code: 1008, reason: "too many connections from this address")
            }
            holdsForwardedSlot = true
        }
        switch server.hub.add(connection) {
        case .tooMany:
            return socket.close(code: 1008, reason: "too many connections for this user")
        case .added(let close, let detached):
            for old in close { old.close(code: 1000, reason: "replaced by a newer connection of this device") }
            if let detached { lingerThenClose(detached) }
        }
        registered = true
        server.connectionsChanged()
        // Read before this connect is recorded: when the device was last here.
        let lastSeen = identity.dialect == .android
            ? (try? server.store.read { try Catchup.lastSeen(identity.actor, log: server.store.log, $0) }) ?? nil
            : nil
        let me = loopBound(socket)
        server.submit(CommandRequest(.device(.connect(connectionID: connection.id, timeZone: identity.timeZone)), actor: identity.actor)) { result in
            me.run { $0.connected(result, lastSeen: lastSeen) }
        }
        // A socket outlives its token only until the token's expiry: then the client must
        // reconnect with a fresh one (REST refuses the old token at the same moment).
        if let expiresAt = identity.expiresAt {
            let wait = max(0, expiresAt - Date().timeIntervalSince1970)
            expiry = socket.schedule(after: .milliseconds(Int64(wait * 1000))) { me.run { $0.tokenExpired() } }
        }
    }

    private func connected(_ result: Result<CommandResult, any Error>, lastSeen: UInt64?) {
        guard let connection else { return }
        if case .failure(let error) = result { logger.error("could not record the connection", metadata: ["error": "\(error)"]) }
        // Android ends are rendered in this zone (`PATCH /me` changes it on open sockets).
        if let zone = try? server.store.read({ try server.zone(of: identity.actor, $0) }) { connection.style.zone = zone }
        logger.info("connected", metadata: ["dialect": "\(identity.dialect.rawValue)"])
        writeInitialState(connection, lastSeen: lastSeen)
    }

    /// Writes what the client needs before live frames, then lets the broadcasts held
    /// meanwhile through: the current state — for an Android device seen before, preceded by
    /// a `stopTimer` for each timer it could see when it left and can no longer see (the app
    /// only upserts its `activeTimerList`). A seed client resuming with `?since=` within the
    /// window gets its missed commands streamed instead, and the held broadcasts once it is
    /// caught up.
    private func writeInitialState(_ connection: Connection, lastSeen: UInt64?) {
        let config = server.configuration
        let store = server.store
        let style = connection.style
        do {
            let (timers, vanished, head, since, unread) = try store.read { txn -> ([TimerViewRow], [TimerID], UInt64, UInt64?, Int) in
                let head = try store.log.head(txn).seq
                if let since = identity.since, style.dialect == .seed,
                   ResumeStream.isResumable(since: since, head: head, window: config.resumeWindow) {
                    return ([], [], head, since, 0)
                }
                var vanished: [TimerID] = []
                if let lastSeen, lastSeen <= head, head - lastSeen <= config.resumeWindow {
                    vanished = try Catchup.vanishedTimers(for: identity.actor.userID, since: lastSeen, log: store.log, views: store.views, txn)
                }
                let unread = style.dialect == .seed ? try store.views.unreadNotifications(of: identity.actor.userID, txn).count : 0
                return (try store.views.visibleTimers(for: identity.actor.userID, txn), vanished, head, nil, unread)
            }
            if let since {
                let stream = ResumeStream(since: since, store: store, connection: connection)
                resume = stream
                stream.run { [self] result in
                    resume = nil
                    switch result {
                    case .success:
                        live()
                    case .failure(let error as StoreError):
                        logger.error("could not read the missed events", metadata: ["error": "\(error)"])
                        connection.close(code: 1011, reason: "internal error")
                    case .failure(let error):
                        logger.debug("resume ended", metadata: ["error": "\(error)"])
                    }
                }
                return
            }
            let frames = vanished.map { OutboundFrame.vanished($0, seq: head) }
                + [.initialState(timers, seq: head, style: style, resumeFailed: identity.since != nil, unread: unread)]
            connection.send(frames.compactMap(\.bytes))
            // More broadcasts for this user while one read ran than the socket may queue: it
            // cannot keep up.
            guard connection.socket.release(after: head) else {
                return connection.close(code: 1013, reason: "slow consumer: outbound queue full")
            }
            live()
        } catch {
            logger.error("could not read the initial state", metadata: ["error": "\(error)"])
            connection.close(code: 1011, reason: "internal error")
        }
    }

    /// The initial state is out: messages are handled from here on.
    private func live() {
        busy = false
        pump()
    }

    // MARK: - Messages

    func socket(_ socket: Socket, received message: SocketMessage) {
        pending.append(message)
        if pending.count - pendingHead >= Self.maxPending, !readingPaused {
            readingPaused = true
            socket.setReading(false)
        }
        pump()
    }

    /// Handles waiting messages until one needs a commit (or none is left).
    private func pump() {
        while !busy, pendingHead < pending.count, let connection {
            let message = pending[pendingHead]
            pendingHead += 1
            handle(message, connection: connection)
        }
        if pendingHead == pending.count {
            pending.removeAll(keepingCapacity: pending.count <= 8)
            pendingHead = 0
        }
        if readingPaused, pending.count - pendingHead < Self.maxPending / 2, let connection {
            readingPaused = false
            connection.socket.setReading(true)
        }
    }

    private func handle(_ message: SocketMessage, connection: Connection) {
        guard case .text(let buffer) = message else {
            return refuse(.badRequest("unsupported_frame", "send JSON text frames"), requestID: nil, connection: connection)
        }
        let receivedAt = currentMillisecondsPrecise()
        let bytes = buffer.readableBytesView
        let parsed: (Dialect, InboundMessage)
        do { parsed = try InboundFrame.parse(bytes) } catch {
            let requestID = InboundFrame.requestID(of: bytes)
            logger.notice("rejected frame", metadata: ["code": "\(error.code)", "requestId": "\(requestID ?? "")"])
            return refuse(error, requestID: requestID, connection: connection)
        }
        let (dialect, message) = parsed
        if connection.dialect != dialect { connection.style.dialect = dialect }
        switch message {
        case .ack:
            // Never answered, never charged: the app acknowledges every typed frame it gets.
            return
        case .ping(let timestamp, let requestID):
            if dialect == .android {
                // The deployed backend answered every ping on all of the user's sockets, and
                // the app's other devices time their keep-alive from it.
                for c in server.hub.connections(of: identity.actor.userID) { c.send(.pong(timestamp: timestamp, requestID: requestID)) }
                scheduleExtraPong(connection)
            } else {
                connection.send(.pong(timestamp: timestamp, requestID: requestID))
            }
        case .time(let t0, let requestID):
            guard charge(requestID: requestID, connection: connection) else { return }
            connection.send(.time(t0: t0, receivedAt: receivedAt, requestID: requestID))
        case .command(let command, let requestID, let endKey):
            guard admit(requestID: requestID, connection: connection) else { return }
            // A seed client that names the end `endTime` gets `endTime` back on its frames.
            if dialect == .seed, let endKey, connection.style.endKey != endKey { connection.style.endKey = endKey }
            run(command, requestID: requestID, answer: dialect == .seed, on: connection)
        case .commands(let commands):
            // An `activeTimerList` is a list of independent updates: each is charged and
            // decided on its own, so a long list costs what as many frames would, and one
            // bad item refuses that item only. Past the budget the rest are dropped.
            queued = commands.reversed()
            runQueued(connection)
        }
    }

    /// Commits one command; the next message waits for its answer.
    private func run(_ command: Command, requestID: String?, answer: Bool, on connection: Connection) {
        busy = true
        let me = loopBound(connection.socket)
        server.submit(CommandRequest(command, actor: identity.actor, commandID: requestID)) { result in
            me.run { $0.ran(result, requestID: requestID, answer: answer) }
        }
    }

    private func ran(_ result: Result<CommandResult, any Error>, requestID: String?, answer: Bool) {
        busy = false
        guard let connection else { return }
        switch result {
        case .success(let result):
            if answer {
                let head = result.seq ?? ((try? server.store.read { try server.store.log.head($0).seq }) ?? 0)
                connection.send(.result(requestID: requestID, seq: head, changed: !result.events.isEmpty))
            }
        case .failure(let error):
            let failure = ServerError.from(error)
            if failure.status == .internalServerError { logger.error("command failed", metadata: ["error": "\(error)"]) }
            connection.send(.error(failure, requestID: requestID))
        }
        if queued.isEmpty { pump() } else { runQueued(connection) }
    }

    /// Runs the next item of an `activeTimerList` (answered with an error frame only).
    private func runQueued(_ connection: Connection) {
        while let item = queued.popLast() {
            guard admit(requestID: nil, connection: connection) else {
                queued = []
                break
            }
            switch item {
            case .success(let command): return run(command, requestID: nil, answer: false, on: connection)
            case .failure(let error): connection.send(.error(error, requestID: nil))
            }
        }
        pump()
    }

    /// Whether a command may run: the token has not expired (a late command is refused and
    /// the socket closed with 4001) and the connection is within its rate.
    private func admit(requestID: String?, connection: Connection) -> Bool {
        if let expiresAt = identity.expiresAt, Date().timeIntervalSince1970 >= expiresAt {
            connection.send(.error(.tokenExpired, requestID: requestID))
            tokenExpired()
            return false
        }
        return charge(requestID: requestID, connection: connection)
    }

    /// Answers a message that could not be read, charged like a command so that a flood of
    /// garbage is rate limited too.
    private func refuse(_ error: ServerError, requestID: String?, connection: Connection) {
        if charge(requestID: requestID, connection: connection) { connection.send(.error(error, requestID: requestID)) }
    }

    /// Charges one message to the connection's budget; over it, answers `rate_limited` at
    /// most once a second and returns `false`.
    private func charge(requestID: String?, connection: Connection) -> Bool {
        switch budget.charge() {
        case .allowed:
            return true
        case .refused(let answer):
            server.metrics.rateLimited.increment()
            if answer { connection.send(.error(.rateLimited, requestID: requestID)) } else { server.metrics.rateLimitFramesSuppressed.increment() }
            return false
        }
    }

    private func tokenExpired() {
        server.metrics.tokenExpiredCloses.increment()
        connection?.close(code: 4001, reason: "token expired")
    }

    /// The app pings every 15 s and, as it pings, reconnects if its last pong is over 5 s old;
    /// with pongs only in answer to its pings that is every other ping. A second pong about
    /// 11 s after each ping is under 5 s old when the next ping goes out.
    private func scheduleExtraPong(_ connection: Connection) {
        extraPong?.cancel()
        let delay = server.configuration.androidExtraPongDelay
        guard delay > 0 else { return }
        extraPong = connection.socket.schedule(after: .milliseconds(Int64(delay * 1000))) {
            connection.send(.pong(timestamp: nil, requestID: nil))
        }
    }

    /// A superseded Android socket is closed after `supersededLinger` seconds if it is still
    /// open and still superseded.
    private func lingerThenClose(_ detached: Connection) {
        server.hub.closeAfterLinger(detached, seconds: server.configuration.supersededLinger)
    }

    // MARK: - Close

    func socketClosed(_ socket: Socket, reason: CloseReason) {
        extraPong?.cancel()
        expiry?.cancel()
        pending = []
        queued = []
        if holdsForwardedSlot { server.connectionLimits.releaseForwarded(identity.clientAddress) }
        guard let connection else { return }
        self.connection = nil
        guard registered else { return }
        if reason.code == 1013 { server.metrics.slowConsumerCloses.increment() }
        let wasCurrent = server.hub.remove(connection)
        server.connectionsChanged()
        // A superseded socket's end records no disconnect: the device is still connected.
        if wasCurrent {
            server.submit(CommandRequest(.device(.disconnect(connectionID: connection.id, reason: reason.reason)), actor: identity.actor)) { _ in }
        }
        logger.info("disconnected", metadata: ["reason": "\(reason.reason)", "code": "\(reason.code)"])
    }

    /// The session's logger, naming its connection, user and device: made when something is
    /// logged rather than kept per socket (its metadata was a dictionary per idle socket).
    private var logger: Logger {
        var logger = baseLogger
        logger[metadataKey: "connection"] = "\(connectionID)"
        logger[metadataKey: "user"] = "\(identity.actor.userID)"
        logger[metadataKey: "device"] = "\(identity.actor.deviceID)"
        return logger
    }

    // MARK: - Loop

    /// This session, to be used back on its loop from a store completion or a timer.
    private func loopBound(_ socket: Socket) -> LoopBoundSession {
        LoopBoundSession(session: NIOLoopBound(self, eventLoop: socket.eventLoop), eventLoop: socket.eventLoop)
    }
}

/// A session reference that can travel to another thread and only be used back on its loop.
struct LoopBoundSession: Sendable {
    let session: NIOLoopBound<SocketSession>
    let eventLoop: any EventLoop

    func run(_ body: @escaping @Sendable (SocketSession) -> Void) {
        if eventLoop.inEventLoop {
            body(session.value)
        } else {
            let session = session
            eventLoop.execute { body(session.value) }
        }
    }
}
