/// Why a command was refused. Nothing is appended for a rejected command.
///
/// The server maps each case to one HTTP status and one WebSocket error code; `code` is the
/// stable identifier clients may switch on.
public enum Rejection: Error, Equatable, Sendable, CustomStringConvertible {
    /// The timer does not exist or the caller may not see it (existence is not leaked).
    case notFound(TimerID)
    /// The caller may see the timer but not do this to it.
    case forbidden(TimerID, reason: String)
    /// The input cannot be a timer or share; `field` names the offending field.
    case invalid(field: String, reason: String)
    /// The owner updated a timer that was stopped; timer ids are not reused.
    case timerStopped(TimerID)
    case tooManyShares(TimerID, limit: Int)
    /// The caller owns as many live timers as the server allows.
    case tooManyTimers(limit: Int)
    /// The command cannot apply to the timer as it stands (pausing a completed timer).
    case invalidState(TimerID, reason: String)
    case tooManyReminders(TimerID, limit: Int)
    /// No reminder of the caller's has this id (fired, cancelled or never set).
    case reminderNotFound(String)
    /// No inbox entry of the caller's has this id.
    case notificationNotFound(UInt64)
    /// The timer has no public link with this token.
    case linkNotFound(String)
    /// Only people who share a timer with the sender may be written to.
    case notAPeer(UserID)
    /// A sign-in code or refresh token that does not sign anyone in, or a disabled account.
    case signIn(SignInFailure)

    public var code: String {
        switch self {
        case .notFound: "not_found"
        case .forbidden: "forbidden"
        case .invalid: "invalid_field"
        case .timerStopped: "timer_stopped"
        case .tooManyShares: "too_many_shares"
        case .tooManyTimers: "too_many_timers"
        case .invalidState: "invalid_state"
        case .tooManyReminders: "too_many_reminders"
        case .reminderNotFound, .notificationNotFound, .linkNotFound: "not_found"
        case .notAPeer: "forbidden"
        case .signIn(.invalidCode): "invalid_code"
        case .signIn(.invalidRefreshToken): "invalid_refresh_token"
        case .signIn(.accountDisabled): "account_disabled"
        }
    }

    public var description: String {
        switch self {
        case .notFound(let id): "timer '\(id)' not found"
        case .forbidden(let id, let reason): "not allowed on timer '\(id)': \(reason)"
        case .invalid(let field, let reason): "invalid \(field): \(reason)"
        case .timerStopped(let id): "timer '\(id)' was stopped; start a new timer with a new id"
        case .tooManyShares(let id, let limit): "timer '\(id)' cannot be shared with more than \(limit) users"
        case .tooManyTimers(let limit): "you have \(limit) live timers, the most this server allows; stop one first"
        case .invalidState(let id, let reason): "timer '\(id)' cannot do that now: \(reason)"
        case .tooManyReminders(let id, let limit): "timer '\(id)' has \(limit) reminders, the most this server allows"
        case .reminderNotFound(let id): "reminder '\(id)' not found"
        case .notificationNotFound(let id): "notification '\(id)' not found"
        case .linkNotFound: "no public link of this timer has that token"
        case .notAPeer(let user): "you can write only to people who share a timer with you, and '\(user)' does not"
        case .signIn(.invalidCode): "the code is wrong, expired or used up; ask for a new one"
        case .signIn(.invalidRefreshToken): "the refresh token is not valid (unknown, used, expired or signed out); sign in again"
        case .signIn(.accountDisabled): "this account is disabled by the server's operator"
        }
    }
}
