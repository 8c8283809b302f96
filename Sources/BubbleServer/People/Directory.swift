internal import Foundation
internal import Logging
internal import TimerDomain
internal import BubbleCore
internal import Projections
internal import LMDB

/// The users directory's edge: registers a user on their first authentication (once per
/// process; the decider makes a repeat a no-op) and opens sealed fields for the routes.
final class Directory: @unchecked Sendable {
    private let lock = NSLock()
    /// Users registered by this process, with the email their last token named.
    private var seen: [UserID: String?] = [:]
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// `user_registered` on first sight, or `user_email_set` when a token names a new email
    /// (a token without one changes nothing). A failure is logged and does not refuse the
    /// request: the directory is not the login.
    func register(_ token: VerifiedToken, device: DeviceID, server: ServerState) async {
        let known = lock.withLock { () -> Bool in
            guard let last = seen[token.user] else { return false }
            return token.email == nil || last == token.email
        }
        guard !known else { return }
        let actor = Actor(userID: token.user, deviceID: device)
        do {
            _ = try await server.execute(CommandRequest(.device(.register(email: token.email, displayName: token.name)), actor: actor))
            lock.withLock { seen[token.user] = .some(token.email) }
        } catch {
            logger.warning("could not register the user", metadata: ["user": "\(token.user)", "error": "\(error)"])
        }
    }

    /// After `DELETE /me`: the next authentication registers the user afresh.
    func forget(_ user: UserID) { _ = lock.withLock { seen.removeValue(forKey: user) } }
}

/// A user's directory entry with its sealed fields opened.
struct DirectoryEntry {
    var id: UserID
    var email: String?
    var displayName: String?
    var settings: [String: String]
    /// The seq the avatar was set at (its URL's version), if the user has one.
    var avatarVersion: UInt64?

    /// `nil` when the user is not registered (or was erased).
    static func read(_ user: UserID, store: EventStore, _ txn: ReadTransaction) throws -> DirectoryEntry? {
        guard let profile = try store.views.userState(user, txn).profile else { return nil }
        let key = try store.keys.key(of: user, txn)
        func open(_ sealed: Sealed?) -> String? { sealed.flatMap { key?.open($0) } }
        return DirectoryEntry(
            id: user, email: open(profile.email), displayName: open(profile.displayName), settings: profile.settings,
            avatarVersion: try store.views.avatar(of: user, txn)?.seq
        )
    }

    /// What anyone who may look a user up sees: never the email.
    func publicJSON(_ base: String) -> [String: Any] {
        ["id": id, "displayName": displayName.map { $0 as Any } ?? NSNull(), "avatarUrl": avatarURL(base).map { $0 as Any } ?? NSNull()]
    }

    func avatarURL(_ base: String) -> String? { avatarVersion.map { AvatarURL.make(base: base, user: id, version: $0) } }

    /// The name to show for `user`: their display name, else their id.
    static func name(of user: UserID, store: EventStore, _ txn: ReadTransaction) -> String {
        ((try? read(user, store: store, txn)) ?? nil)?.displayName ?? user
    }
}

/// Where the server serves a user's avatar: under its own host, versioned by the seq it was
/// set at, so the URL can be cached for good and changes when the picture does.
enum AvatarURL {
    static func make(base: String, user: UserID, version: UInt64) -> String {
        let path = user.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? user
        return "\(base)/avatars/\(path)?v=\(version)"
    }
}
