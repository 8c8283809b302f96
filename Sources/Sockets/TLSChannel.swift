public import NIOCore
public import Logging
public import HummingbirdCore
internal import NIOSSL
internal import NIOConcurrencyHelpers

/// The server's certificate and key (PEM files), loaded at start and again on `reload()`
/// (SIGHUP): connections made after a reload get the new certificate; open ones keep theirs.
public final class TLSCertificates: Sendable {
    public let certificatePath: String
    public let keyPath: String
    private let context: NIOLockedValueBox<NIOSSLContext>

    public init(certificatePath: String, keyPath: String) throws {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        context = NIOLockedValueBox(try Self.load(certificatePath, keyPath))
    }

    /// Reads both files again; on any error the current certificate stays in use.
    public func reload() throws {
        let fresh = try Self.load(certificatePath, keyPath)
        context.withLockedValue { $0 = fresh }
    }

    var current: NIOSSLContext { context.withLockedValue { $0 } }

    private static func load(_ certificatePath: String, _ keyPath: String) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
        guard !chain.isEmpty else { throw TLSFileError("\(certificatePath) holds no certificate") }
        let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        // HTTP/1.1 only: the WebSocket upgrade is an HTTP/1.1 affair.
        configuration.applicationProtocols = ["http/1.1"]
        return try NIOSSLContext(configuration: configuration)
    }
}

public struct TLSFileError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A child channel that speaks TLS first when given certificates (HTTPS and WSS on the same
/// port), plain otherwise. The TLS handler goes to the very front, before the connection
/// guard, so the guard reads the decrypted request head.
public struct TLSChannel<Inner: ServerChildChannel>: ServerChildChannel {
    public typealias Value = Inner.Value
    let inner: Inner
    let certificates: TLSCertificates?

    public init(inner: Inner, certificates: TLSCertificates?) {
        self.inner = inner
        self.certificates = certificates
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard let certificates else { return inner.setup(channel: channel, logger: logger) }
        return inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: certificates.current), position: .first)
            return value
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}
