internal import Foundation

/// The zero-configuration signing secret: generated on first start and kept in the data
/// directory (mode 0600), so tokens minted with `bubble-timer token` keep working across
/// restarts. Production deployments configure their own secret or JWKS instead.
public enum DevSecret {
    public static func loadOrCreate(directory: String) throws -> String {
        try SecretFile.loadOrCreate(directory + "/dev-jwt-secret") { SecretFile.randomBase64(bytes: 32) }
    }
}

/// A secret the server makes once and keeps in the data directory, readable by its owner
/// only. Backups copy these files with the log (a restore needs them).
/// (``Backup/secretFiles`` lists them all: a backup carries them.)
enum SecretFile {
    static func loadOrCreate(_ path: String, make: () throws -> String) throws -> String {
        if let existing = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !existing.isEmpty {
            return existing
        }
        let secret = try make()
        try write(secret, to: path)
        return secret
    }

    /// Replaces the file (a cluster node adopting the cluster's secret).
    static func write(_ secret: String, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Written aside and renamed: a crash mid-write never leaves half a key behind.
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data((secret + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ConfigurationError("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else { throw ConfigurationError("cannot rename \(temporary) to \(path): errno \(errno)") }
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    static func randomBase64(bytes: Int) -> String { Data(randomBytes(bytes)).base64EncodedString() }
}
