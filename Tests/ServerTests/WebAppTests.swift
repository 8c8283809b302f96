import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import BubbleServer

/// The web app at `/app`: served from the binary, complete, revalidated, locked down.
@Suite struct WebAppTests {
    static func get(_ h: Harness, _ path: String, headers: HTTPFields = [:]) async throws -> (status: HTTPResponse.Status, headers: HTTPFields, body: String) {
        try await h.client.execute(uri: path, method: .get, headers: headers) { ($0.status, $0.headers, String(buffer: $0.body)) }
    }

    @Test func thePageIsServedWithoutATokenUnderAPolicyThatAllowsOnlyItself() async throws {
        try await Harness.run { h in
            let page = try await Self.get(h, "/app")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.body.contains(#"<script type="module" src="/app/main.js"></script>"#))
            let policy = try #require(page.headers[HTTPField.Name("Content-Security-Policy")!])
            #expect(policy.contains("default-src 'none'"))
            #expect(policy.contains("script-src 'self';"))
            #expect(policy.contains("connect-src 'self';"))
            #expect(!policy.contains("unsafe"))
            #expect(page.headers[.cacheControl] == "no-cache")
            #expect(try await Self.get(h, "/app/").body == page.body)
        }
    }

    @Test func everyFileThePagesNameIsServedWithItsType() async throws {
        try await Harness.run { h in
            // What index.html loads and what every module imports must all be there.
            var wanted: Set<String> = []
            for asset in WebApp.assets.values {
                for pattern in [#"(?:src|href)="/app/([^"]+)""#, #"from "\./([^"]+)""#] {
                    let regex = try NSRegularExpression(pattern: pattern)
                    let text = asset.body as NSString
                    for match in regex.matches(in: asset.body, range: NSRange(location: 0, length: text.length)) {
                        wanted.insert(text.substring(with: match.range(at: 1)))
                    }
                }
            }
            #expect(wanted.count == WebApp.assets.count - 1)  // all but the page itself
            for name in wanted {
                let answer = try await Self.get(h, "/app/\(name)")
                #expect(answer.status == .ok, "\(name)")
                #expect(answer.body == WebApp.assets[name]?.body)
                let type = name.hasSuffix(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8"
                #expect(answer.headers[.contentType] == type)
                #expect(answer.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            }
        }
    }

    @Test func anUnchangedFileIsNotModifiedAndAnUnknownOneIsNotFound() async throws {
        try await Harness.run { h in
            let first = try await Self.get(h, "/app/main.js")
            let etag = try #require(first.headers[.eTag])
            var headers = HTTPFields()
            headers[.ifNoneMatch] = etag
            let again = try await Self.get(h, "/app/main.js", headers: headers)
            #expect(again.status == .notModified)
            #expect(again.body.isEmpty)
            headers[.ifNoneMatch] = "\"something-else\""
            #expect(try await Self.get(h, "/app/main.js", headers: headers).status == .ok)

            for path in ["/app/nope.js", "/app/index.html"] {
                let missing = try await Self.get(h, path)
                #expect(missing.status == .notFound)
                let body = try JSONSerialization.jsonObject(with: Data(missing.body.utf8)) as? [String: Any]
                #expect(body?["code"] as? String == "not_found")
            }
        }
    }
}
