public import NIOCore
public import Logging
public import HummingbirdCore

/// Any server child channel with a ``ConnectionGuardHandler`` put in front of its pipeline.
public struct GuardedChannel<Inner: ServerChildChannel>: ServerChildChannel {
    public typealias Value = Inner.Value
    let inner: Inner
    let limits: any ConnectionGate
    let headerTimeout: TimeAmount

    public init(inner: Inner, limits: any ConnectionGate, headerTimeout: TimeAmount) {
        self.inner = inner
        self.limits = limits
        self.headerTimeout = headerTimeout
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ConnectionGuardHandler(limits: limits, headerTimeout: headerTimeout), position: .first)
        }.flatMap { inner.setup(channel: channel, logger: logger) }
    }

    public func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}
