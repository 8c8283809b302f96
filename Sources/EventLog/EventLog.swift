public import LMDB
public import TimerDomain

/// The append-only event log inside an LMDB environment (key layout in docs/file-format.md):
///
/// - `events`: seq (u64 big-endian) → record (``RecordCodec``), appended with `MDB_APPEND`;
/// - `stream_heads`: stream id (UTF-8) → last seq and event count of that stream. Each record
///   carries the previous seq of its stream, so a stream's history is a walk down that chain
///   from its head: no log scan, and an append dirties one small, dense table instead of a
///   page per stream;
/// - `log_meta`: `format` → u8 version, `head` → seq, timestamp, chain link of the last record.
public struct EventLog: Sendable {
    /// 2: records carry the command-boundary flag (record version 2). A version-1 file is
    /// upgraded when opened for writing: its records stay readable as they are.
    public static let formatVersion = 2
    public let events: Database
    public let streamHeads: Database
    public let meta: Database

    static let formatKey = Array("format".utf8)
    static let headKey = Array("head".utf8)

    /// Opens (creating when writable) the log's databases and checks the format version.
    public init(environment: Environment) throws {
        events = try environment.openDatabase("events")
        streamHeads = try environment.openDatabase("stream_heads")
        meta = try environment.openDatabase("log_meta")
        let found = try environment.read { txn in try txn.get(meta, key: Self.formatKey) { $0.first.map(Int.init) } } ?? nil
        if let found, found > Self.formatVersion {
            throw LogError.unsupportedFormat(found: found, supported: Self.formatVersion)
        }
        if (found ?? 0) < Self.formatVersion, !environment.options.readOnly {
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

    /// The last seq and event count of one stream; `nil` for a stream with no events.
    public func streamHead(_ stream: StreamID, _ txn: ReadTransaction) throws -> StreamHead? {
        try txn.get(streamHeads, key: stream.key) { StreamHead(decoding: $0) } ?? nil
    }

    /// Appends events in one write transaction. Create one per transaction, `append` each
    /// event, then `finish()` to record the new log head and stream heads.
    public struct Appender {
        let log: EventLog
        public private(set) var head: LogHead
        /// Stream heads changed in this transaction, written once each by `finish()`.
        private var pendingStreams: [StreamID: StreamHead] = [:]
        private var scratch = ByteWriter(capacity: 512)

        public init(log: EventLog, txn: WriteTransaction) throws {
            self.log = log
            self.head = try log.head(txn)
        }

        /// Writes one event after the current head. `now` is clamped so that time never runs
        /// backwards along the log (time-travel queries rely on it).
        public mutating func append(
            _ event: Event, actor: Actor, commandID: String?, audience: [UserID] = [], lastInCommand: Bool = true,
            now: Int64, txn: WriteTransaction
        ) throws -> EventEnvelope {
            let stream = event.stream
            let streamHead = try pendingStreams[stream] ?? txn.get(log.streamHeads, key: stream.key) { StreamHead(decoding: $0) } ?? nil
            let envelope = EventEnvelope(
                seq: head.seq + 1, timestamp: max(now, head.timestamp), actor: actor, commandID: commandID, event: event,
                previousInStream: streamHead?.lastSeq ?? 0, audience: audience, lastInCommand: lastInCommand
            )
            let chain = RecordCodec.encode(envelope, previousChain: head.chain, into: &scratch)
            try withUnsafeBytes(of: envelope.seq.bigEndian) { key in
                try scratch.bytes.withUnsafeBytes { try txn.put(log.events, key: key, value: $0, flags: .append) }
            }
            pendingStreams[stream] = StreamHead(lastSeq: envelope.seq, count: (streamHead?.count ?? 0) + 1)
            head = LogHead(seq: envelope.seq, timestamp: envelope.timestamp, chain: chain)
            return envelope
        }

        /// Writes a record made elsewhere — a cluster's log of record — as it is, after the
        /// current head: refused unless it decodes (checksum), is the next seq, points back to
        /// its stream's last event and continues this log's hash chain. So a replica holds the
        /// same bytes as the log it follows and `verify` means the same on both.
        public mutating func appendRecord(_ record: UnsafeRawBufferPointer, txn: WriteTransaction) throws -> EventEnvelope {
            let seq = head.seq + 1
            let envelope: EventEnvelope
            do {
                envelope = try RecordCodec.decode(record, seq: seq)
            } catch {
                // Intact but unreadable: not damage, a version this build does not know. Folding
                // around it would be wrong; the node stops with this error instead.
                if case .corrupt(_, let reason) = error, RecordCodec.checksumHolds(record), RecordCodec.seq(of: record) == seq {
                    throw LogError.newerRecord(seq: seq, reason: reason)
                }
                throw error
            }
            let stream = envelope.stream
            let streamHead = try pendingStreams[stream] ?? txn.get(log.streamHeads, key: stream.key) { StreamHead(decoding: $0) } ?? nil
            guard envelope.previousInStream == (streamHead?.lastSeq ?? 0) else {
                throw LogError.corrupt(seq: seq, reason: "points back to seq \(envelope.previousInStream) of \(stream), but its previous event here is \(streamHead?.lastSeq ?? 0)")
            }
            guard let chain = RecordCodec.storedChain(record), RecordCodec.expectedChain(record, previousChain: head.chain) == chain else {
                throw LogError.corrupt(seq: seq, reason: "does not continue this log's hash chain")
            }
            try withUnsafeBytes(of: seq.bigEndian) { key in try txn.put(log.events, key: key, value: record, flags: .append) }
            pendingStreams[stream] = StreamHead(lastSeq: seq, count: (streamHead?.count ?? 0) + 1)
            head = LogHead(seq: seq, timestamp: envelope.timestamp, chain: chain)
            return envelope
        }

        /// Continues after a head copied from elsewhere (time travel writes a log prefix verbatim).
        public mutating func restore(_ head: LogHead, streams: [StreamID: StreamHead]) {
            self.head = head
            for (stream, h) in streams { pendingStreams[stream] = h }
        }

        public func finish(_ txn: WriteTransaction) throws {
            for (stream, streamHead) in pendingStreams {
                try txn.put(log.streamHeads, key: stream.key, value: streamHead.encoded)
            }
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
    public func scan(from seq: UInt64 = 1, _ txn: ReadTransaction, _ body: (EventEnvelope) throws -> Bool) throws {
        try txn.scan(events, from: BigEndianKey.encode(seq)) { key, value in
            guard let seq = BigEndianKey.decode(key) else { throw LogError.corrupt(seq: 0, reason: "log key of \(key.count) bytes") }
            return try body(try RecordCodec.decode(value, seq: seq))
        }
    }

    /// The seqs of one stream at or after `seq`, oldest first: a walk down the back-pointers
    /// from the stream's head that stops as soon as it passes `seq`.
    public func streamSeqs(_ stream: StreamID, from seq: UInt64 = 0, _ txn: ReadTransaction) throws -> [UInt64] {
        guard let streamHead = try streamHead(stream, txn) else { return [] }
        var seqs: [UInt64] = []
        seqs.reserveCapacity(Int(min(streamHead.count, 1 << 20)))
        try walkBack(stream, from: streamHead.lastSeq, txn) { next in
            guard next >= seq else { return false }
            seqs.append(next)
            return true
        }
        return seqs.reversed()
    }

    /// For reading a long stream a page at a time, oldest first, without walking the whole
    /// chain per page: the last seq of each page of `pageSize` events, newest page first
    /// (one walk, keeping one seq per page). Read each page with
    /// ``streamSeqs(_:endingAt:count:_:)``.
    /// Only events at or after `seq` count (the oldest page may then be short).
    public func streamPageEnds(_ stream: StreamID, pageSize: Int, from first: UInt64 = 0, _ txn: ReadTransaction) throws -> [UInt64] {
        guard let streamHead = try streamHead(stream, txn) else { return [] }
        var ends: [UInt64] = []
        var position = 0
        try walkBack(stream, from: streamHead.lastSeq, txn) { seq in
            guard seq >= first else { return false }
            if position % pageSize == 0 { ends.append(seq) }
            position += 1
            return true
        }
        return ends
    }

    /// Up to `count` seqs of one stream ending with `last` (inclusive), none before `first`,
    /// oldest first.
    public func streamSeqs(_ stream: StreamID, endingAt last: UInt64, count: Int, from first: UInt64 = 0, _ txn: ReadTransaction) throws -> [UInt64] {
        var seqs: [UInt64] = []
        seqs.reserveCapacity(count)
        try walkBack(stream, from: last, txn) { seq in
            guard seq >= first else { return false }
            seqs.append(seq)
            return seqs.count < count
        }
        return seqs.reversed()
    }

    /// Follows a stream's back-pointers from `seq` while `body` says so, checking each step.
    private func walkBack(_ stream: StreamID, from seq: UInt64, _ txn: ReadTransaction, _ body: (UInt64) throws -> Bool) throws {
        var next = seq
        while next != 0 {
            guard try body(next) else { return }
            let current = next
            guard let previous = try txn.get(events, key: BigEndianKey.encode(current), { RecordCodec.previousInStream($0) }) ?? nil else {
                throw LogError.corrupt(seq: current, reason: "the chain of \(stream) names seq \(current), which is not in the log")
            }
            guard previous < current else { throw LogError.corrupt(seq: current, reason: "the chain of \(stream) does not go backwards") }
            next = previous
        }
    }

    /// Every event of one stream, in order, until `body` returns `false`.
    public func history(of stream: StreamID, from seq: UInt64 = 0, _ txn: ReadTransaction, _ body: (EventEnvelope) throws -> Bool) throws {
        for seq in try streamSeqs(stream, from: seq, txn) {
            guard let envelope = try envelope(at: seq, txn) else {
                throw LogError.corrupt(seq: seq, reason: "the chain of \(stream) names seq \(seq), which is not in the log")
            }
            guard try body(envelope) else { return }
        }
    }

    /// Number of events in one stream.
    public func count(of stream: StreamID, _ txn: ReadTransaction) throws -> Int {
        Int(try streamHead(stream, txn)?.count ?? 0)
    }
}

/// Where a stream ends: its last seq and how many events it has.
public struct StreamHead: Equatable, Sendable {
    public var lastSeq: UInt64
    public var count: UInt64

    public init(lastSeq: UInt64, count: UInt64) {
        self.lastSeq = lastSeq
        self.count = count
    }

    init?(decoding raw: UnsafeRawBufferPointer) {
        guard raw.count == 16 else { return nil }
        lastSeq = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        count = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }

    var encoded: [UInt8] {
        var w = ByteWriter(capacity: 16)
        w.u64(lastSeq)
        w.u64(count)
        return w.bytes
    }
}
