internal import Foundation
internal import Hummingbird
internal import HTTPTypes
internal import NIOCore
internal import BubbleCore
internal import TimerDomain

/// One file of the web app, compiled into the binary: a copied binary still serves the app,
/// and nothing is fetched from anywhere else.
struct WebAsset: Sendable {
    let name: String
    let contentType: String
    let body: String
    /// A digest of the body, so a browser revalidates cheaply and an upgrade is seen at once.
    let etag: String

    init(name: String, type: String, text: String) {
        self.name = name
        self.contentType = type
        self.body = text
        self.etag = "\"" + Base64URL.encode(Array(SessionDigest.sha256.hash(Array(text.utf8)).prefix(12))) + "\""
    }
}

/// The web app at `/app` (docs/web-app.md): plain HTML, CSS and JavaScript modules with no
/// build step, speaking the seed dialect and the REST API like any other client.
enum WebApp {
    static let assets: [String: WebAsset] = Dictionary(uniqueKeysWithValues: [
        index, css, mainJS, apiJS, liveJS, storeJS, clockJS, domJS, timersJS, dialogsJS,
    ].map { ($0.name, $0) })

    /// Scripts and styles only from the app itself; sockets and calls to this server only.
    static func contentSecurityPolicy(publicBase: String) -> String {
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data: \(publicBase); "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    }

    static func register(on router: Router<BubbleRequestContext>, server: ServerState) {
        let policy = contentSecurityPolicy(publicBase: server.configuration.publicBaseURL)
        router.get("/app") { request, _ in respond(index, request, policy: policy) }
        router.get("/app/:file") { request, context in
            let file = try context.parameters.require("file")
            guard let asset = assets[file], asset.name != index.name else {
                throw ServerError(.notFound, code: "not_found", "the web app has no file '\(file.prefix(64))'")
            }
            return respond(asset, request, policy: policy)
        }
    }

    static func respond(_ asset: WebAsset, _ request: Request, policy: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = asset.contentType
        headers[.eTag] = asset.etag
        // Revalidated on every load (a 304 when unchanged), so a new binary's app is used at once.
        headers[.cacheControl] = "no-cache"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        if asset.name == index.name { headers[HTTPField.Name("Content-Security-Policy")!] = policy }
        if request.headers[.ifNoneMatch]?.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == asset.etag }) == true {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: asset.body)))
    }
}
