public import LMDB
internal import TimerDomain

/// One thing wrong with the log, at the seq where it starts.
public struct LogProblem: Equatable, Sendable, CustomStringConvertible {
    public var seq: UInt64
    public var problem: String
    public var description: String { "seq \(seq): \(problem)" }

    public init(seq: UInt64, problem: String) {
        self.seq = seq
        self.problem = problem
    }
}

/// What ``EventLog/verify(_:progress:)`` found.
public struct LogVerification: Sendable {
    public var records: Int = 0
    public var lastSeq: UInt64 = 0
    /// The last record's chain link: two logs with the same seq and link hold the same history.
    public var lastChain: ChainHash = LogHead.genesis.chain
    public var problems: [LogProblem] = []
    public var isValid: Bool { problems.isEmpty }
}

extension EventLog {
    /// Checks every record: checksum, decoding, seq continuity, the hash chain, each record's
    /// back-pointer to the previous event of its stream, the stream heads and the log head.
    /// Reports problems instead of trapping.
    public func verify(
        _ txn: ReadTransaction, maxProblems: Int = 100, progress: (UInt64) -> Void = { _ in }
    ) throws -> LogVerification {
        var result = LogVerification()
        var chain = LogHead.genesis.chain
        var expectedSeq: UInt64 = 1
        var streams: [StreamID: StreamHead] = [:]
        func report(_ seq: UInt64, _ problem: String) -> Bool {
            result.problems.append(LogProblem(seq: seq, problem: problem))
            return result.problems.count < maxProblems
        }
        try txn.scan(events) { key, value in
            result.records += 1
            guard let seq = BigEndianKey.decode(key) else { return report(expectedSeq, "a log key is \(key.count) bytes, not 8") }
            if seq != expectedSeq {
                guard report(expectedSeq, seq > expectedSeq ? "records \(expectedSeq)…\(seq - 1) are missing" : "seq \(seq) is out of order") else { return false }
            }
            expectedSeq = seq + 1
            result.lastSeq = seq
            if seq % 65_536 == 0 { progress(seq) }
            do {
                let envelope = try RecordCodec.decode(value, seq: seq)
                let previous = streams[envelope.stream]
                if envelope.previousInStream != (previous?.lastSeq ?? 0) {
                    guard report(seq, "points back to seq \(envelope.previousInStream) of \(envelope.stream), but its previous event is \(previous?.lastSeq ?? 0)") else { return false }
                }
                streams[envelope.stream] = StreamHead(lastSeq: seq, count: (previous?.count ?? 0) + 1)
            } catch let error as LogError {
                guard report(seq, "\(error)") else { return false }
            }
            guard let stored = RecordCodec.storedChain(value),
                  let expected = RecordCodec.expectedChain(value, previousChain: chain) else { return true }
            if stored != expected {
                guard report(seq, "hash chain broken: the record does not follow record \(seq - 1) (changed, removed or reordered)") else { return false }
            }
            chain = stored
            return true
        }
        result.lastChain = chain
        let head = try head(txn)
        if head.seq != result.lastSeq {
            _ = report(head.seq, "the log head says the last record is \(head.seq) but the log ends at \(result.lastSeq) (truncated)")
        } else if head.chain != chain {
            _ = report(head.seq, "the log head's chain value does not match the last record")
        }
        var stored: [StreamID: StreamHead] = [:]
        try txn.scan(streamHeads) { key, value in
            if let stream = StreamID(parsing: String(decoding: key, as: UTF8.self)) { stored[stream] = StreamHead(decoding: value) }
            else { _ = report(0, "unreadable stream head key \(String(decoding: key, as: UTF8.self))") }
            return true
        }
        for (key, expected) in streams where stored[key] != expected && result.problems.count < maxProblems {
            _ = report(expected.lastSeq, "the head of \(key) says \(stored[key].map { "seq \($0.lastSeq), \($0.count) events" } ?? "nothing") but the log has seq \(expected.lastSeq), \(expected.count) events")
        }
        for key in stored.keys where streams[key] == nil && result.problems.count < maxProblems {
            _ = report(stored[key]?.lastSeq ?? 0, "a head for \(key) names events that are not in the log")
        }
        return result
    }
}

extension EventLog {
    /// The last `count` records: checksum, decoding, seq continuity and the hash chain from
    /// the record before them, and the log head against the last one. The check a server
    /// runs before it appends after them; the whole log is ``verify(_:maxProblems:progress:)``.
    public func verifyTail(_ txn: ReadTransaction, records count: UInt64) throws -> LogVerification {
        var result = LogVerification()
        let head = try head(txn)
        guard head.seq > 0 else { return result }
        let first = head.seq > count ? head.seq - count + 1 : 1
        var chain = LogHead.genesis.chain
        if first > 1 {
            guard let before = try txn.get(events, key: BigEndianKey.encode(first - 1), { RecordCodec.storedChain($0) }) ?? nil else {
                result.problems.append(LogProblem(seq: first - 1, problem: "log record \(first - 1) is missing or unreadable"))
                return result
            }
            chain = before
        }
        var expectedSeq = first
        try txn.scan(events, from: BigEndianKey.encode(first)) { key, value in
            result.records += 1
            guard let seq = BigEndianKey.decode(key), seq == expectedSeq else {
                result.problems.append(LogProblem(seq: expectedSeq, problem: "log record \(expectedSeq) is missing"))
                return false
            }
            expectedSeq = seq + 1
            result.lastSeq = seq
            do { _ = try RecordCodec.decode(value, seq: seq) } catch {
                result.problems.append(LogProblem(seq: seq, problem: "\(error)"))
                return false
            }
            guard let stored = RecordCodec.storedChain(value), RecordCodec.expectedChain(value, previousChain: chain) == stored else {
                result.problems.append(LogProblem(seq: seq, problem: "hash chain broken: record \(seq) does not follow record \(seq - 1)"))
                return false
            }
            chain = stored
            return true
        }
        if result.problems.isEmpty {
            if head.seq != result.lastSeq {
                result.problems.append(LogProblem(seq: head.seq, problem: "the log head says the last record is \(head.seq) but the log ends at \(result.lastSeq) (truncated)"))
            } else if head.chain != chain {
                result.problems.append(LogProblem(seq: head.seq, problem: "the log head's chain value does not match the last record"))
            }
        }
        return result
    }
}
