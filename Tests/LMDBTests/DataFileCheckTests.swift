import TestSupport
import Foundation
import Testing
@testable import LMDB

/// Issue 10, defect 7. Before: opening a truncated `data.mdb` and reading it was SIGBUS.
@Suite struct DataFileCheckTests {
    let dir = TemporaryDirectory()

    func writeSomething() throws -> Int {
        let env = try Environment(path: dir.path)
        let db = try env.openDatabase("t")
        try env.write { txn in
            for i in 0..<2000 { try txn.put(db, key: BigEndianKey.encode(UInt64(i)), value: [UInt8](repeating: 7, count: 200)) }
        }
        env.close()
        return try FileManager.default.attributesOfItem(atPath: dir.path + "/data.mdb")[.size] as! Int
    }

    @Test func aTruncatedDataFileIsAnErrorNamingTheSizes() throws {
        let size = try writeSomething()
        let cut = size / 2
        #expect(truncate(dir.path + "/data.mdb", off_t(cut)) == 0)
        let error = #expect(throws: LMDBError.self) { _ = try Environment(path: dir.path) }
        #expect(error?.kind == .damagedFile)
        #expect(error?.description == "\(dir.path)/data.mdb is \(cut) bytes but its meta page says the data runs to \(size) bytes: the file was truncated; restore from a backup (docs/operations.md, \"Corruption\")")
    }

    @Test func aFileTooShortForTheMetaPagesOrNotLMDBIsAnError() throws {
        _ = try writeSomething()
        #expect(truncate(dir.path + "/data.mdb", 100) == 0)
        let short = #expect(throws: LMDBError.self) { _ = try Environment(path: dir.path) }
        #expect(short?.description.hasPrefix("\(dir.path)/data.mdb is 100 bytes, too short to hold LMDB's meta pages") == true)
        try Data(repeating: 0x41, count: 65536).write(to: URL(fileURLWithPath: dir.path + "/data.mdb"))
        let alien = #expect(throws: LMDBError.self) { _ = try Environment(path: dir.path) }
        #expect(alien?.description.hasPrefix("\(dir.path)/data.mdb has no valid LMDB meta page") == true)
    }

    @Test func anIntactFileOpens() throws {
        _ = try writeSomething()
        let env = try Environment(path: dir.path)
        let db = try env.openDatabase("t")
        #expect(try env.read { try $0.bytes(db, key: BigEndianKey.encode(1999)) }?.count == 200)
    }
}
