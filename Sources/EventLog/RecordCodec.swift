internal import TimerDomain

/// The on-disk record (see docs/file-format.md):
///
///     u8   record version (2; version 1 is still read)
///     u32  CRC-32C (little-endian) of every byte after this field
///     [32] chain = SHA-256(previous chain ‖ body)
///     body = u64 seq, u64 previous seq of the same stream, i64 timestamp ms, str actor user,
///            str actor device, opt-str command id, strs audience, u8 flags (version 2 only;
///            bit 0: more events of the same command follow), u8 event tag, payload
///
/// Strings are a LEB128 length and UTF-8 bytes; optional strings a 0/1 flag first.
public enum RecordCodec {
    public static let currentVersion: UInt8 = 2
    static let moreInCommandFlag: UInt8 = 1
    static let headerSize = 1 + 4 + 32

    /// Encodes `envelope` after `previousChain`; returns the record and the new chain link.
    public static func encode(_ envelope: EventEnvelope, previousChain: ChainHash) -> (record: [UInt8], chain: ChainHash) {
        var w = ByteWriter(capacity: 224)
        let chain = encode(envelope, previousChain: previousChain, into: &w)
        return (w.bytes, chain)
    }

    /// Encodes into `w` (cleared first, capacity kept: the appender reuses one buffer).
    /// The previous link is written where the new one goes, so that the link is one SHA-256
    /// over contiguous bytes; then it is overwritten with the result and the CRC filled in.
    public static func encode(_ envelope: EventEnvelope, previousChain: ChainHash, into w: inout ByteWriter) -> ChainHash {
        w.bytes.removeAll(keepingCapacity: true)
        w.u8(currentVersion)
        w.u32(0)
        previousChain.withBytes { w.bytes.append(contentsOf: $0) }
        w.u64(envelope.seq)
        w.u64(envelope.previousInStream)
        w.u64(UInt64(bitPattern: envelope.timestamp))
        w.string(envelope.actor.userID)
        w.string(envelope.actor.deviceID)
        w.optionalString(envelope.commandID)
        w.strings(envelope.audience)
        w.u8(envelope.lastInCommand ? 0 : moreInCommandFlag)
        EventCodec.encode(envelope.event, into: &w)
        return w.bytes.withUnsafeMutableBytes { raw in
            let chain = ChainHash.link(UnsafeRawBufferPointer(rebasing: raw[5...]))
            chain.withBytes { raw.baseAddress!.advanced(by: 5).copyMemory(from: $0.baseAddress!, byteCount: 32) }
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[5...]))
            raw.storeBytes(of: crc.littleEndian, toByteOffset: 1, as: UInt32.self)
            return chain
        }
    }

    /// The seq a record names, read without decoding it.
    public static func seq(of record: UnsafeRawBufferPointer) -> UInt64? {
        guard record.count >= headerSize + 8 else { return nil }
        return UInt64(littleEndian: record.loadUnaligned(fromByteOffset: headerSize, as: UInt64.self))
    }

    /// Whether the record's checksum holds (it arrived as it was written).
    public static func checksumHolds(_ record: UnsafeRawBufferPointer) -> Bool {
        guard record.count > headerSize else { return false }
        let stored = UInt32(littleEndian: record.loadUnaligned(fromByteOffset: 1, as: UInt32.self))
        return stored == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: record[5...]))
    }

    /// Decodes a record stored under `seq`, checking its checksum and that it names the same seq.
    public static func decode(_ record: UnsafeRawBufferPointer, seq: UInt64) throws(LogError) -> EventEnvelope {
        guard record.count > headerSize else { throw .corrupt(seq: seq, reason: "record is \(record.count) bytes, shorter than its header") }
        let version = record[0]
        guard version == 1 || version == 2 else { throw .corrupt(seq: seq, reason: "unknown record version \(version)") }
        let stored = UInt32(littleEndian: record.loadUnaligned(fromByteOffset: 1, as: UInt32.self))
        let actual = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: record[5...]))
        guard stored == actual else { throw .corrupt(seq: seq, reason: "checksum mismatch (stored \(hex(stored)), computed \(hex(actual)))") }
        return try decodeBody(UnsafeRawBufferPointer(rebasing: record[headerSize...]), seq: seq, version: version)
    }

    /// The chain link stored in a record (for verification), without decoding it.
    public static func storedChain(_ record: UnsafeRawBufferPointer) -> ChainHash? {
        guard record.count > headerSize else { return nil }
        return ChainHash(UnsafeRawBufferPointer(rebasing: record[5..<headerSize]))
    }

    /// The previous seq of the record's stream, read without decoding the record (history
    /// walks follow these); checked by the record's CRC on full decode and by `verify`.
    public static func previousInStream(_ record: UnsafeRawBufferPointer) -> UInt64? {
        guard record.count >= headerSize + 16 else { return nil }
        return UInt64(littleEndian: record.loadUnaligned(fromByteOffset: headerSize + 8, as: UInt64.self))
    }

    /// The chain link a record should carry after `previousChain`.
    public static func expectedChain(_ record: UnsafeRawBufferPointer, previousChain: ChainHash) -> ChainHash? {
        guard record.count > headerSize else { return nil }
        return previousChain.next(body: UnsafeRawBufferPointer(rebasing: record[headerSize...]))
    }

    static func decodeBody(_ body: UnsafeRawBufferPointer, seq: UInt64, version: UInt8) throws(LogError) -> EventEnvelope {
        var r = ByteReader(body)
        do throws(DecodeFailure) {
            let storedSeq = try r.u64()
            guard storedSeq == seq else { throw .malformed("record says seq \(storedSeq) but is stored under \(seq) (moved or reordered)") }
            let previous = try r.u64()
            guard previous < seq else { throw .malformed("previous seq of the stream \(previous) is not before \(seq)") }
            let timestamp = Int64(bitPattern: try r.u64())
            let actor = Actor(userID: try r.string(), deviceID: try r.string())
            let commandID = try r.optionalString()
            let audience = try r.strings()
            let flags = version >= 2 ? try r.u8() : 0
            guard flags & ~moreInCommandFlag == 0 else { throw .malformed("unknown flags \(flags)") }
            let event = try EventCodec.decode(&r)
            guard r.isAtEnd else { throw .malformed("\(body.count - r.offset) unexpected bytes after the event") }
            return EventEnvelope(seq: seq, timestamp: timestamp, actor: actor, commandID: commandID, event: event, previousInStream: previous, audience: audience, lastInCommand: flags & moreInCommandFlag == 0)
        } catch {
            switch error {
            case .truncated: throw .corrupt(seq: seq, reason: "record is truncated")
            case .malformed(let why): throw .corrupt(seq: seq, reason: why)
            }
        }
    }

    private static func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - s.count) + s
    }
}
