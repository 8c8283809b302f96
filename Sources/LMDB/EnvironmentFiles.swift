#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

extension Environment {
    /// `data.mdb`'s size on disk and the space free to unprivileged writers on its file
    /// system, in bytes (0 when they cannot be read).
    public var fileUsage: (dataFileBytes: Int, diskFreeBytes: Int) {
        var file = stat()
        let size = stat(path + "/data.mdb", &file) == 0 ? Int(file.st_size) : 0
        var disk = statvfs()
        let free = statvfs(path, &disk) == 0 ? Int(disk.f_bavail) * Int(disk.f_frsize) : 0
        return (size, free)
    }
}
