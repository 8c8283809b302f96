/// Big-endian integer keys: LMDB compares keys with `memcmp`, so big-endian bytes sort
/// numerically.
public enum BigEndianKey {
    public static func encode(_ value: UInt64) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    /// `nil` unless `bytes` is exactly eight bytes long.
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard bytes.count == 8 else { return nil }
        return UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self))
    }
}
