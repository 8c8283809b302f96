internal import Foundation
internal import Hummingbird
internal import CoreMetrics
internal import NIOWebSocket
internal import Projections
internal import HummingbirdWebSocket
internal import Logging
internal import TimerDomain
internal import BubbleCore
internal import EventLog

/// One WebSocket from upgrade to close: records the connect, sends the initial state, then
/// runs the reader (frames → commands → result/error frames) beside the writer (the
/// connection's outbound queue → socket), and records the disconnect however it ends.
struct SocketSession {
    let server: ServerState
    let identity: Identity
    let logger: Logger

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let config = server.configuration
        let connection = Connection(actor: identity.actor, dialect: identity.dialect, queueLimit: config.outboundQueueLimit)
        var logger = logger
        logger[metadataKey: "connection"] = "\(connection.id)"
        logger[metadataKey: "user"] = "\(identity.actor.userID)"
        logger[metadataKey: "device"] = "\(identity.actor.deviceID)"

        // Behind a trusted proxy the per-address cap applies here, to the forwarded client.
        if identity.viaProxy {
            guard server.connectionLimits.admitForwarded(identity.clientAddress) else {
                await refuse(reason: "too many connections from this address", inbound: inbound, outbound: outbound)
                return
            }
        }
        defer { if identity.viaProxy { server.connectionLimits.releaseForwarded(identity.clientAddress) } }
        switch server.hub.add(connection) {
        case .tooMany:
            await refuse(reason: "too many connections for this user", inbound: inbound, outbound: outbound)
            return
        case .added(let close, let detached):
            for old in close { old.close(code: 1000, reason: "replaced by a newer connection of this device") }
            if let detached { lingerThenClose(detached) }
            server.connectionsChanged()
        }
        // Read before this connect is recorded: when the device was last here.
        let lastSeen = identity.dialect == .android
            ? (try? server.store.read { try Catchup.lastSeen(identity.actor, log: server.store.log, $0) }) ?? nil
            : nil
        do {
            _ = try await server.execute(CommandRequest(.device(.connect(connectionID: connection.id, timeZone: identity.timeZone)), actor: identity.actor))
        } catch {
            logger.error("could not record the connection", metadata: ["error": "\(error)"])
        }
        // Android ends are rendered in this zone (`PATCH /me` changes it on open sockets).
        if let zone = try? server.store.read({ try server.zone(of: identity.actor, $0) }) { connection.style.zone = zone }
        let resume = sendInitialState(connection, lastSeen: lastSeen)
        logger.info("connected", metadata: ["dialect": "\(identity.dialect.rawValue)"])

        // The writer streams a resume (if any), then drains the outbound queue; the reader
        // runs beside it. Either ending ends both: a closed socket stops the reader, and the
        // reader finishing ends the queue.
        let writer = Task { [identity, logger] in
            if let resume {
                do {
                    try await resume.stream(store: server.store, actor: identity.actor, style: { connection.style }) { text in
                        try await outbound.write(.text(text))
                        server.metrics.frames.increment()
                    } release: { connection.release(after: $0) }
                } catch {
                    if !(error is CancellationError) { logger.debug("resume ended", metadata: ["error": "\(error)"]) }
                    if error is StoreError {
                        logger.error("could not read the missed events", metadata: ["error": "\(error)"])
                        connection.close(code: 1011, reason: "internal error")
                    } else {
                        connection.finish()
                    }
                }
            }
            for await text in connection.frames {
                do { try await outbound.write(.text(text)) } catch { break }
                server.metrics.frames.increment()
            }
            let reason = connection.closeReason ?? (1000, "closing")
            try? await outbound.close(.init(codeNumber: Int(reason.code)), reason: reason.reason)
        }
        let sessionLogger = logger
        let handler = self
        let source = UncheckedSendable(inbound)
        let reader = Task {
            var state = ReaderState(budget: CommandBudget(rate: config.messagesPerSecond, burst: config.messageBurst))
            do {
                for try await message in source.value.messages(maxSize: config.maxFrameBytes) {
                    guard case .text(let text) = message else {
                        handler.refuse(ServerError.badRequest("unsupported_frame", "send JSON text frames"), requestID: nil, connection: connection, state: &state)
                        continue
                    }
                    await handler.handle(text, connection: connection, state: &state, logger: sessionLogger)
                }
            } catch {
                sessionLogger.debug("socket read ended", metadata: ["error": "\(error)"])
            }
            state.extraPong?.cancel()
            connection.finish()
        }
        // A socket outlives its token only until the token's expiry: then the client must
        // reconnect with a fresh one (REST refuses the old token at the same moment).
        let expiry = identity.expiresAt.map { expiresAt in
            Task { [server] in
                let wait = expiresAt - Date().timeIntervalSince1970
                if wait > 0 { try? await Task.sleep(for: .milliseconds(Int64(wait * 1000))) }
                guard !Task.isCancelled else { return }
                server.metrics.tokenExpiredCloses.increment()
                connection.close(code: 4001, reason: "token expired")
            }
        }
        connection.onAbort { [server] in
            server.metrics.slowConsumerCloses.increment()
            writer.cancel()
            reader.cancel()
        }
        await reader.value
        await writer.value
        expiry?.cancel()

