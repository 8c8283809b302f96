internal import PostgresLog
internal import BubbleCore
internal import Logging
internal import Foundation

/// A token signed on one node must verify on every node, and an email must map to the same
/// user id everywhere: the secret files a single server keeps in its data directory are kept
/// once per cluster instead. The first node to join offers its own; every later node
/// replaces its files with the cluster's (and says so).
enum ClusterSecrets {
    static func share(directory: String, log: PostgresLog, logger: Logger) async throws {
        // Made here first if this directory is new, so there is something to offer.
        _ = try DevSecret.loadOrCreate(directory: directory)
        _ = try ServerKeys.loadOrCreate(directory: directory)
        let offered = Backup.secrets(in: directory)
        let cluster = try await log.shareSecrets(offered)
        for (name, value) in cluster.sorted(by: { $0.key < $1.key }) where Backup.secretFiles.contains(name) && offered[name] != value {
            try SecretFile.write(String(decoding: value, as: UTF8.self), to: directory + "/" + name)
            logger.notice("adopted the cluster's \(name)", metadata: ["file": "\(directory)/\(name)"])
        }
    }
}
