public import Logging
internal import PostgresNIO

extension PostgresLog {
    /// The rows after `seq` as they are committed, in seq order, a batch at a time: read on a
    /// connection of its own, woken by the `NOTIFY` every append sends, and every
    /// `pollInterval` as the fallback (a notification is lost if its connection drops just
    /// then). Ends when the consumer stops iterating; throws when the connection fails (the
    /// caller reconnects and follows again from its last seq).
    public func follow(after seq: UInt64, pollInterval: Duration = .seconds(1), batchSize: Int = 5_000) -> AsyncThrowingStream<[Row], any Error> {
        let url = self.url, logger = self.logger
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let connection = try await Self.open(url, logger: logger)
                    defer { Task { try? await connection.close() } }
                    let bell = Doorbell()
                    try await connection.listen(on: Self.channel) { notifications in
                        let listening = Task {
                            for try await _ in notifications { bell.ring() }
                        }
                        defer { listening.cancel() }
                        var last = seq
                        while !Task.isCancelled {
                            while true {
                                let rows = try await Self.rows(connection, after: last, limit: batchSize, logger: logger)
                                guard let end = rows.last else { break }
                                continuation.yield(rows)
                                last = end.seq
                            }
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
