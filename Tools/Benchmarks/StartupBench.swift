import BubbleCore
import Foundation

/// Start-up time against log length: the store opens on a log of `events` (generated once
/// into `dir` and kept, so the server itself can be timed on it too; see Tools/scripts/bench.sh).
enum StartupBench {
    static func run(events: Int, hotEvents: Int, dir: String) throws -> [BenchResult] {
        if !FileManager.default.fileExists(atPath: dir + "/data.mdb") {
            try ReplayBench.generate(events: events, hotEvents: hotEvents, into: dir)
            _ = try Replay.rebuild(directory: dir)  // views current, as a server leaves them
        }
        var samples: [Double] = []
        for _ in 0..<5 {
            let start = now()
            let store = try EventStore(directory: dir)
            samples.append(now() - start)
            store.close()
        }
        samples.sort()
        let size = (try? FileManager.default.attributesOfItem(atPath: dir + "/data.mdb")[.size] as? Int) ?? 0
        return [BenchResult(name: "store open with \(events) events (\(size >> 20) MiB file, median of 5)", value: samples[2], unit: "s", reference: nil, target: "≤ 1 s")]
    }
}
