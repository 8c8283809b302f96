internal import Logging

/// Wraps the server's log handler for Hummingbird's own lines. When a connection is closed
/// before its first request head is complete (the header timeout, a cap), hummingbird-websocket
/// logs "Error handling upgrade result" at error level with NIO's
/// `inappropriateOperationForState`, once per connection: a slow-header flood would write one
/// error line per attacker connection. Those become debug lines; ``ConnectionLimits`` already
/// logs the closes, counted, once per interval. Everything else passes through unchanged.
struct ClosedChannelNoise: LogHandler {
    var inner: any LogHandler

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        var level = level
        if level == .error, message.description == "Error handling upgrade result",
           case .string(let error)? = metadata?["error.type"], error == "Inappropriate operation for state" {
            level = .debug
        }
        guard level >= inner.logLevel else { return }
        inner.log(level: level, message: message, metadata: metadata, source: source, file: file, function: function, line: line)
    }

    /// `logger` with its handler wrapped.
    static func wrapping(_ logger: Logger) -> Logger {
        let handler = ClosedChannelNoise(inner: logger.handler)
        return Logger(label: logger.label) { _ in handler }
    }
}
