internal import Crypto

/// One link of the log's hash chain: SHA-256(previous link ‖ record body). Integrity, not
/// secrecy: it detects changed, removed and reordered records; it is not a signature.
/// Held as four words so that appending allocates nothing for it.
public struct ChainHash: Equatable, Sendable, CustomStringConvertible {
    var words: (UInt64, UInt64, UInt64, UInt64)

    /// The link before the first record.
    public static let genesis = ChainHash(words: (0, 0, 0, 0))

    public static func == (a: ChainHash, b: ChainHash) -> Bool { a.words == b.words }

    /// Reads 32 stored bytes.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 32 else { return nil }
        words = (bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                 bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }

    init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

    /// The link that follows `self` for a record with this body.
    public func next(body: UnsafeRawBufferPointer) -> ChainHash {
        var hasher = SHA256()
        withUnsafeBytes(of: words) { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: body)
        return hasher.finalize().withUnsafeBytes { ChainHash($0)! }
    }

    /// The link over bytes that already hold `previous link ‖ body` contiguously (one hash call).
    static func link(_ previousAndBody: UnsafeRawBufferPointer) -> ChainHash {
        SHA256.hash(data: previousAndBody).withUnsafeBytes { ChainHash($0)! }
    }

    /// Calls `body` with the 32 bytes as stored.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: words, body)
    }

    public var bytes: [UInt8] { withBytes { Array($0) } }

    public var description: String { bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
}
