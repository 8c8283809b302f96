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

        switch server.hub.add(connection) {
        case .tooMany:
            try? await outbound.close(.policyViolation, reason: "too many connections for this user")
            return
        case .added(let replaced):
            replaced?.close(code: 1000, reason: "replaced by a newer connection of this device")
            server.connectionsChanged()
        }
        do {
            _ = try await server.execute(CommandRequest(.device(.connect(connectionID: connection.id)), actor: identity.actor))
        } catch {
            logger.error("could not record the connection", metadata: ["error": "\(error)"])
        }
        sendInitialState(connection)
        logger.info("connected", metadata: ["dialect": "\(identity.dialect.rawValue)"])

        // The writer drains the outbound queue; the reader runs here. Either ending ends both:
        // a closed socket stops the reader, and the reader finishing ends the queue.
        let writer = Task {
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
            var limiter = RateLimiter(rate: config.messagesPerSecond, burst: config.messageBurst)
            do {
                for try await message in source.value.messages(maxSize: config.maxFrameBytes) {
                    guard case .text(let text) = message else {
                        connection.send(ServerError.badRequest("unsupported_frame", "send JSON text frames").frame(requestID: nil))
                        continue
                    }
                    guard limiter.allow() else {
                        connection.send(ServerError.rateLimited.frame(requestID: InboundFrame.requestID(of: Array(text.utf8))))
                        continue
                    }
                    await handler.handle(text, connection: connection, logger: sessionLogger)
                }
            } catch {
                sessionLogger.debug("socket read ended", metadata: ["error": "\(error)"])
            }
            connection.finish()
        }
        connection.onAbort { [server] in
            server.metrics.slowConsumerCloses.increment()
            writer.cancel()
            reader.cancel()
        }
        await reader.value
        await writer.value

        let wasCurrent = server.hub.remove(connection)
        server.connectionsChanged()
        if wasCurrent {
            let reason = connection.closeReason?.reason ?? "client closed"
            _ = try? await server.execute(CommandRequest(.device(.disconnect(connectionID: connection.id, reason: reason)), actor: identity.actor))
        }
        logger.info("disconnected", metadata: ["reason": "\(connection.closeReason?.reason ?? "client closed")"])
    }

    /// Queues what the client needs before live frames: the missed events (resume) or the
    /// current state, then lets the broadcasts held meanwhile through.
    private func sendInitialState(_ connection: Connection) {
        do {
            if let since = identity.since, connection.dialect == .seed,
               let (frames, head) = try Resume.frames(
                   store: server.store, actor: identity.actor, since: since,
                   window: server.configuration.resumeWindow, dialect: .seed
               ) {
                for frame in frames { connection.send(frame) }
                connection.send(["type": "resumed", "since": since, "seq": head, "count": frames.count])
                connection.release(after: head)
                return
            }
            let (timers, head) = try server.store.read { txn in
                (try server.store.views.visibleTimers(for: identity.actor.userID, txn), try server.store.log.head(txn).seq)
            }
            connection.send(OutboundFrame.initialState(timers, seq: head, dialect: connection.dialect, resumeFailed: identity.since != nil))
            connection.release(after: head)
        } catch {
            logger.error("could not read the initial state", metadata: ["error": "\(error)"])
            connection.close(code: 1011, reason: "internal error")
        }
    }

    func handle(_ text: String, connection: Connection, logger: Logger) async {
        let bytes = Array(text.utf8)
        var logger = logger
        if let requestID = InboundFrame.requestID(of: bytes) { logger[metadataKey: "requestId"] = "\(requestID)" }
        let parsed: (Dialect, InboundMessage)
        do { parsed = try InboundFrame.parse(bytes) } catch {
            logger.notice("rejected frame", metadata: ["code": "\(error.code)"])
            connection.send(error.frame(requestID: InboundFrame.requestID(of: bytes)))
            return
        }
        let (dialect, message) = parsed
        if connection.dialect != dialect { connection.dialect = dialect }
        switch message {
        case .ack:
            return
        case .ping(let timestamp, let requestID):
            let pong = OutboundFrame.pong(timestamp: timestamp, requestID: requestID)
            if dialect == .android {
                // The deployed backend answered every ping on all of the user's sockets, and
                // the app's other devices time their keep-alive from it.
                for c in server.hub.connections(of: identity.actor.userID) { c.send(pong) }
            } else {
                connection.send(pong)
            }
        case .command(let command, let requestID):
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
            for command in commands {
                do { _ = try await server.execute(CommandRequest(command, actor: identity.actor)) } catch {
                    connection.send(ServerError.from(error).frame(requestID: nil))
                }
            }
        }
    }
}

/// Moves a value that is used by one task at a time into that task.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
