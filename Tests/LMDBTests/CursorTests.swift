import TestSupport
import Testing
@testable import LMDB

@Suite struct CursorTests {
    let dir = TemporaryDirectory()

    func keys(_ env: Environment, _ db: Database, from: [UInt8]? = nil, reverse: Bool = false, limit: Int = .max) throws -> [[UInt8]] {
        try env.read { txn in
            var out: [[UInt8]] = []
            try txn.scan(db, from: from, reverse: reverse) { k, _ in
                out.append(Array(k))
                return out.count < limit
            }
            return out
        }
    }

    func filled() throws -> (Environment, Database) {
        let env = try Environment(path: dir.path)
        let db = try env.openDatabase("t")
        try env.write { txn in for k in [2, 4, 6] as [UInt8] { try txn.put(db, key: [k], value: [k]) } }
        return (env, db)
    }

    @Test func emptyDatabaseScansNothingAndHasNoLast() throws {
        let env = try Environment(path: dir.path)
        let db = try env.openDatabase("empty")
        #expect(try keys(env, db).isEmpty)
        #expect(try keys(env, db, reverse: true).isEmpty)
        #expect(try keys(env, db, from: [1], reverse: true).isEmpty)
        #expect(try env.read { try $0.last(db) { k, _ in Array(k) } } == nil)
    }

    @Test func forwardScanStartsAtFirstKeyNotBelowStart() throws {
        let (env, db) = try filled()
        #expect(try keys(env, db, from: [3]) == [[4], [6]])
        #expect(try keys(env, db, from: [4]) == [[4], [6]])
        #expect(try keys(env, db, from: [7]).isEmpty)
        #expect(try keys(env, db, limit: 2) == [[2], [4]])
    }

    @Test func reverseScanStartsAtLastKeyNotAboveStart() throws {
        let (env, db) = try filled()
        #expect(try keys(env, db, from: [5], reverse: true) == [[4], [2]])
        #expect(try keys(env, db, from: [4], reverse: true) == [[4], [2]])
        #expect(try keys(env, db, from: [9], reverse: true) == [[6], [4], [2]])
        #expect(try keys(env, db, from: [1], reverse: true).isEmpty)
        #expect(try env.read { try $0.last(db) { k, _ in Array(k) } } == [6])
    }

    @Test func duplicatesScanInOrderFromAValue() throws {
        let env = try Environment(path: dir.path)
        let db = try env.openDatabase("dups", flags: [.duplicateSort, .duplicateFixed])
        try env.write { txn in
            for seq: UInt64 in [3, 1, 2, 10] { try txn.put(db, key: Array("s".utf8), value: BigEndianKey.encode(seq)) }
            try txn.put(db, key: Array("t".utf8), value: BigEndianKey.encode(5))
        }
        func seqs(from: UInt64?) throws -> [UInt64] {
            try env.read { txn in
                var out: [UInt64] = []
                try txn.scanDuplicates(db, key: Array("s".utf8), from: from.map(BigEndianKey.encode)) { v in
                    out.append(BigEndianKey.decode(v)!)
                    return true
                }
                return out
            }
        }
        #expect(try seqs(from: nil) == [1, 2, 3, 10])
        #expect(try seqs(from: 3) == [3, 10])
        #expect(try seqs(from: 4) == [10])
        #expect(try seqs(from: 11) == [])
        #expect(try env.read { try $0.duplicateCount(db, key: Array("s".utf8)) } == 4)
        #expect(try env.read { try $0.duplicateCount(db, key: Array("absent".utf8)) } == 0)
    }

    @Test func deleteAndClear() throws {
        let (env, db) = try filled()
        #expect(try env.write { try $0.delete(db, key: [4]) } == true)
        #expect(try env.write { try $0.delete(db, key: [4]) } == false)
        #expect(try keys(env, db) == [[2], [6]])
        try env.write { try $0.clear(db) }
        #expect(try keys(env, db).isEmpty)
    }

    @Test func bigEndianKeysSortNumerically() {
        let values: [UInt64] = [0, 1, 255, 256, 65_535, 1 << 40, .max]
        let encoded = values.map(BigEndianKey.encode)
        #expect(encoded == encoded.sorted { $0.lexicographicallyPrecedes($1) })
        for (v, e) in zip(values, encoded) { #expect(e.withUnsafeBytes { BigEndianKey.decode($0) } == v) }
        #expect([1, 2, 3].withUnsafeBytes { BigEndianKey.decode($0) } == nil)
    }
}
