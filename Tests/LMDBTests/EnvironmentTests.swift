import TestSupport
import Foundation
import Testing
@testable import LMDB

@Suite struct EnvironmentTests {
    let dir = TemporaryDirectory()

    @Test func opensFailWithTypedSystemErrorAndLMDBText() throws {
        let error = #expect(throws: LMDBError.self) {
            _ = try Environment(path: dir.path + "/does/not/exist")
        }
        #expect(error?.kind == .system(ENOENT))
        #expect(error?.message.contains("No such file") == true)
        #expect(error?.description.contains("env_open") == true)
    }

    @Test func noOverwriteReportsKeyExistsAndKeepsTheOldValue() throws {
        let env = try Environment(path: dir.path)
        let db = try env.openDatabase("t")
        try env.write { txn in try txn.put(db, key: [1], value: [10]) }
        let error = #expect(throws: LMDBError.self) {
            try env.write { txn in try txn.put(db, key: [1], value: [11], flags: .noOverwrite) }
        }
        #expect(error?.kind == .keyExists)
        #expect(try env.read { try $0.bytes(db, key: [1]) } == [10])
    }

    @Test func appendOutOfOrderIsRefused() throws {
        let env = try Environment(path: dir.path)
        let db = try env.openDatabase("log")
        try env.write { txn in try txn.put(db, key: BigEndianKey.encode(5), value: [5], flags: .append) }
        let error = #expect(throws: LMDBError.self) {
            try env.write { txn in try txn.put(db, key: BigEndianKey.encode(4), value: [4], flags: .append) }
        }
        #expect(error?.kind == .keyExists)
    }

    @Test func aThrowingWriteCommitsNothing() throws {
        struct Boom: Error {}
        let env = try Environment(path: dir.path)
        let db = try env.openDatabase("t")
        #expect(throws: Boom.self) {
            try env.write { txn in
                try txn.put(db, key: [1], value: [1])
                throw Boom()
            }
        }
        #expect(try env.read { try $0.bytes(db, key: [1]) } == nil)
    }

    @Test func usingATransactionAfterItsScopeThrowsInsteadOfCrashing() throws {
        let env = try Environment(path: dir.path)
        let db = try env.openDatabase("t")
        let escaped = try env.read { $0 }
        let error = #expect(throws: LMDBError.self) { _ = try escaped.bytes(db, key: [1]) }
        #expect(error?.kind == .badTransaction)
    }

    @Test func mapGrowsWhenFull() throws {
        var options = EnvironmentOptions()
        options.mapSize = 256 * 1024
        let env = try Environment(path: dir.path, options: options)
        let db = try env.openDatabase("big")
        let value = [UInt8](repeating: 7, count: 4000)
        for batch in 0..<20 {
            try env.write { txn in
                for i in 0..<100 { try txn.put(db, key: BigEndianKey.encode(UInt64(batch * 100 + i)), value: value) }
            }
        }
        #expect(env.info().mapSize > 256 * 1024)
        #expect(try env.read { try $0.statistics(db).entries } == 2000)
        #expect(try env.read { try $0.bytes(db, key: BigEndianKey.encode(1999)) } == value)
    }

    @Test func mapGrowthStopsAtTheConfiguredLimit() throws {
        var options = EnvironmentOptions()
        options.mapSize = 128 * 1024
        options.maxMapSize = 256 * 1024
        let env = try Environment(path: dir.path, options: options)
        let db = try env.openDatabase("big")
        let error = #expect(throws: LMDBError.self) {
            try env.write { txn in
                for i in 0..<200 { try txn.put(db, key: BigEndianKey.encode(UInt64(i)), value: [UInt8](repeating: 1, count: 4000)) }
            }
        }
        #expect(error?.kind == .mapFull)
    }

    @Test func committedDataSurvivesReopen() throws {
        do {
            let env = try Environment(path: dir.path)
            let db = try env.openDatabase("t")
            try env.write { txn in try txn.put(db, key: Array("k".utf8), value: Array("v".utf8)) }
        }
        var options = EnvironmentOptions()
        options.readOnly = true
        let env = try Environment(path: dir.path, options: options)
        let db = try env.openDatabase("t")
        #expect(try env.read { try $0.bytes(db, key: Array("k".utf8)) } == Array("v".utf8))
    }

    @Test func readOnlyEnvironmentCannotOpenAMissingDatabase() throws {
        _ = try Environment(path: dir.path)
        var options = EnvironmentOptions()
        options.readOnly = true
        let env = try Environment(path: dir.path, options: options)
        let error = #expect(throws: LMDBError.self) { _ = try env.openDatabase("absent") }
        #expect(error?.kind == .notFound)
    }

    @Test func readerCheckFindsNoStaleReadersInALiveProcess() throws {
        let env = try Environment(path: dir.path)
        #expect(try env.readerCheck() == 0)
    }

    /// A process killed inside a read transaction leaves its reader slot behind (it would pin
    /// old pages forever); `readerCheck` clears it. The dead reader is a small C program on
    /// Debian's liblmdb, killed with SIGKILL while it holds the transaction.
    @Test func readerCheckClearsTheSlotOfAReaderKilledMidTransaction() throws {
        let env = try Environment(path: dir.path)
        _ = try env.openDatabase("t")
        let work = TemporaryDirectory("reader")
        let source = work.path + "/reader.c"
        try #"""
        #include <lmdb.h>
        #include <stdio.h>
        #include <unistd.h>
        int main(int argc, char **argv) {
            MDB_env *env; MDB_txn *txn;
            if (mdb_env_create(&env) || mdb_env_set_maxreaders(env, 512) || mdb_env_set_maxdbs(env, 32)
                || mdb_env_open(env, argv[1], MDB_RDONLY | MDB_NOTLS, 0644)) return 1;
            if (mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) return 2;
            printf("ready\n"); fflush(stdout);
            for (;;) pause();
        }
        """#.write(toFile: source, atomically: true, encoding: .utf8)
        let compile = Process()
        compile.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
        compile.arguments = [source, "-o", work.path + "/reader", "-llmdb"]
        try compile.run()
        compile.waitUntilExit()
        try #require(compile.terminationStatus == 0)

        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: work.path + "/reader")
        reader.arguments = [dir.path]
        let out = Pipe()
        reader.standardOutput = out
        try reader.run()
        let ready = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        try #require(ready.contains("ready"))
        #expect(env.info().readers >= 1)
        kill(reader.processIdentifier, SIGKILL)
        reader.waitUntilExit()
        #expect(try env.readerCheck() == 1)
        #expect(try env.readerCheck() == 0)
    }

    @Test func aSecondEnvironmentOnTheSameDirectoryIsRefused() throws {
        let env = try Environment(path: dir.path)
        for spelling in [dir.path, dir.path + "/.", dir.path + "/../" + URL(fileURLWithPath: dir.path).lastPathComponent] {
            let error = #expect(throws: LMDBError.self) { _ = try Environment(path: spelling) }
            #expect(error?.kind == .alreadyOpen)
        }
        env.close()
        let again = try Environment(path: dir.path)
        #expect(try again.readerCheck() == 0)
    }

    @Test func hotCopyIsAConsistentEnvironment() throws {
        let env = try Environment(path: dir.path)
        let db = try env.openDatabase("t")
        try env.write { txn in try txn.put(db, key: [1], value: [2]) }
        let copy = TemporaryDirectory("copy")
        try env.copy(to: copy.path)
        let copied = try Environment(path: copy.path)
        let db2 = try copied.openDatabase("t")
        #expect(try copied.read { try $0.bytes(db2, key: [1]) } == [2])
    }
}
