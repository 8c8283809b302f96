public import LMDB
public import TimerDomain

/// The append-only event log inside an LMDB environment (key layout in docs/file-format.md):
///
/// - `events`: seq (u64 big-endian) → record (``RecordCodec``), appended with `MDB_APPEND`;
/// - `streams`: stream id (UTF-8) → seqs (duplicate-sorted, fixed 8-byte big-endian), so one
///   timer's history is a range scan;
/// - `log_meta`: `format` → u8 version, `head` → seq, timestamp, chain of the last record.
public struct EventLog: Sendable {
    public static let formatVersion = 1
    public let events: Database
    public let streams: Database
    public let meta: Database

    static let formatKey = Array("format".utf8)
    static let headKey = Array("head".utf8)

    /// Opens (creating when writable) the log's databases and checks the format version.
    public init(environment: Environment) throws {
        events = try environment.openDatabase("events")
        streams = try environment.openDatabase("streams", flags: [.duplicateSort, .duplicateFixed])
        meta = try environment.openDatabase("log_meta")
        let found = try environment.read { txn in try txn.get(meta, key: Self.formatKey) { $0.first.map(Int.init) } } ?? nil
        if let found, found > Self.formatVersion {
            throw LogError.unsupportedFormat(found: found, supported: Self.formatVersion)
        }
        if found == nil, !environment.options.readOnly {
            try environment.write { txn in try txn.put(meta, key: Self.formatKey, value: [UInt8(Self.formatVersion)]) }
        }
    }

    /// The end of the log as of `txn`.
    public func head(_ txn: ReadTransaction) throws -> LogHead {
        try txn.get(meta, key: Self.headKey) { raw -> LogHead in
            var r = ByteReader(raw)
            let seq = try r.u64()
            let timestamp = Int64(bitPattern: try r.u64())
            try r.skip(32)
            return LogHead(seq: seq, timestamp: timestamp, chain: ChainHash(UnsafeRawBufferPointer(rebasing: raw[16..<48]))!)
        } ?? .genesis
    }

    /// Appends events in one write transaction. Create one per transaction, `append` each
    /// event, then `finish()` to record the new head.
    public struct Appender {
        let log: EventLog
        public private(set) var head: LogHead

        public init(log: EventLog, txn: WriteTransaction) throws {
            self.log = log
            self.head = try log.head(txn)
        }

        /// Writes one event after the current head. `now` is clamped so that time never runs
        /// backwards along the log (time-travel queries rely on it).
        public mutating func append(
            _ event: Event, actor: Actor, commandID: String?, now: Int64, txn: WriteTransaction
        ) throws -> EventEnvelope {
            let envelope = EventEnvelope(
                seq: head.seq + 1, timestamp: max(now, head.timestamp), actor: actor, commandID: commandID, event: event
            )
            let (record, chain) = RecordCodec.encode(envelope, previousChain: head.chain)
            let stream = envelope.stream.key
            try withUnsafeBytes(of: envelope.seq.bigEndian) { key in
                try record.withUnsafeBytes { try txn.put(log.events, key: key, value: $0, flags: .append) }
                try stream.withUnsafeBytes { try txn.put(log.streams, key: $0, value: key) }
            }
            head = LogHead(seq: envelope.seq, timestamp: envelope.timestamp, chain: chain)
            return envelope
        }

        public func finish(_ txn: WriteTransaction) throws {
            var w = ByteWriter(capacity: 48)
            w.u64(head.seq)
            w.u64(UInt64(bitPattern: head.timestamp))
            head.chain.withBytes { w.bytes.append(contentsOf: $0) }
            try txn.put(log.meta, key: EventLog.headKey, value: w.bytes)
        }
    }

    /// The event at `seq`, or `nil` past the end.
    public func envelope(at seq: UInt64, _ txn: ReadTransaction) throws -> EventEnvelope? {
        try txn.get(events, key: BigEndianKey.encode(seq)) { raw in try RecordCodec.decode(raw, seq: seq) }
    }

    /// Visits events in order from `seq` (inclusive) until `body` returns `false`.
    public func scan(
        from seq: UInt64 = 1, _ txn: ReadTransaction,
        _ body: (EventEnvelope) throws -> Bool
    ) throws {
        try txn.scan(events, from: BigEndianKey.encode(seq)) { key, value in
            guard let seq = BigEndianKey.decode(key) else { throw LogError.corrupt(seq: 0, reason: "log key of \(key.count) bytes") }
            return try body(try RecordCodec.decode(value, seq: seq))
        }
    }

    /// Visits the seqs of one stream in order, from `seq` (inclusive).
    public func streamSeqs(
        _ stream: StreamID, from seq: UInt64 = 0, _ txn: ReadTransaction,
        _ body: (UInt64) throws -> Bool
    ) throws {
        try txn.scanDuplicates(streams, key: stream.key, from: seq > 0 ? BigEndianKey.encode(seq) : nil) { raw in
            guard let seq = BigEndianKey.decode(raw) else { return true }
            return try body(seq)
        }
    }

    /// Every event of one stream, in order.
    public func history(
        of stream: StreamID, _ txn: ReadTransaction, _ body: (EventEnvelope) throws -> Bool
    ) throws {
        try streamSeqs(stream, txn) { seq in
            guard let envelope = try envelope(at: seq, txn) else {
                throw LogError.corrupt(seq: seq, reason: "the stream index names seq \(seq), which is not in the log")
            }
            return try body(envelope)
        }
    }

    /// Number of events in one stream.
    public func count(of stream: StreamID, _ txn: ReadTransaction) throws -> Int {
        try txn.duplicateCount(streams, key: stream.key)
    }
}

extension EventLog.Appender {
    /// Continues after a head copied from elsewhere (time travel writes a log prefix verbatim).
    public mutating func restore(_ head: LogHead) { self.head = head }
}
