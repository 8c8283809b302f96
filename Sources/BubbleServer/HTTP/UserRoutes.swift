internal import Foundation
internal import Hummingbird
internal import TimerDomain
internal import BubbleCore
internal import Projections

/// The users directory: what others may see of a user, and finding whom to share with.
struct UserRoutes {
    let server: ServerState
    static let maxResults = 20

    func register(on router: RouterGroup<BubbleRequestContext>) {
        router.get("/users/:userId") { _, context in
            let id = try context.pathID("userId", field: "userId", limits: server.configuration.limits)
            guard let entry = try server.store.read({ try DirectoryEntry.read(id, store: server.store, $0) }) else {
                throw ServerError(.notFound, code: "not_found", "user '\(id)' not found")
            }
            return jsonResponse(entry.publicJSON(server.configuration.publicBaseURL))
        }
        // Only exact ids and people the caller already shares a timer with are listed, so the
        // directory cannot be walked by prefix.
        router.get("/users") { request, context in
            guard let query = request.uri.queryParameters["query"].map(String.init), !query.isEmpty else {
                throw ServerError(.badRequest, code: "missing_field", "query is required (a user id, or the start of the id or name of someone you share a timer with)", field: "query")
            }
            // Longer than an id can be: it matches no id, and is never used as a key.
            let couldBeID = Decider.isLookupable(query, limits: server.configuration.limits)
            let caller = try context.actor.userID
            let store = server.store
            let found: [DirectoryEntry] = try store.read { txn in
                var out: [DirectoryEntry] = []
                var seen: Set<UserID> = [caller]
                if couldBeID, query != caller, let exact = try DirectoryEntry.read(query, store: store, txn) {
                    out.append(exact)
                    seen.insert(query)
                }
                let needle = query.lowercased()
                var peers: Set<UserID> = []
                for row in try store.views.visibleTimers(for: caller, txn) { peers.insert(row.owner); peers.formUnion(row.sharedWith) }
                for peer in peers.sorted() where !seen.contains(peer) && out.count < Self.maxResults {
                    guard let entry = try DirectoryEntry.read(peer, store: store, txn) else { continue }
                    if peer.lowercased().hasPrefix(needle) || (entry.displayName?.lowercased().hasPrefix(needle) ?? false) {
                        out.append(entry)
                        seen.insert(peer)
                    }
                }
                return out
            }
            return jsonResponse(found.map { $0.publicJSON(server.configuration.publicBaseURL) })
        }
    }
}
