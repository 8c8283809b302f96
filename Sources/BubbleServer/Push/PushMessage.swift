internal import TimerDomain
internal import Projections

/// What one notification says on a phone: pure, built from the inbox row and the name of who
/// did it. The deployed Android app treats EVERY data message that carries `timerId`,
/// `timerName` and `sharerName` together as a timer invitation (Accept/Decline); so only an
/// invitation carries them, and everything else goes as a notification the system shows.
struct PushMessage: Equatable, Sendable {
    var notificationID: UInt64
    var kind: InboxNotification.Kind
    var title: String
    var body: String
    /// String values only (FCM's data map).
    var data: [String: String]
    /// An FCM data message the app turns into an invitation, rather than a system notification.
    var isInvitation: Bool

    /// Providers cap a push's size (FCM: 4 KB in all); a long message is cut.
    static let maxMessageBody = 1000

    /// Collapse key, FCM `tag` and idempotency key: a retry after a crash replaces the shown
    /// notification rather than adding a second one.
    var collapseKey: String { "n\(notificationID)" }

    /// `text`: a message's content (opened with its sender's key), for kind `message`.
    /// `avatarURL`: the sharer's picture, for an invitation.
    static func make(id: UInt64, _ row: NotificationRow, fromName: String?, text: String? = nil, avatarURL: String? = nil) -> PushMessage {
        let n = row.notification
        let who = fromName ?? n.from ?? "Someone"
        let name = n.timerName
        let (title, body): (String, String) = switch n.kind {
        case .invited: ("Timer Invitation", "\(who) invited you to join timer \"\(name)\"")
        case .removed: ("Timer unshared", "\(who) removed you from \"\(name)\"")
        case .stopped: ("Timer stopped", "\(who) stopped \"\(name)\"")
        case .completed: ("Time's up", "\"\(name)\" is done")
        case .reminder: ("Reminder", "\"\(name)\" is coming up")
        case .message: ("Message from \(who)", text.map { String($0.prefix(Self.maxMessageBody)) } ?? "(no longer available)")
        }
        var data = ["notificationId": String(id), "kind": n.kind.name]
        if n.kind == .invited {
            data["timerId"] = n.timer
            data["timerName"] = name
            data["sharerName"] = who
            data["sharerAvatarUrl"] = avatarURL ?? ""
            data["action"] = "accept"
            data["notificationTitle"] = title
            data["notificationBody"] = body
        } else if !n.timer.isEmpty {
            data["timerId"] = n.timer
        }
        return PushMessage(notificationID: id, kind: n.kind, title: title, body: body, data: data, isInvitation: n.kind == .invited)
    }
}

/// What a provider said about one push.
enum PushResult: Equatable, Sendable {
    case delivered
    /// Worth trying again; `after` is the provider's Retry-After in seconds, if it gave one.
    case retry(String, after: Double?)
    /// The token is dead (app uninstalled, token rotated): drop it.
    case unregistered(String)
    /// The provider refused this push for good (bad payload, no credentials for it).
    case rejected(String)
}

/// One push provider.
protocol PushProviderClient: Sendable {
    func send(_ message: PushMessage, token: String, device: DeviceID, user: UserID) async -> PushResult
}
