internal import BubbleCore
internal import LMDB
public import EventLog
internal import TimerDomain

/// `bubble-timer cluster import`: moves a single node's log into PostgreSQL with its seqs and
/// chain intact — the rows are the LMDB records byte for byte, so `verify` means the same
/// there. Resumable: when PostgreSQL already holds a prefix of this log (an import that was
/// cut off), it goes on after it; a log that differs is refused.
public enum ClusterImport {
    public struct Report: Sendable, Equatable {
        public var imported: UInt64
        /// Records PostgreSQL already had (an earlier, interrupted import).
        public var skipped: UInt64
        public var head: LogHead
    }

    public static func run(
        dataDirectory: String, into log: PostgresLog, batchSize: Int = 5_000, progress: @Sendable (UInt64, UInt64) -> Void = { _, _ in }
    ) async throws -> Report {
        let (environment, events, _) = try Replay.openExisting(directory: dataDirectory, readOnly: true)
        let local = try environment.read { try events.head($0) }
        let remote = try await log.head()
        if remote.seq > 0 {
            guard remote.seq <= local.seq else {
                throw ClusterLogError.diverged("PostgreSQL is at seq \(remote.seq), past this log's end \(local.seq)")
            }
            let chain = try environment.read { txn in try rows(events, after: remote.seq - 1, limit: 1, txn).first.map { link(of: $0) } }
            guard chain == remote.chain else {
                throw ClusterLogError.diverged("record \(remote.seq) differs (its chain link is not PostgreSQL's head)")
            }
        }
        // The users' keys go with the first batch (a resumed import sent them already).
        let userKeys = try UserKeys(environment: environment)
        var keys = remote.seq == 0 ? try environment.read { try userKeys.all($0) } : [:]
        var done = remote.seq
        while done < local.seq {
            let batch = try environment.read { try rows(events, after: done, limit: batchSize, $0) }
            guard let last = batch.last else { break }
            let before = done
            let sending = keys
            keys = [:]
            _ = try await log.append(keys: sending) { head in
                // Another writer meanwhile: stop rather than interleave two logs.
                guard head.seq == before else { throw ClusterLogError.diverged("PostgreSQL moved from seq \(before) to \(head.seq) during the import") }
                return batch
            }
            done = last.seq
            progress(done, local.seq)
        }
        // The server's secrets go too: its tokens keep verifying and its users' emails keep
        // their ids on every node (the account key).
        let secrets = Backup.secrets(in: dataDirectory)
        if !secrets.isEmpty { _ = try await log.shareSecrets(secrets) }
        return Report(imported: done - remote.seq, skipped: remote.seq, head: try await log.head())
    }

    /// Records after `seq` as rows: the stored bytes, with the columns read from them.
    static func rows(_ log: EventLog, after seq: UInt64, limit: Int, _ txn: ReadTransaction) throws -> [PostgresLog.Row] {
        var out: [PostgresLog.Row] = []
        try txn.scan(log.events, from: BigEndianKey.encode(seq + 1)) { key, value in
            guard let at = BigEndianKey.decode(key) else { throw LogError.corrupt(seq: 0, reason: "log key of \(key.count) bytes") }
            let envelope = try RecordCodec.decode(value, seq: at)
            out.append(PostgresLog.Row(seq: at, stream: envelope.stream.description, previousInStream: envelope.previousInStream, timestamp: envelope.timestamp, bytes: Array(value)))
            return out.count < limit
        }
        return out
    }

    static func link(of row: PostgresLog.Row) -> ChainHash? {
        Array(row.bytes[5..<37]).withUnsafeBytes { ChainHash($0) }
    }
}
