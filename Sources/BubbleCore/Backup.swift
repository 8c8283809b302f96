public import Foundation
internal import Crypto
public import LMDB
public import EventLog

/// Backups of a data directory (seed 004): a hot, consistent, compacted copy of the LMDB file
/// (a read transaction's snapshot, so a running server keeps writing), the secret files a
/// restore needs beside it, and a manifest; each backup is verified before it counts.
public enum Backup {
    /// Files of the data directory a restore needs besides `data.mdb`: the dev signing secret,
    /// the server's signing key, the key email addresses are turned into user ids with, and the
    /// admin token. (Each user's personal-data key is in `data.mdb` itself.)
    public static let secretFiles = ["dev-jwt-secret", "signing-key.pem", "account-key", "admin-token"]
    public static let manifestName = "backup.json"

    /// The secret files `directory` has, by name, their contents trimmed (a cluster keeps
    /// them once for all nodes).
    public static func secrets(in directory: String) -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for name in secretFiles {
            if let text = try? String(contentsOfFile: directory + "/" + name, encoding: .utf8) {
                out[name] = Array(text.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
            }
        }
        return out
    }

    public struct Report: Sendable {
        public var directory: String
        public var headSeq: UInt64
        public var headHash: String
        /// Bytes of the copied `data.mdb`.
        public var bytes: Int
        public var seconds: Double
        public var secrets: [String]
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Copies `environment` (the open environment of `dataDirectory`) into `target`, which must
    /// not exist yet, then verifies the copy. A failed backup leaves no directory behind.
    public static func take(environment: Environment, dataDirectory: String, into target: String) throws -> Report {
        let started = Date()
        let files = FileManager.default
        guard !files.fileExists(atPath: target) else { throw Failure("\(target) exists; a backup goes into a new directory") }
        let partial = target + ".partial"
        try? files.removeItem(atPath: partial)
        try files.createDirectory(atPath: partial, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        do {
            try environment.copy(to: partial, compact: true)
            var secrets: [String] = []
            for name in secretFiles where files.fileExists(atPath: dataDirectory + "/" + name) {
                try files.copyItem(atPath: dataDirectory + "/" + name, toPath: partial + "/" + name)
                try files.setAttributes([.posixPermissions: 0o600], ofItemAtPath: partial + "/" + name)
                secrets.append(name)
            }
            let head = try verify(partial)
            let bytes = (try files.attributesOfItem(atPath: partial + "/data.mdb")[.size] as? NSNumber)?.intValue ?? 0
            let manifest: [String: Any] = [
                "format": 1, "createdAt": ISO8601DateFormatter().string(from: Date()), "headSeq": head.seq, "headHash": head.chain.description,
                "bytes": bytes, "sha256": try digest(partial + "/data.mdb"), "secrets": secrets,
            ]
            try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys, .prettyPrinted]).write(to: URL(fileURLWithPath: partial + "/" + manifestName))
            try? files.removeItem(atPath: partial + "/lock.mdb")
            try files.moveItem(atPath: partial, toPath: target)
            return Report(directory: target, headSeq: head.seq, headHash: head.chain.description, bytes: bytes, seconds: Date().timeIntervalSince(started), secrets: secrets)
        } catch {
            try? files.removeItem(atPath: partial)
            throw error
        }
    }

    /// The same from another process than the server's (`bubble-timer backup`): LMDB readers
    /// never block the writer, so the server keeps running.
    public static func take(dataDirectory: String, into target: String) throws -> Report {
        let (environment, _, _) = try Replay.openExisting(directory: dataDirectory, readOnly: true)
        defer { environment.close() }
        return try take(environment: environment, dataDirectory: dataDirectory, into: target)
    }

    /// Checks a copy: every checksum and the hash chain, and that its views equal the fold of
    /// its log. Returns the log's head.
    @discardableResult
    public static func verify(_ directory: String) throws -> LogHead {
        let inspector = try Inspector(directory: directory)
        let (log, views) = try inspector.verify()
        guard log.isValid else { throw Failure("the copy's log does not verify: \(log.problems.first.map { "seq \($0.seq): \($0.problem)" } ?? "")") }
        guard views.isEmpty else { throw Failure("the copy's views differ from the fold of its log: \(views.first ?? "")") }
        return try inspector.read { try inspector.log.head($0) }
    }

    /// Checks a finished backup against its manifest (the file's digest, its head) and verifies it.
    public static func check(backup directory: String) throws -> LogHead {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + manifestName))
        guard let manifest = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw Failure("\(directory)/\(manifestName) is not a manifest") }
        guard manifest["sha256"] as? String == (try digest(directory + "/data.mdb")) else {
            throw Failure("\(directory)/data.mdb does not match its manifest: the backup was changed or damaged")
        }
        let head = try verify(directory)
        guard manifest["headHash"] as? String == head.chain.description else { throw Failure("\(directory): the log's head is not the manifest's") }
        try? FileManager.default.removeItem(atPath: directory + "/lock.mdb")
        return head
    }

    /// Puts a checked backup in place as `dataDirectory`, which must hold no log and no running
    /// server. The copy is made aside and renamed into place, so an interrupted restore leaves
    /// nothing half written.
    public static func restore(from backup: String, into dataDirectory: String) throws -> Report {
        let started = Date()
        let files = FileManager.default
        guard !WriterLock.isHeld(directory: dataDirectory) else { throw Failure("a server (or replay) is using \(dataDirectory); stop it first") }
        guard !files.fileExists(atPath: dataDirectory + "/data.mdb") else {
            throw Failure("\(dataDirectory) already holds a log; move it aside (it is your current data) and restore into an empty directory")
        }
        let head = try check(backup: backup)
        try files.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for name in ["data.mdb"] + secretFiles where files.fileExists(atPath: backup + "/" + name) {
            let temporary = dataDirectory + "/." + name + ".restoring"
            try? files.removeItem(atPath: temporary)
            try files.copyItem(atPath: backup + "/" + name, toPath: temporary)
            try files.setAttributes([.posixPermissions: 0o600], ofItemAtPath: temporary)
            guard rename(temporary, dataDirectory + "/" + name) == 0 else { throw Failure("cannot move \(name) into \(dataDirectory): errno \(errno)") }
        }
        let bytes = (try files.attributesOfItem(atPath: dataDirectory + "/data.mdb")[.size] as? NSNumber)?.intValue ?? 0
        return Report(
            directory: dataDirectory, headSeq: head.seq, headHash: head.chain.description, bytes: bytes, seconds: Date().timeIntervalSince(started),
            secrets: secretFiles.filter { files.fileExists(atPath: dataDirectory + "/" + $0) }
        )
    }

    /// A new backup's directory under `root`: named by the time, so names sort by age.
    public static func timestampedDirectory(in root: String, at date: Date = Date()) -> String {
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: "UTC")
        format.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return root + "/bubble-backup-" + format.string(from: date)
    }

    /// Deletes all but the newest `keep` backups under `root`; returns what it deleted.
    @discardableResult
    public static func prune(_ root: String, keep: Int) -> [String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .filter { $0.hasPrefix("bubble-backup-") && !$0.hasSuffix(".partial") }.sorted()
        let old = names.dropLast(max(0, keep))
        for name in old { try? FileManager.default.removeItem(atPath: root + "/" + name) }
        return old.map { root + "/" + $0 }
    }

    static func digest(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure("cannot read \(path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
