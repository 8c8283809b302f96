internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// The data directory: LMDB's `data.mdb` and `lock.mdb`, plus `writer.lock`, which the one
/// writing process (server or replay) holds with `flock` so that two writers never meet.
public final class WriterLock: @unchecked Sendable {
    private var fd: Int32
    public let path: String

    /// Takes the lock or fails at once naming the holder.
    public init(directory: String) throws(StoreError) {
        path = directory + "/writer.lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            // Fully initialized, so `deinit` runs on this throw: it must not close the number
            // again — by then another thread may have been given it (seen as EBADF in a
            // concurrent test's LMDB env_open).
            fd = -1
            throw .locked(path: directory, holder: holder.map { "pid \($0)" } ?? "unknown pid")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { write(fd, $0, strlen($0)) }
    }

    /// Whether some process holds the lock right now (without taking it).
    public static func isHeld(directory: String) -> Bool {
        let fd = open(directory + "/writer.lock", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return true
    }

    /// Lets another process (or a replay in this one) take the directory.
    public func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}

enum DataDirectory {
    static func create(_ path: String) throws(StoreError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw .io(path: path, reason: "cannot create directory: \(error.localizedDescription)")
        }
    }

    static func hasLog(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path + "/data.mdb")
    }

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path + "/data.mdb"))?[.size] as? NSNumber)?.intValue ?? 0
    }
}

/// Wall-clock Unix milliseconds.
public func currentMilliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

/// Wall-clock Unix milliseconds to the microsecond (clock sync stamps: whole milliseconds
/// alone would make every offset half a millisecond wrong on average).
public func currentMillisecondsPrecise() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000) / 1000
}
