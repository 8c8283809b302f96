internal import LMDB

/// How full the data directory's disk and LMDB's map are, read when asked (`/health`,
/// `/metrics`): a `stat`, a `statvfs` and `mdb_env_info`, cheap enough for every scrape.
struct StorageStatus {
    var dataFileBytes: Int
    /// Pages in use times the page size: what the data takes inside the map.
    var mapUsedBytes: Int
    var mapSizeBytes: Int
    /// The largest the map may grow to (``EnvironmentOptions/maxMapSize``).
    var mapLimitBytes: Int
    var diskFreeBytes: Int

    static func read(_ environment: Environment) -> StorageStatus {
        let info = environment.info()
        let (size, free) = environment.fileUsage
        return StorageStatus(
            dataFileBytes: size, mapUsedBytes: (info.lastPage + 1) * info.pageSize, mapSizeBytes: info.mapSize,
            mapLimitBytes: environment.options.maxMapSize, diskFreeBytes: free
        )
    }

    /// Why the storage is degraded, if it is: too little free disk for the log to grow, or
    /// the map near the most it may grow to.
    func problems(minFreeDisk: Int) -> [String] {
        var found: [String] = []
        if diskFreeBytes < minFreeDisk {
            found.append("\(diskFreeBytes / 1_048_576) MiB free on the data directory's disk, below --min-free-disk \(minFreeDisk / 1_048_576) MiB")
        }
        if mapUsedBytes > mapLimitBytes / 10 * 9 {
            found.append("the data uses \(mapUsedBytes) of the \(mapLimitBytes) bytes LMDB's map may grow to")
        }
        return found
    }

    var json: [String: Any] {
        ["dataFileBytes": dataFileBytes, "mapUsedBytes": mapUsedBytes, "mapSizeBytes": mapSizeBytes, "diskFreeBytes": diskFreeBytes]
    }
}
