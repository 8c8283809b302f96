import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
import TimerDomain
@testable import BubbleServer

/// Avatars: uploaded as base64, checked by their bytes, served by the server itself.
@Suite struct AvatarTests {
    static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + Data(repeating: 42, count: 100)

    func object(_ answer: (status: HTTPResponse.Status, json: Any?)) -> [String: Any] { answer.json as? [String: Any] ?? [:] }

    /// A GET without a token, as an image tag or a phone loads the picture.
    func fetch(_ h: Harness, _ url: String) async throws -> (status: HTTPResponse.Status, headers: HTTPFields, body: Data) {
        let path = String(url[try #require(url.range(of: "/avatars/")).lowerBound...])
        return try await h.client.execute(uri: path, method: .get) { r in (r.status, r.headers, Data(buffer: r.body)) }
    }

    @Test func anAvatarIsStoredSealedServedCachedAndRemoved() async throws {
        try await Harness.run(configure: { $0.limits.maxAvatarBytes = 1000 }) { h in
            let body = #"{"imageData":"data:image/png;base64,\#(Self.png.base64EncodedString())"}"#
            let set = try await h.rest(.post, "/users/alice/avatar", as: "alice", body: body)
            #expect(set.status == .ok)
            let url = try #require(object(set)["avatarUrl"] as? String)
            #expect(url.hasPrefix(h.server.configuration.publicBaseURL + "/avatars/alice?v="))
            #expect(object(try await h.rest(.get, "/users/alice/avatar", as: "bob"))["avatarUrl"] as? String == url)
            #expect(object(try await h.rest(.get, "/users/alice", as: "bob"))["avatarUrl"] as? String == url)

            let image = try await fetch(h, url)
            #expect(image.status == .ok)
            #expect(image.body == Self.png)
            #expect(image.headers[.contentType] == "image/png")
            #expect(image.headers[.cacheControl] == "public, max-age=31536000, immutable")
            // Only sealed bytes are stored: the picture is not in the data file as it is.
            let file = try Data(contentsOf: URL(fileURLWithPath: h.server.configuration.dataDirectory + "/data.mdb"))
            #expect(file.range(of: Self.png) == nil)

            let before = try h.head()
            for (user, payload, status, code) in [
                ("alice", #"{"imageData":"\#(Data("<svg/>".utf8).base64EncodedString())"}"#, HTTPResponse.Status.badRequest, "invalid_field"),
                ("alice", #"{"imageData":"%%%"}"#, .badRequest, "invalid_field"),
                // Over the image limit; and a body far over it is refused before it is read.
                ("alice", #"{"imageData":"\#((Self.png + Data(count: 1000)).base64EncodedString())"}"#, .badRequest, "invalid_field"),
                ("alice", #"{"imageData":"\#((Self.png + Data(count: 5000)).base64EncodedString())"}"#, .contentTooLarge, "too_large"),
                ("bob", body, .forbidden, "forbidden"),
            ] {
                let path = "/users/alice/avatar"
                let answer = try await h.rest(.post, path, as: user, body: payload)
                #expect(answer.status == status, "\(user) \(payload.prefix(40))")
                #expect(object(answer)["code"] as? String == code, "\(user) \(payload.prefix(40))")
            }
            #expect(try await h.rest(.delete, "/users/alice/avatar", as: "bob").status == .forbidden)
            #expect(try h.head() == before, "a refused avatar appends nothing")

            let removed = try await h.rest(.delete, "/users/alice/avatar", as: "alice")
            #expect(object(removed)["result"] as? String == "removed")
            #expect(try await fetch(h, url).status == .notFound)
            let none = try await h.rest(.get, "/users/alice/avatar", as: "bob")
            #expect(none.status == .notFound)
            #expect(object(none)["code"] as? String == "not_found")

            // Erasing the user takes the picture with the profile.
            let again = try #require(object(try await h.rest(.post, "/users/alice/avatar", as: "alice", body: body))["avatarUrl"] as? String)
            _ = try await h.rest(.delete, "/me", as: "alice")
            #expect(try await fetch(h, again).status == .notFound)
        }
    }
}
