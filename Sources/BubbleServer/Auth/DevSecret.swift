internal import Foundation

/// The zero-configuration signing secret: generated on first start and kept in the data
/// directory (mode 0600), so tokens minted with `bubble-timer token` keep working across
/// restarts. Production deployments configure their own secret or JWKS instead.
public enum DevSecret {
    public static func loadOrCreate(directory: String) throws -> String {
        let path = directory + "/dev-jwt-secret"
        if let existing = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !existing.isEmpty {
            return existing
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var bytes = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        let secret = Data(bytes).base64EncodedString()
        _ = FileManager.default.createFile(atPath: path, contents: Data((secret + "\n").utf8), attributes: [.posixPermissions: 0o600])
        return secret
    }
}
