import TestSupport
import Foundation
import Testing

/// `bubble-timer backup|restore|users` as an operator runs them, beside a real server.
@Suite struct SelfHostingToolsTests {
    let dir = TemporaryDirectory("self-hosting")
    var data: String { dir.path + "/data" }

    func inspect(_ arguments: [String], data: String) throws -> Any {
        let run = try Tools.run("bubble-inspect", arguments + ["--data", data, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        return try run.json()
    }

    @Test func aHotBackupOfARunningServerRestoresToTheSameState() throws {
        #expect(try Tools.run("bubble-timer", ["demo", "--data", data]).status == 0)
        let backup = dir.path + "/backup"
        var headSeq = -1
        do {
            let server = try RunningServer(data: data)
            let run = try Tools.run("bubble-timer", ["backup", "--data", data, "--into", backup, "--json"])
            #expect(run.status == 0, "\(run.stderr)")
            let report = try #require(try run.json() as? [String: Any])
            #expect((report["secrets"] as? [String])?.sorted() == ["account-key", "admin-token", "dev-jwt-secret", "signing-key.pem"])
            #expect((report["bytes"] as? Int ?? 0) > 0)
            headSeq = report["headSeq"] as? Int ?? -1
            // A backup never lands over another.
            let again = try Tools.run("bubble-timer", ["backup", "--data", data, "--into", backup])
            #expect(again.status == 2)
            #expect(again.stderr.contains("exists; a backup goes into a new directory"))
            _ = server
        }
        for name in ["data.mdb", "backup.json", "signing-key.pem", "admin-token"] {
            #expect(FileManager.default.fileExists(atPath: backup + "/" + name), "\(name)")
        }
        let mode = try FileManager.default.attributesOfItem(atPath: backup + "/signing-key.pem")[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let restored = dir.path + "/restored"
        let run = try Tools.run("bubble-timer", ["restore", "--from", backup, "--data", restored])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("verified"))
        // The same state: every timer and user as before, the log verifies, the server starts on it.
        #expect(try Tools.run("bubble-inspect", ["verify", "--data", restored]).status == 0)
        for args in [["history", "eggs"], ["user", "alice"], ["user", "erin"]] {
            let before = try inspect(args, data: data) as? NSObject
            let after = try inspect(args, data: restored) as? NSObject
            #expect(before == after, "\(args)")
        }
        // The copy ends where the backup said, past the demo (the server's start is in it).
        let head = { (d: String) in ((try? self.inspect(["stats"], data: d)) as? [String: Any])?["lastSeq"] as? Int ?? -1 }
        #expect(head(restored) == headSeq)
        #expect(headSeq > ToolsTests.demoEvents && head(data) >= headSeq)
        #expect(try String(contentsOfFile: restored + "/signing-key.pem", encoding: .utf8) == String(contentsOfFile: data + "/signing-key.pem", encoding: .utf8))
        _ = try RunningServer(data: restored)

        let busy = try Tools.run("bubble-timer", ["restore", "--from", backup, "--data", restored])
        #expect(busy.status == 2)
        #expect(busy.stderr.contains("already holds a log"))
    }

    @Test func aDamagedBackupIsRefused() throws {
        #expect(try Tools.run("bubble-timer", ["demo", "--data", data]).status == 0)
        let backup = dir.path + "/backup"
        #expect(try Tools.run("bubble-timer", ["backup", "--data", data, "--into", backup]).status == 0)
        let handle = try #require(FileHandle(forUpdatingAtPath: backup + "/data.mdb"))
        try handle.seek(toOffset: 5000)
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: 5000)
        try handle.write(contentsOf: [byte ^ 0xFF])
        try handle.close()
        let run = try Tools.run("bubble-timer", ["restore", "--from", backup, "--data", dir.path + "/restored"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("does not match its manifest"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/restored/data.mdb"))
    }

    @Test func usersAreListedDisabledAndEnabledWithAndWithoutTheServer() throws {
        #expect(try Tools.run("bubble-timer", ["demo", "--data", data]).status == 0)
        func list() throws -> [String: [String: Any]] {
            let run = try Tools.run("bubble-timer", ["users", "list", "--data", data, "--json"])
            #expect(run.status == 0, "\(run.stderr)")
            let users = (try run.json() as? [String: Any])?["users"] as? [[String: Any]] ?? []
            return Dictionary(uniqueKeysWithValues: users.map { ($0["id"] as! String, $0) })
        }
        // The demo's operator disabled carol; dave erased himself and is not listed.
        var users = try list()
        #expect(users.keys.sorted() == ["alice", "bob", "carol", "erin"])
        #expect(users["carol"]?["disabled"] as? Bool == true)
        #expect(users["erin"]?["email"] as? String == "erin@example.com")
        #expect(users["erin"]?["sessions"] as? Int == 1)
        do {
            // Through the running server (it holds the directory).
            let server = try RunningServer(data: data)
            let run = try Tools.run("bubble-timer", ["users", "disable", "bob", "--reason", "lost phone", "--data", data])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout == "bob: disable done\n")
            #expect(try list()["bob"]?["disabled"] as? Bool == true)
            let revoke = try Tools.run("bubble-timer", ["users", "revoke-sessions", "erin", "--data", data])
            #expect(revoke.stdout == "erin: revoke-sessions done\n")
            _ = server
        }
        // Directly on the log when no server runs.
        let enable = try Tools.run("bubble-timer", ["users", "enable", "bob", "--data", data])
        #expect(enable.status == 0, "\(enable.stderr)")
        #expect(enable.stdout == "bob: enable done\n")
        let twice = try Tools.run("bubble-timer", ["users", "enable", "bob", "--data", data])
        #expect(twice.stdout == "bob: nothing to change\n")
        users = try list()
        #expect(users["bob"]?["disabled"] as? Bool == false)
        #expect(users["erin"]?["sessions"] as? Int == 0)
        #expect(try Tools.run("bubble-replay", ["--verify", "--data", data]).status == 0)
        let history = try Tools.run("bubble-inspect", ["history", "bob", "--user", "--data", data]).stdout
        #expect(history.contains("bob disabled: lost phone"))
        #expect(history.contains("bob enabled"))
    }
}
