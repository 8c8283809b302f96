import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOSSL
import Testing
import TestSupport
@testable import BubbleServer

/// HTTPS and WSS on the server's port with a real handshake against generated certificates;
/// SIGHUP's reload swaps the certificate for new connections and keeps open ones.
@Suite struct TLSTests {
    /// A self-signed certificate for 127.0.0.1 from Debian's openssl: (cert, key) paths.
    static func certificate(in dir: TemporaryDirectory, name: String) throws -> (String, String) {
        let cert = dir.path + "/\(name).pem", key = dir.path + "/\(name)-key.pem"
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                             "-subj", "/CN=\(name)", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        #expect(openssl.terminationStatus == 0, "openssl must be installed (Tools/scripts/bootstrap.sh installs it)")
        return (cert, key)
    }

    static func trusting(_ cert: String) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(cert))
        return tls
    }

    /// GET over HTTPS trusting only `cert`: the status, or the error.
    static func get(_ url: String, trusting cert: String) async -> Result<(Int, String), any Error> {
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = try? trusting(cert)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { _ = client.shutdown() }
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
            let body = try await response.body.collect(upTo: 1 << 20)
            try await client.shutdown()
            return .success((Int(response.status.code), String(buffer: body)))
        } catch {
            try? await client.shutdown()
            return .failure(error)
        }
    }

    @Test func httpsAndWssServeOnOnePortAndAReloadSwapsTheCertificateForNewConnectionsOnly() async throws {
        let dir = TemporaryDirectory("tls")
        let (certA, keyA) = try Self.certificate(in: dir, name: "first")
        let (certB, keyB) = try Self.certificate(in: dir, name: "second")
        let live = dir.path + "/live"
        try FileManager.default.createDirectory(atPath: live, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: certA, toPath: live + "/cert.pem")
        try FileManager.default.copyItem(atPath: keyA, toPath: live + "/key.pem")
        try await Harness.run(configure: {
            $0.tlsCertificate = live + "/cert.pem"
            $0.tlsKey = live + "/key.pem"
        }) { h in
            let base = "https://127.0.0.1:\(h.port)"
            guard case .success(let (status, body)) = await Self.get(base + "/health", trusting: certA) else {
                Issue.record("HTTPS with the first certificate failed")
                return
            }
            #expect(status == 200)
            #expect(body.contains("\"status\":\"ok\""))
            if case .success = await Self.get(base + "/health", trusting: certB) { Issue.record("served a certificate it was not given") }
            #expect(h.server.configuration.publicBaseURL.hasPrefix("https://"))

            // WSS on the same port, with a token.
            let socket = TestSocket()
            var headers = HTTPFields()
            headers[.authorization] = "Bearer \(try await h.token("alice"))"
            try await socket.connect(url: "wss://localhost:\(h.port)/ws?deviceId=laptop", headers: headers, tls: try Self.trusting(certA))
            _ = try await socket.next(ofType("snapshot"))

            // Plain HTTP on a TLS port gets no answer.
            let plain = try? await rawExchange(port: h.port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(plain == nil || plain?.status != 200)

            // A renewed certificate: files replaced, then the reload SIGHUP triggers.
            try FileManager.default.removeItem(atPath: live + "/cert.pem")
            try FileManager.default.removeItem(atPath: live + "/key.pem")
            try FileManager.default.copyItem(atPath: certB, toPath: live + "/cert.pem")
            try FileManager.default.copyItem(atPath: keyB, toPath: live + "/key.pem")
            try h.server.reloadTLS()
            guard case .success(let (after, _)) = await Self.get(base + "/health", trusting: certB) else {
                Issue.record("HTTPS with the renewed certificate failed")
                return
            }
            #expect(after == 200)
            if case .success = await Self.get(base + "/health", trusting: certA) { Issue.record("still serving the old certificate to new connections") }
            // The socket opened before the reload is still open and live.
            #expect(socket.closeCode == nil)
            socket.send(["type": "ping"])
            _ = try await socket.next(ofType("pong"))

            // A broken file keeps the current certificate.
            try "not a certificate".write(toFile: live + "/cert.pem", atomically: true, encoding: .utf8)
            #expect(throws: (any Error).self) { try h.server.reloadTLS() }
            if case .failure = await Self.get(base + "/health", trusting: certB) { Issue.record("a failed reload dropped the certificate") }
        }
    }

    @Test func halfATLSConfigurationIsRefusedAtStart() async throws {
        var config = ServerConfiguration()
        config.dataDirectory = TemporaryDirectory("tls-half").path
        config.tlsCertificate = "/nonexistent.pem"
        await #expect(throws: ConfigurationError.self) { _ = try await BubbleServer(configuration: config) }
        config.tlsKey = "/nonexistent-key.pem"
        do {
            _ = try await BubbleServer(configuration: config)
            Issue.record("started with certificate files that do not exist")
        } catch {
            #expect("\(error)".contains("--tls-cert /nonexistent.pem / --tls-key /nonexistent-key.pem cannot be used"))
        }
    }
}
