#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Checks `data.mdb` against its own meta pages before LMDB maps it.
///
/// LMDB maps the file and reads pages where the meta page says they are; a file cut short
/// (a bad copy, a full disk during a restore) turns those reads into SIGBUS, a crash with no
/// word of why. Reading the two meta pages with plain `read` first turns that into an error.
///
/// The meta page layout (lmdb.h 0.9, 64-bit): after the 16-byte page header, `mm_magic` u32,
/// `mm_version` u32, `mm_address`, `mm_mapsize`, two 48-byte `MDB_db` records (the first
/// one's `md_pad` holds the page size), `mm_last_pg`, `mm_txnid`.
enum DataFileCheck {
    static let magic: UInt32 = 0xBEEF_C0DE
    static let pageHeader = 16
    static let metaSize = 136

    struct Meta {
        let pageSize: Int
        let lastPage: UInt64
        let transaction: UInt64
    }

    static func check(directory: String) throws(LMDBError) {
        let path = directory + "/data.mdb"
        let fd = Glibc.open(path, O_RDONLY)
        guard fd >= 0 else { return }  // a new environment: LMDB creates the file
        defer { Glibc.close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { return }
        let size = Int(status.st_size)
        if size == 0 { return }  // created but never written: LMDB initialises it
        guard let first = meta(fd, at: 0) else {
            throw .damaged(path, "is \(size) bytes, too short to hold LMDB's meta pages (the file was truncated)")
        }
        guard first.pageSize >= 512, first.pageSize <= 65536 else {
            throw .damaged(path, "has no valid LMDB meta page (page size \(first.pageSize)): it is not an LMDB file or its first page is damaged")
        }
        guard size >= 2 * first.pageSize, let second = meta(fd, at: first.pageSize) else {
            throw .damaged(path, "is \(size) bytes, too short to hold LMDB's two meta pages of \(first.pageSize) bytes (the file was truncated)")
        }
        // LMDB uses the meta page with the newer transaction.
        let current = second.transaction > first.transaction ? second : first
        let needed = (Int(current.lastPage) + 1) * first.pageSize
        guard size >= needed else {
            throw .damaged(path, "is \(size) bytes but its meta page says the data runs to \(needed) bytes: the file was truncated")
        }
    }

    private static func meta(_ fd: Int32, at offset: Int) -> Meta? {
        var bytes = [UInt8](repeating: 0, count: pageHeader + metaSize)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
        guard n == bytes.count else { return nil }
        func u32(_ at: Int) -> UInt32 { bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: pageHeader + at, as: UInt32.self) } }
        func u64(_ at: Int) -> UInt64 { bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: pageHeader + at, as: UInt64.self) } }
        guard u32(0) == magic else { return Meta(pageSize: 0, lastPage: 0, transaction: 0) }
        return Meta(pageSize: Int(u32(24)), lastPage: u64(120), transaction: u64(128))
    }
}
