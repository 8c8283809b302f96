import TestSupport
import Foundation
import Testing
import LMDB
import TimerDomain
import EventLog
@testable import BubbleCore

/// Copies a real log, damages the copy on purpose, and checks that verification names the
/// seq where the damage starts.
@Suite struct TamperTests {
    let source = TemporaryDirectory("source")
    let copy = TemporaryDirectory("tampered")

    /// Writes 12 events, the 5th carrying a marker name, and copies the directory.
    func copiedLog() throws -> (markerSeq: UInt64, last: UInt64) {
        let store = try EventStore(directory: source.path)
        var markerSeq: UInt64 = 0
        for i in 0..<12 {
            let name = i == 4 ? "MARKER-NAME-XYZZY" : "timer \(i)"
            let result = try store.timer(.update(snapshot("t\(i % 3)", name, end: "2025-08-12T14:0\(i % 10)")), alice)
            if i == 4 { markerSeq = result.seq! }
        }
        store.close()
        try FileManager.default.removeItem(atPath: copy.path)
        try FileManager.default.createDirectory(atPath: copy.path, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: source.path + "/data.mdb", toPath: copy.path + "/data.mdb")
        return (markerSeq, 12)
    }

    func verifyCopy() throws -> LogVerification {
        try Inspector(directory: copy.path).verify().log
    }

    /// Raw access to the copy's log, as an attacker or a bad disk would have.
    func withRawLog(_ body: (WriteTransaction, EventLog) throws -> Void) throws {
        let env = try Environment(path: copy.path)
        let log = try EventLog(environment: env)
        try env.write { txn in try body(txn, log) }
    }

    @Test func aFlippedByteOnDiskFailsTheChecksumAtItsSeq() throws {
        let (marker, _) = try copiedLog()
        let path = copy.path + "/data.mdb"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let needle = Array("MARKER-NAME-XYZZY".utf8)
        // Copy-on-write leaves older page versions behind, so damage every copy of the name.
        let hits = (0...(bytes.count - needle.count)).filter { bytes[$0] == needle[0] && bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
        try #require(!hits.isEmpty)
        for at in hits { bytes[at + 3] ^= 0x01 }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let result = try verifyCopy()
        #expect(!result.isValid)
        #expect(result.problems.first?.seq == marker)
        #expect(result.problems.first?.problem.contains("checksum") == true)
    }

    @Test func aRemovedRecordIsReportedWhereTheGapStarts() throws {
        _ = try copiedLog()
        try withRawLog { txn, log in try txn.delete(log.events, key: BigEndianKey.encode(6)) }
        let result = try verifyCopy()
        #expect(result.problems.first?.seq == 6)
        #expect(result.problems.first?.problem.contains("missing") == true)
        #expect(result.problems.contains { $0.seq == 7 && $0.problem.contains("hash chain") })
    }

    @Test func swappedRecordsAreReportedAsReordered() throws {
        _ = try copiedLog()
        try withRawLog { txn, log in
            let a = try #require(try txn.bytes(log.events, key: BigEndianKey.encode(3)))
            let b = try #require(try txn.bytes(log.events, key: BigEndianKey.encode(4)))
            try txn.put(log.events, key: BigEndianKey.encode(3), value: b)
            try txn.put(log.events, key: BigEndianKey.encode(4), value: a)
        }
        let result = try verifyCopy()
        #expect(result.problems.first?.seq == 3)
        #expect(result.problems.first?.problem.contains("stored under 3") == true)
    }

    @Test func aRewrittenRecordWithAValidChecksumBreaksTheChainAfterIt() throws {
        _ = try copiedLog()
        try withRawLog { txn, log in
            let original = try #require(try log.envelope(at: 5, txn))
            let previous = try #require(try txn.get(log.events, key: BigEndianKey.encode(4)) { RecordCodec.storedChain($0) } ?? nil)
            var forged = original
            forged.event = .timerUpdated(snapshot("t1", "forged"))
            try txn.put(log.events, key: BigEndianKey.encode(5), value: RecordCodec.encode(forged, previousChain: previous).record)
        }
        let result = try verifyCopy()
        #expect(result.problems.first?.seq == 6)
        #expect(result.problems.first?.problem.contains("hash chain broken") == true)
    }

    @Test func aTruncatedTailIsReportedAgainstTheHead() throws {
        _ = try copiedLog()
        try withRawLog { txn, log in try txn.delete(log.events, key: BigEndianKey.encode(12)) }
        let result = try verifyCopy()
        #expect(result.problems.first?.seq == 12)
        #expect(result.problems.first?.problem.contains("truncated") == true)
    }

    @Test func theUntouchedCopyVerifies() throws {
        _ = try copiedLog()
        let (log, views) = try Inspector(directory: copy.path).verify()
        #expect(log.isValid)
        #expect(views.isEmpty)
    }
}

extension TamperTests {
    @Test func aDamagedStreamHeadIsReported() throws {
        _ = try copiedLog()
        try withRawLog { txn, log in try txn.delete(log.streamHeads, key: StreamID.timer("t1").key) }
        let result = try verifyCopy()
        #expect(result.problems.contains { $0.problem.contains("the head of timer:t1 says nothing") })
    }

    @Test func aForgedBackPointerIsReported() throws {
        _ = try copiedLog()
        try withRawLog { txn, log in
            // Re-encode seq 8 (timer t2) pointing at the wrong previous event, chain and CRC recomputed.
            var forged = try #require(try log.envelope(at: 8, txn))
            forged.previousInStream = 1
            let previous = try #require(try txn.get(log.events, key: BigEndianKey.encode(7)) { RecordCodec.storedChain($0) } ?? nil)
            try txn.put(log.events, key: BigEndianKey.encode(8), value: RecordCodec.encode(forged, previousChain: previous).record)
        }
        let result = try verifyCopy()
        #expect(result.problems.first?.seq == 8)
        #expect(result.problems.first?.problem.contains("points back to seq 1") == true)
    }
}