        let wasCurrent = server.hub.remove(connection)
        server.connectionsChanged()
        if wasCurrent {
            let reason = connection.closeReason?.reason ?? "client closed"
            _ = try? await server.execute(CommandRequest(.device(.disconnect(connectionID: connection.id, reason: reason)), actor: identity.actor))
        }
        logger.info("disconnected", metadata: ["reason": "\(connection.closeReason?.reason ?? "client closed")"])
    }

    /// Closes a socket refused after the upgrade with 1008, then reads until the client's
    /// close answer (Hummingbird bounds the wait), so the client sees a completed close
    /// with the code rather than a dropped connection.
    private func refuse(reason: String, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        try? await outbound.close(.policyViolation, reason: reason)
        do { for try await _ in inbound {} } catch {}
    }

    /// Queues what the client needs before live frames, then lets the broadcasts held
    /// meanwhile through: the current state — for an Android device seen before, preceded by
    /// a `stopTimer` for each timer it could see when it left and can no longer see (the app
    /// only upserts its `activeTimerList`). A seed client resuming with `?since=` within the
    /// window gets its missed commands streamed by the writer instead (the returned plan),
    /// and the held broadcasts once it is caught up.
    private func sendInitialState(_ connection: Connection, lastSeen: UInt64?) -> Resume? {
        let config = server.configuration
        let store = server.store
        do {
            let style = connection.style
            let (timers, vanished, head, resume, unread) = try store.read { txn -> ([TimerViewRow], [TimerID], UInt64, Resume?, Int) in
                let head = try store.log.head(txn).seq
                if let since = identity.since, style.dialect == .seed,
                   Resume.isResumable(since: since, head: head, window: config.resumeWindow) {
                    return ([], [], head, Resume(since: since), 0)
                }
                var vanished: [TimerID] = []
                if let lastSeen, lastSeen <= head, head - lastSeen <= config.resumeWindow {
                    vanished = try Catchup.vanishedTimers(for: identity.actor.userID, since: lastSeen, log: store.log, views: store.views, txn)
                }
                let unread = style.dialect == .seed ? try store.views.unreadNotifications(of: identity.actor.userID, txn).count : 0
                return (try store.views.visibleTimers(for: identity.actor.userID, txn), vanished, head, nil, unread)
            }
            if let resume { return resume }
            for id in vanished { connection.send(OutboundFrame.vanished(id, seq: head)) }
            connection.send(OutboundFrame.initialState(timers, seq: head, style: style, resumeFailed: identity.since != nil, unread: unread))
            // Over a thousand broadcasts for this user while one read ran: it cannot keep up.
            if !connection.release(after: head) { connection.abortSlowConsumer() }
        } catch {
            logger.error("could not read the initial state", metadata: ["error": "\(error)"])
            connection.close(code: 1011, reason: "internal error")
        }
        return nil
    }

    /// A superseded Android socket is closed after `supersededLinger` seconds if it is still
    /// open and still superseded.
    private func lingerThenClose(_ connection: Connection) {
        let linger = server.configuration.supersededLinger
        Task { [hub = server.hub] in
            try? await Task.sleep(for: .milliseconds(Int64(linger * 1000)))
            if hub.isSuperseded(connection) { connection.close(code: 1000, reason: "superseded by a newer connection of this device") }
        }
    }

    /// What the reader keeps between frames.
    struct ReaderState {
        var budget: CommandBudget
        /// The unsolicited pong scheduled after the last Android ping.
        var extraPong: Task<Void, Never>?
    }

    func handle(_ text: String, connection: Connection, state: inout ReaderState, logger: Logger) async {
        let receivedAt = currentMillisecondsPrecise()
        let bytes = Array(text.utf8)
        var logger = logger
        if let requestID = InboundFrame.requestID(of: bytes) { logger[metadataKey: "requestId"] = "\(requestID)" }
        let parsed: (Dialect, InboundMessage)
        do { parsed = try InboundFrame.parse(bytes) } catch {
            logger.notice("rejected frame", metadata: ["code": "\(error.code)"])
            refuse(error, requestID: InboundFrame.requestID(of: bytes), connection: connection, state: &state)
            return
        }
        let (dialect, message) = parsed
        if connection.dialect != dialect { connection.dialect = dialect }
        switch message {
        case .ack:
            // Never answered, never charged: the app acknowledges every typed frame it gets.
            return
        case .ping(let timestamp, let requestID):
            let pong = OutboundFrame.pong(timestamp: timestamp, requestID: requestID)
            if dialect == .android {
                // The deployed backend answered every ping on all of the user's sockets, and
                // the app's other devices time their keep-alive from it.
                for c in server.hub.connections(of: identity.actor.userID) { c.send(pong) }
                scheduleExtraPong(connection, state: &state)
            } else {
                connection.send(pong)
            }
        case .time(let t0, let requestID):
            guard charge(requestID: requestID, connection: connection, state: &state) else { return }
            connection.send(OutboundFrame.time(t0: t0, receivedAt: receivedAt, requestID: requestID))
        case .command(let command, let requestID, let endKey):
            guard admit(requestID: requestID, connection: connection, state: &state) else { return }
            // A seed client that names the end `endTime` gets `endTime` back on its frames.
            if dialect == .seed, let endKey, connection.style.endKey != endKey { connection.style.endKey = endKey }
            do {
                let result = try await server.execute(CommandRequest(command, actor: identity.actor, commandID: requestID))
                if dialect == .seed {
                    let head = result.seq ?? ((try? server.store.read { try server.store.log.head($0).seq }) ?? 0)
                    connection.send(OutboundFrame.result(requestID: requestID, result, head: head))
                }
            } catch {
                let failure = ServerError.from(error)
                if failure.status == .internalServerError { logger.error("command failed", metadata: ["error": "\(error)"]) }
                connection.send(failure.frame(requestID: requestID))
            }
        case .commands(let commands):
            // An `activeTimerList` is a list of independent updates: each is charged and
            // decided on its own, so a long list costs what as many frames would, and one
            // bad item refuses that item only. Past the budget the rest are dropped.
            for item in commands {
                guard admit(requestID: nil, connection: connection, state: &state) else { return }
                do { _ = try await server.execute(CommandRequest(try item.get(), actor: identity.actor)) } catch {
                    connection.send(ServerError.from(error).frame(requestID: nil))
                }
            }
        }
    }

    /// Whether a command may run: the token has not expired (a late command is refused and
    /// the socket closed with 4001) and the connection is within its rate.
    private func admit(requestID: String?, connection: Connection, state: inout ReaderState) -> Bool {
        if let expiresAt = identity.expiresAt, Date().timeIntervalSince1970 >= expiresAt {
            connection.send(ServerError.tokenExpired.frame(requestID: requestID))
            server.metrics.tokenExpiredCloses.increment()
            connection.close(code: 4001, reason: "token expired")
            return false
        }
        return charge(requestID: requestID, connection: connection, state: &state)
    }

    /// Answers a frame that could not be read, charged like a command so that a flood of
    /// garbage is rate limited too.
    func refuse(_ error: ServerError, requestID: String?, connection: Connection, state: inout ReaderState) {
        if charge(requestID: requestID, connection: connection, state: &state) { connection.send(error.frame(requestID: requestID)) }
    }

    /// Charges one message to the connection's budget; over it, answers `rate_limited` at
    /// most once a second and returns `false`.
    private func charge(requestID: String?, connection: Connection, state: inout ReaderState) -> Bool {
        switch state.budget.charge() {
        case .allowed:
            return true
        case .refused(let answer):
            server.metrics.rateLimited.increment()
            if answer { connection.send(ServerError.rateLimited.frame(requestID: requestID)) } else { server.metrics.rateLimitFramesSuppressed.increment() }
            return false
        }
    }

    /// The app pings every 15 s and, as it pings, reconnects if its last pong is over 5 s old;
    /// with pongs only in answer to its pings that is every other ping. A second pong about
    /// 11 s after each ping is under 5 s old when the next ping goes out.
    private func scheduleExtraPong(_ connection: Connection, state: inout ReaderState) {
        state.extraPong?.cancel()
        let delay = server.configuration.androidExtraPongDelay
        guard delay > 0 else { return }
        state.extraPong = Task {
            try? await Task.sleep(for: .milliseconds(Int64(delay * 1000)))
            guard !Task.isCancelled else { return }
            connection.send(OutboundFrame.pong(timestamp: nil, requestID: nil))
        }
    }
}

/// Moves a value that is used by one task at a time into that task.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
