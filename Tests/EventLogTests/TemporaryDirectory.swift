import Foundation

/// A fresh directory under /tmp, removed when the test releases it.
final class TemporaryDirectory {
    let path: String

    init(_ label: String = "lmdb") {
        path = NSTemporaryDirectory() + "bubble-\(label)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
