internal import Foundation
internal import Hummingbird
internal import HTTPTypes
internal import NIOCore
internal import TimerDomain
internal import BubbleCore
internal import Projections

/// Avatars, as the deployed backend had them: `POST /users/{id}/avatar {imageData}` (base64,
/// only your own), `GET` → `{avatarUrl}`, `DELETE`; the server stores the image (sealed under
/// its owner's key) and serves it itself at `/avatars/{id}?v=…`, cacheable for good.
struct AvatarRoutes {
    let server: ServerState

    func register(on router: RouterGroup<BubbleRequestContext>) {
        router.post("/users/:userId/avatar") { request, context in
            let actor = try own(context)
            // Base64 is 4/3 of the image, plus room for a data: prefix and the JSON around it.
            let body = try await request.jsonObject(limit: server.configuration.limits.maxAvatarBytes * 4 / 3 + 1024)
            var text = try body.string("imageData", in: "")
            if text.hasPrefix("data:"), let comma = text.firstIndex(of: ",") { text = String(text[text.index(after: comma)...]) }
            guard let image = Data(base64Encoded: text, options: .ignoreUnknownCharacters), !image.isEmpty else {
                throw ServerError(.badRequest, code: "invalid_field", "imageData must be a base64-encoded PNG, JPEG, GIF or WebP image", field: "imageData")
            }
            _ = try await server.execute(CommandRequest(.device(.setAvatar(Array(image))), actor: actor, commandID: request.headers[TimerRoutes.requestID]))
            return jsonResponse(["avatarUrl": try url(of: actor.userID) ?? ""])
        }
        router.get("/users/:userId/avatar") { _, context in
            let id = try context.pathID("userId", field: "userId", limits: server.configuration.limits)
            guard let url = try url(of: id) else { throw ServerError(.notFound, code: "not_found", "user '\(id)' has no avatar") }
            return jsonResponse(["avatarUrl": url])
        }
        router.delete("/users/:userId/avatar") { request, context in
            let actor = try own(context)
            _ = try await server.execute(CommandRequest(.device(.setAvatar(nil)), actor: actor, commandID: request.headers[TimerRoutes.requestID]))
            return jsonResponse(["result": "removed"])
        }
    }

    /// The image itself (no token: pages and phones load it by URL).
    func registerPublic(on router: Router<BubbleRequestContext>) {
        router.get("/avatars/:userId") { _, context in
            let id = try context.pathID("userId", field: "userId", limits: server.configuration.limits)
            let found = try server.store.read { txn -> (AvatarRow, [UInt8])? in
                guard let row = try server.store.views.avatar(of: id, txn),
                      let image = try server.store.keys.key(of: id, txn)?.openBytes(row.avatar.image) else { return nil }
                return (row, image)
            }
            guard let (row, image) = found else { throw ServerError(.notFound, code: "not_found", "user '\(id)' has no avatar") }
            var headers = HTTPFields()
            headers[.contentType] = row.avatar.type.mimeType
            // The URL names the version; a new picture gets a new URL.
            headers[.cacheControl] = "public, max-age=31536000, immutable"
            headers[.eTag] = "\"\(row.seq)\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: image)))
        }
    }

    private func own(_ context: BubbleRequestContext) throws -> Actor {
        let actor = try context.actor
        let id = try context.pathID("userId", field: "userId", limits: server.configuration.limits)
        guard id == actor.userID else { throw ServerError(.forbidden, code: "forbidden", "only your own avatar can be changed") }
        return actor
    }

    private func url(of user: UserID) throws -> String? {
        try server.store.read { try server.store.views.avatar(of: user, $0) }.map {
            AvatarURL.make(base: server.configuration.publicBaseURL, user: user, version: $0.seq)
        }
    }
}
