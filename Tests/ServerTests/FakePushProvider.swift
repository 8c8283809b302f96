import Crypto
import CryptoExtras
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import Testing

/// A real local HTTP server playing FCM (its OAuth token endpoint and `messages:send`), Expo
/// and an operator's webhook. It records every request and answers from a script (200 unless
/// told otherwise), so tests see exactly what left the server, byte for byte.
final class FakePushProvider: @unchecked Sendable {
    struct Received {
        var path: String
        var headers: HTTPFields
        var body: [UInt8]
        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]) ?? [:] }
    }

    /// One scripted answer.
    struct Answer {
        var status: HTTPResponse.Status
        var body: String
        var headers: [String: String] = [:]
        static let ok = Answer(status: .ok, body: #"{"name":"projects/p/messages/1"}"#)
        static let unregistered = Answer(status: .notFound, body: #"{"error":{"code":404,"status":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}"#)
    }

    private let lock = NSLock()
    private var received: [Received] = []
    private var script: [Answer] = []
    let key: _RSA.Signing.PrivateKey
    let projectID = "bubble-test"
    let clientEmail = "push@bubble-test.iam.gserviceaccount.com"

    init() throws { key = try _RSA.Signing.PrivateKey(keySize: .bits2048) }

    /// Answers for the next sends (FCM, Expo and webhook alike), in order.
    func answer(_ answers: Answer...) { lock.withLock { script += answers } }

    func requests(to prefix: String) -> [Received] { lock.withLock { received.filter { $0.path.hasPrefix(prefix) } } }
    var sends: [Received] { lock.withLock { received.filter { !$0.path.hasPrefix("/token") } } }

    /// Waits until `count` sends have arrived.
    func waitForSends(_ count: Int, timeout: Double = 10) async throws -> [Received] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let got = sends
            if got.count >= count { return got }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("expected \(count) pushes, got \(sends.count)")
        return sends
    }

    /// The service account JSON a Firebase console would hand out, pointing at this server.
    func serviceAccount(port: Int) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [
            "type": "service_account", "project_id": projectID, "client_email": clientEmail,
            "private_key": key.pemRepresentation, "token_uri": "http://127.0.0.1:\(port)/token",
        ]), as: UTF8.self)
    }

    /// Starts the provider on a free port for the duration of `body`.
    func run(_ body: @Sendable (_ port: Int) async throws -> Void) async throws {
        let router = Router()
        router.post("/token") { request, _ -> Response in
            try await self.record(request)
            return Self.response(Answer(status: .ok, body: #"{"access_token":"at-1","expires_in":3600,"token_type":"Bearer"}"#))
        }
        for path in ["/v1/projects/:project/messages:send", "/--/api/v2/push/send", "/hook"] {
            router.post(RouterPath(path)) { request, _ -> Response in
                try await self.record(request)
                return Self.response(self.lock.withLock { self.script.isEmpty ? .ok : self.script.removeFirst() })
            }
        }
        try await Application(router: router).test(.live) { client in try await body(client.port!) }
    }

    private func record(_ request: Request) async throws {
        let body = try await request.body.collect(upTo: 1 << 20)
        let entry = Received(path: request.uri.path, headers: request.headers, body: Array(body.readableBytesView))
        lock.withLock { received.append(entry) }
    }

    private static func response(_ answer: Answer) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        for (name, value) in answer.headers { headers[HTTPField.Name(name)!] = value }
        return Response(status: answer.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: answer.body)))
    }

    /// The claims of the JWT assertion the server sent for an access token, once its RS256
    /// signature checks out with the service account's public key.
    func verifiedAssertion() async throws -> [String: Any] {
        let form = String(decoding: try #require(requests(to: "/token").first).body, as: UTF8.self)
        let assertion = try #require(form.split(separator: "&").first { $0.hasPrefix("assertion=") }).dropFirst("assertion=".count)
        let keys = await JWTKeyCollection().add(rsa: try Insecure.RSA.PublicKey(pem: key.publicKey.pemRepresentation), digestAlgorithm: .sha256)
        _ = try await keys.verify(String(assertion), as: AnyClaims.self)
        let payload = try #require(assertion.split(separator: ".").dropFirst().first)
        var base64 = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        let data = try #require(Data(base64Encoded: base64))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}

/// Any claims: the signature is what is checked.
struct AnyClaims: JWTPayload {
    init(from decoder: any Decoder) throws {}
    func encode(to encoder: any Encoder) throws {}
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
