import NIOCore

/// One connected device of a run: what it received and, if it sends, what it sent and what
/// came back. Every field is touched only on `loop` (the socket's event loop), so there are
/// no locks; other code reads it through `onLoop`.
final class LoadDevice: FrameSink, @unchecked Sendable {
    let userID: String
    let deviceID: String
    let loop: any EventLoop
    var socket: WireSocket?

    // What arrived.
    /// Broadcasts with seq above `countAfter`, in arrival order, and when each arrived.
    private(set) var seqs: [UInt64] = []
    private(set) var arrivals: [UInt64] = []
    private(set) var outOfOrder = 0
    /// Every broadcast, counted or not (to see when the setup's frames have drained).
    private(set) var broadcasts = 0
    var countAfter: UInt64 = 0 {
        didSet {
            // Frames of the setup may have arrived before the run's start was known.
            let keep = seqs.indices.filter { seqs[$0] > countAfter }
            seqs = keep.map { seqs[$0] }
            arrivals = keep.map { arrivals[$0] }
        }
    }
    private(set) var errors: [String: Int] = [:]
    private(set) var initialSeq: UInt64?
    private(set) var resumed: (seq: UInt64, count: Int)?
    private(set) var isClosed = false
    /// When the initial state finished arriving (ns).
    private(set) var readyAt: UInt64 = 0
    private var ready: EventLoopPromise<Void>?
    /// Resolves once the initial state (snapshot, or resume then `resumed`) has arrived.

    // What it sent.
    var plan: SenderPlan?
    var requestPrefix = "r"
    private var nextRequest: UInt64 = 0
    private var inflight: [UInt64: UInt64] = [:]
    private var waiters: [UInt64: EventLoopPromise<UInt64>] = [:]
    /// Send → durable result, ns.
    private(set) var ackLatencies: [UInt64] = []
    /// For each acknowledged command that changed something: its last event's seq and when it was sent.
    private(set) var acked: [(seq: UInt64, sentAt: UInt64)] = []
    /// Request numbers acknowledged, in order (the crash test writes them out).
    private(set) var ackedRequests: [UInt64] = []
    private(set) var lastAckAt: UInt64 = 0
    /// Stop after this many commands (nil: until `stop()`).
    var limit: Int?
    private(set) var sent = 0
    private var running = false
    private var window = 1
    private var pacer: RepeatedTask?
    private var paced = 0

    init(user: String, device: String, loop: any EventLoop) {
        userID = user
        deviceID = device
        self.loop = loop
        let promise = loop.makePromise(of: Void.self)
        ready = promise
        initialState = promise.futureResult
    }

    let initialState: EventLoopFuture<Void>

    /// A device whose socket never opened (its connect failed) is dropped with its initial
    /// state still pending: fail it with a reason instead of NIO's fatal "leaking promise".
    deinit { ready?.fail(LoadError.failed("\(userID)/\(deviceID): never connected")) }

    func onLoop<T: Sendable>(_ body: @escaping @Sendable () -> T) async throws -> T {
        try await loop.submit(body).get()
    }

    var inflightCount: Int { inflight.count }

    // MARK: FrameSink

    func received(_ text: ByteBuffer, at nanos: UInt64) {
        let f = FrameFields(text)
        if let requestID = f.requestID {
            reply(to: requestID, f, at: nanos)
            return
        }
        switch f.type {
        case "timer", "share":
            broadcasts += 1
            guard let seq = f.seq, seq > countAfter else { return }
            if let last = seqs.last, seq <= last { outOfOrder += 1 }
            seqs.append(seq)
            arrivals.append(nanos)
        case "snapshot", "activeTimerList":
            initialSeq = f.seq
            succeedReady(at: nanos)
        case "resumed":
            resumed = (f.seq ?? 0, Int(f.integer("\"count\":") ?? 0))
            succeedReady(at: nanos)
        case "error":
            errors[String(f.string("\"code\":\"") ?? "unknown"), default: 0] += 1
        default:
            break
        }
    }

    func closed() {
        isClosed = true
        running = false
        pacer?.cancel()
        ready?.fail(LoadError.failed("\(userID)/\(deviceID): socket closed before its initial state"))
        ready = nil
        for (_, waiter) in waiters { waiter.fail(LoadError.failed("\(userID)/\(deviceID): socket closed")) }
        waiters.removeAll()
    }

    private func succeedReady(at nanos: UInt64) {
        readyAt = nanos
        ready?.succeed()
        ready = nil
    }

    private func reply(to requestID: Substring, _ f: FrameFields, at nanos: UInt64) {
        guard requestID.hasPrefix(requestPrefix), let n = UInt64(requestID.dropFirst(requestPrefix.count)) else { return }
        let isResult = f.type == "result"
        if !isResult { errors[String(f.string("\"code\":\"") ?? "unknown"), default: 0] += 1 }
        if let waiter = waiters.removeValue(forKey: n) {
            if isResult { waiter.succeed(f.seq ?? 0) } else { waiter.fail(LoadError.failed("request \(requestID) failed: \(f.string("\"code\":\"") ?? "?")")) }
            return
        }
        guard let sentAt = inflight.removeValue(forKey: n) else { return }
        if isResult {
            ackLatencies.append(nanos &- sentAt)
            ackedRequests.append(n)
            lastAckAt = nanos
            if f.has("\"changed\":true"), let seq = f.seq { acked.append((seq, sentAt)) }
        }
        if running, plan != nil, pacer == nil { sendNext() }
    }

    // MARK: Sending

    /// Sends one frame built from its request id and resolves with the result's seq (setup).
    func request(_ build: @escaping @Sendable (String) -> String) -> EventLoopFuture<UInt64> {
        loop.flatSubmit {
            self.nextRequest += 1
            let promise = self.loop.makePromise(of: UInt64.self)
            self.waiters[self.nextRequest] = promise
            self.socket?.send(build("\(self.requestPrefix)\(self.nextRequest)"))
            return promise.futureResult
        }
    }

    private func sendNext() {
        guard let socket, plan != nil, limit.map({ sent < $0 }) ?? true else { return }
        sent += 1
        nextRequest += 1
        let text = plan!.next(requestID: "\(requestPrefix)\(nextRequest)")
        inflight[nextRequest] = Clock.now()
        socket.send(text)
    }

    /// Starts sending: `rate` commands/s from this device (open loop, checked every ms), or as
    /// fast as results come back with `window` in flight when `rate` is nil. `phase` (0..<1 of
    /// one interval) staggers senders so that together they send evenly, not in bursts.
    func start(rate: Double?, window: Int, at start: UInt64, phase: Double = 0) {
        running = true
        self.window = window
        guard let rate else {
            for _ in 0..<window { sendNext() }
            return
        }
        paced = 0
        pacer = loop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(1)) { [self] task in
            guard running else { task.cancel(); return }
            let intervals = Double(Clock.now() &- start) / 1e9 * rate - phase
            let due = intervals < 0 ? 0 : Int(intervals) + 1 - paced
            for _ in 0..<max(0, due) { sendNext() }
            paced += max(0, due)
        }
    }

    func stop() {
        running = false
        pacer?.cancel()
    }
}
