internal import Projections
internal import Foundation
internal import Hummingbird
internal import HTTPTypes
internal import NIOCore
internal import TimerDomain
internal import BubbleCore

/// What anyone with a public link may read, without a token: the timer's public fields
/// (`/public/t/{token}`), and the page with its live countdown (`/t/{token}`). Its socket,
/// `/public/t/{token}/ws`, is decided with the other upgrades (``SocketAcceptance``).
struct PublicRoutes {
    let server: ServerState
    static let noLink = ServerError(.notFound, code: "not_found", "no live timer has this link (revoked, stopped, or never made)")

    func register(on router: Router<BubbleRequestContext>) {
        router.get("/public/t/:token") { _, context in
            let token = try context.parameters.require("token")
            guard let (_, row) = try server.store.read({ try PublicTimer.lookup(token, store: server.store, $0) }) else { throw Self.noLink }
            var response = jsonResponse(["timer": PublicTimer.object(row), "serverTime": currentMilliseconds()])
            response.headers[.cacheControl] = "no-store"
            return response
        }
        router.get("/t/:token") { _, context in
            let token = try context.parameters.require("token")
            let found = try server.store.read { try PublicTimer.lookup(token, store: server.store, $0) }
            var headers = HTTPFields()
            headers[.contentType] = "text/html; charset=utf-8"
            headers[.cacheControl] = "no-store"
            // The page loads nothing from elsewhere: its own inline script, and the web app's clock module.
            headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
            headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
            let html = found.map { PublicPage.html(title: $0.1.timer.name) } ?? PublicPage.missing
            return Response(status: found == nil ? .notFound : .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
        }
    }
}
