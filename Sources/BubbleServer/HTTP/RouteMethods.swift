internal import Foundation
internal import Hummingbird

/// Which methods each registered path answers, so that a request for a known path with
/// another method is `405 Method Not Allowed` with `Allow`, not `404`. Filled once the
/// routes are registered; read by ``ErrorMiddleware``.
final class RouteMethods: @unchecked Sendable {
    private let lock = NSLock()
    private var routes: [(method: String, segments: [String])] = []

    func record(_ routes: [(method: String, path: String)]) {
        let parsed = routes.map { ($0.method, $0.path.split(separator: "/").map(String.init)) }
        lock.withLock { self.routes = parsed }
    }

    /// The methods registered for a path matching `path` (`{name}` segments, as Hummingbird
    /// prints a capture, match any one segment), sorted; empty when no route has this path.
    func allowed(for path: String) -> [String] {
        let segments = path.split(separator: "/").map(String.init)
        let routes = lock.withLock { self.routes }
        var methods = Set<String>()
        for route in routes where route.segments.count == segments.count {
            let matches = zip(route.segments, segments).allSatisfy { pattern, segment in pattern.hasPrefix("{") || pattern == segment }
            if matches { methods.insert(route.method) }
        }
        return methods.sorted()
    }
}
