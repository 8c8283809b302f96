import Foundation
import Hummingbird
import Testing
import TestSupport
@testable import BubbleServer

/// docs/openapi.yaml must describe every route the server registers, and nothing it does not.
@Suite struct OpenAPITests {
    /// `(method, path)` pairs under `paths:` of our own document (two-space path keys,
    /// four-space method keys), parsed without a YAML library.
    static func documented() throws -> Set<String> {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/openapi.yaml")
        var out = Set<String>()
        var path: String?
        var inPaths = false
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            if inPaths, !line.isEmpty, !line.hasPrefix(" ") { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let key = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "patch", "delete"].contains(key) { out.insert("\(key.uppercased()) \(path)") }
            }
        }
        return out
    }

    @Test func everyRegisteredRouteIsDocumentedAndViceVersa() async throws {
        let directory = TemporaryDirectory("openapi")
        var config = ServerConfiguration()
        config.dataDirectory = directory.path
        config.auth.hmacSecret = String(repeating: "k", count: 32)
        let server = try await BubbleServer(configuration: config)
        let registered = Set(server.restRouter().routes.map { route in
            let path = route.path.components.map { c -> String in
                let text = c.description
                return text.hasPrefix(":") ? "{\(text.dropFirst())}" : text
            }
            return "\(route.method.rawValue) /\(path.joined(separator: "/"))"
        })
        let documented = try Self.documented()
        #expect(!registered.isEmpty)
        #expect(registered.subtracting(documented).isEmpty, "routes missing from docs/openapi.yaml: \(registered.subtracting(documented).sorted())")
        #expect(documented.subtracting(registered).isEmpty, "documented routes the server lacks: \(documented.subtracting(registered).sorted())")
    }
}
