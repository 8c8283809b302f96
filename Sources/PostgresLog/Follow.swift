internal import Logging
public import BubbleCore
internal import PostgresNIO

extension PostgresLog {
    /// The rows after `seq` as they are committed, in seq order, a batch at a time: read on a
    /// connection of its own, woken by the `NOTIFY` every append sends, and every
    /// `pollInterval` as the fallback (a notification is lost if its connection drops just
    /// then). Ends when the consumer stops iterating; throws when the connection fails (the
    /// caller reconnects and follows again from its last seq).
    public func follow(after seq: UInt64, pollInterval: Duration = .seconds(1), batchSize: Int = 5_000) -> AsyncThrowingStream<[Row], any Error> {
        let logger = self.logger
        return listening(pollInterval: pollInterval) { connection, continuation in
            var last = seq
            return {
                while true {
                    let rows = try await Self.rows(connection, after: last, limit: batchSize, logger: logger)
                    guard let end = rows.last else { break }
                    continuation.yield(rows)
                    last = end.seq
                }
            }
        }
    }

    /// One element each time the log may have moved on: at once, on every `NOTIFY`, and every
    /// `pollInterval`. For a node whose store reads the rows itself (``EventStore/replicate()``).
    public func changes(pollInterval: Duration = .seconds(1)) -> AsyncThrowingStream<Void, any Error> {
        listening(pollInterval: pollInterval) { _, continuation in { continuation.yield(()) } }
    }

    /// LISTENs on a connection of its own and runs `onWake` (made once per connection) at
    /// once, at each ring and each `pollInterval`, until the consumer stops.
    private func listening<Element: Sendable>(
        pollInterval: Duration,
        _ makeWake: @escaping @Sendable (PostgresConnection, AsyncThrowingStream<Element, any Error>.Continuation) -> () async throws -> Void
    ) -> AsyncThrowingStream<Element, any Error> {
        let url = self.url, logger = self.logger
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let connection = try await Self.open(url, logger: logger)
                    defer { Task { try? await connection.close() } }
                    let bell = Doorbell()
                    let wake = makeWake(connection, continuation)
                    try await connection.listen(on: Self.channel) { notifications in
                        let listening = Task {
                            for try await _ in notifications { bell.ring() }
                        }
                        defer { listening.cancel() }
                        while !Task.isCancelled {
                            try await wake()
                            await bell.wait(upTo: pollInterval)
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
