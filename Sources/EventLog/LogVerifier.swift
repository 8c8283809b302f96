public import LMDB
internal import TimerDomain

/// One thing wrong with the log, at the seq where it starts.
public struct LogProblem: Equatable, Sendable, CustomStringConvertible {
    public var seq: UInt64
    public var problem: String
    public var description: String { "seq \(seq): \(problem)" }
}

/// What ``EventLog/verify(_:progress:)`` found.
public struct LogVerification: Sendable {
    public var records: Int = 0
    public var lastSeq: UInt64 = 0
    public var problems: [LogProblem] = []
    public var isValid: Bool { problems.isEmpty }
}

extension EventLog {
    /// Checks every record: checksum, decoding, seq continuity, the hash chain and the head,
    /// and that the stream index lists each record. Reports problems instead of trapping.
    public func verify(
        _ txn: ReadTransaction, maxProblems: Int = 100,
        progress: (UInt64) -> Void = { _ in }
    ) throws -> LogVerification {
        var result = LogVerification()
        var chain = LogHead.genesis.chain
        var expectedSeq: UInt64 = 1
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
                var indexed = false
                try txn.scanDuplicates(streams, key: envelope.stream.key, from: Array(key)) { found in
                    indexed = BigEndianKey.decode(found) == seq
                    return false
                }
                if !indexed { guard report(seq, "the stream index of \(envelope.stream) lacks this record") else { return false } }
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
        let head = try head(txn)
        if head.seq != result.lastSeq {
            _ = report(head.seq, "the log head says the last record is \(head.seq) but the log ends at \(result.lastSeq) (truncated)")
        } else if head.chain != chain {
            _ = report(head.seq, "the log head's chain value does not match the last record")
        }
        return result
    }
}
