/// Signing in with an email code, and the sessions it starts: the server's own identity
/// provider, folded from the user's stream like the rest of their state.
///
/// Nothing secret is kept: a code and a refresh token are stored only as salted hashes, made
/// at the edge by ``Digest`` (the domain has no crypto of its own).

/// A one-way hash the edge supplies (SHA-256), so the decider can check a code or a refresh
/// token against the hash the log holds without knowing how it is made.
public struct Digest: Sendable {
    private let body: @Sendable ([UInt8]) -> [UInt8]
    public init(_ body: @escaping @Sendable ([UInt8]) -> [UInt8]) { self.body = body }
    public func hash(_ bytes: [UInt8]) -> [UInt8] { body(bytes) }

    /// Compares without stopping at the first difference: how long a check takes says
    /// nothing about how much of a guess was right.
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}

/// A sign-in code as the log keeps it: `hash` is the digest of `salt` followed by the code.
public struct SignInCode: Equatable, Sendable {
    public var hash: [UInt8]
    public var salt: [UInt8]
    /// Unix ms after which the code no longer signs anyone in.
    public var expiresAt: Int64

    public init(hash: [UInt8], salt: [UInt8], expiresAt: Int64) {
        self.hash = hash
        self.salt = salt
        self.expiresAt = expiresAt
    }
}

/// One signed-in session: a family of refresh tokens, each used once. The token a client
/// holds is `<id>.<generation>.<secret>`; the log keeps the digest of the secret.
public struct SessionGrant: Equatable, Sendable {
    public var id: String
    public var generation: UInt64
    public var tokenHash: [UInt8]
    /// Unix ms after which the current refresh token is refused (each rotation extends it).
    public var expiresAt: Int64
    /// The device the session was started from, for `users list` and the inspector.
    public var device: DeviceID

    public init(id: String, generation: UInt64, tokenHash: [UInt8], expiresAt: Int64, device: DeviceID) {
        self.id = id
        self.generation = generation
        self.tokenHash = tokenHash
        self.expiresAt = expiresAt
        self.device = device
    }
}

/// A refresh token as presented: which session, which generation, and the secret.
public struct PresentedToken: Equatable, Sendable {
    public var session: String
    public var generation: UInt64
    public var secret: [UInt8]

    public init(session: String, generation: UInt64, secret: [UInt8]) {
        self.session = session
        self.generation = generation
        self.secret = secret
    }
}

/// A session's next refresh token, drawn at the edge: its secret and when it expires.
public struct TokenDraw: Equatable, Sendable {
    public var secret: [UInt8]
    public var expiresAt: Int64

    public init(secret: [UInt8], expiresAt: Int64) {
        self.secret = secret
        self.expiresAt = expiresAt
    }
}

/// The sign-in part of a user's state.
public struct AccountState: Equatable, Sendable {
    /// A session and the hash of the token it rotated away from, so that token's reuse is
    /// recognised (and ends the session) rather than merely refused.
    public struct Session: Equatable, Sendable {
        public var grant: SessionGrant
        public var previousHash: [UInt8]?
        public init(grant: SessionGrant, previousHash: [UInt8]? = nil) {
            self.grant = grant
            self.previousHash = previousHash
        }
    }

    /// Sessions a user keeps; starting one more ends the oldest (a fold rule, so replay agrees).
    public static let maxSessions = 20
    /// Wrong codes before the pending code is used up.
    public static let maxAttempts = 5

    public var pendingCode: SignInCode?
    public var failedAttempts = 0
    /// In the order they started.
    public var sessions: [Session] = []
    /// Set by the operator (`bubble-timer users disable`): no token of the user is accepted.
    public var disabled = false

    public init() {}

    public func session(_ id: String) -> Session? { sessions.first { $0.grant.id == id } }

    mutating func apply(_ event: Event) {
        switch event {
        case .signInCodeIssued(_, let code):
            pendingCode = code
            failedAttempts = 0
        case .signInFailed:
            failedAttempts += 1
        case .sessionStarted(_, let grant):
            pendingCode = nil
            failedAttempts = 0
            sessions.append(Session(grant: grant))
            if sessions.count > Self.maxSessions { sessions.removeFirst(sessions.count - Self.maxSessions) }
        case .sessionRefreshed(_, let grant):
            guard let i = sessions.firstIndex(where: { $0.grant.id == grant.id }) else { return }
            sessions[i] = Session(grant: grant, previousHash: sessions[i].grant.tokenHash)
        case .sessionsEnded(_, let ids, _):
            let ended = Set(ids)
            sessions.removeAll { ended.contains($0.grant.id) }
        case .userDisabled:
            disabled = true
        case .userEnabled:
            disabled = false
        default:
            break
        }
    }
}

/// Commands on the acting user's sign-in state (the actor is the user the email names).
public enum AccountCommand: Equatable, Sendable {
    /// `POST /auth/login`: a fresh code replaces any pending one. The edge drew the code and
    /// salt and already decided the email may sign in (the signup policy).
    case issueCode(code: String, salt: [UInt8], expiresAt: Int64)
    /// `POST /auth/verify`: the code signs the user in (registering them with `email` on
    /// first sign-in) and starts session `session` with its first refresh token.
    case verify(code: String, email: String, session: String, token: TokenDraw)
    /// `POST /auth/refresh`: rotates the session's refresh token.
    case refresh(PresentedToken, next: TokenDraw)
    /// `POST /auth/logout` with a refresh token: ends its session.
    case logout(PresentedToken)
    /// Ends the named sessions (`nil`: all of them): sign-out with an access token, or the
    /// operator's `revoke-sessions`.
    case endSessions([String]?, reason: String)
    case disable(reason: String)
    case enable
}

/// Why a sign-in step was refused. One answer per kind, the same whatever the cause inside
/// it (a wrong code and an expired one look alike to the client).
public enum SignInFailure: Equatable, Sendable {
    /// No usable code: none asked for, wrong, expired, or too many wrong tries.
    case invalidCode
    /// Unknown, ended, expired or malformed.
    case invalidRefreshToken
    case accountDisabled
}

extension Decider {
    public static func decide(_ command: AccountCommand, state: UserState, context: DecisionContext) throws(Rejection) -> [Event] {
        let user = context.actor.userID
        let account = state.account
        switch command {
        case .issueCode(let code, let salt, let expiresAt):
            if account.disabled { throw .signIn(.accountDisabled) }
            let digest = try digest(context)
            return [.signInCodeIssued(user, SignInCode(hash: digest.hash(salt + Array(code.utf8)), salt: salt, expiresAt: expiresAt))]

        case .verify(let code, let email, let session, let token):
            guard let pending = account.pendingCode, pending.expiresAt > context.now,
                  account.failedAttempts < AccountState.maxAttempts else { throw .signIn(.invalidCode) }
            let digest = try digest(context)
            guard Digest.equal(digest.hash(pending.salt + Array(code.utf8)), pending.hash) else { return [.signInFailed(user)] }
            if account.disabled { throw .signIn(.accountDisabled) }
            var events: [Event] = []
            if state.profile == nil {
                try Validation.text(email, field: "email", max: context.limits.maxEmailLength, allowEmpty: false)
                guard let sealer = context.sealer else { throw .invalid(field: "user", reason: "personal data cannot be stored without the user's key") }
                events.append(.userRegistered(user, email: sealer.seal(email), displayName: nil))
            }
            try Validation.identifier(session, field: "session", limits: context.limits)
            let grant = SessionGrant(id: session, generation: 0, tokenHash: digest.hash(token.secret), expiresAt: token.expiresAt, device: context.actor.deviceID)
            return events + [.sessionStarted(user, grant)]

        case .refresh(let presented, let next):
            let digest = try digest(context)
            guard let session = account.session(presented.session) else { throw .signIn(.invalidRefreshToken) }
            let hash = digest.hash(presented.secret)
            let grant = session.grant
            if presented.generation + 1 == grant.generation, let previous = session.previousHash, Digest.equal(hash, previous) {
                // A token already rotated away came back: one of two holders is not the user.
                // Ending the session signs both out; the user signs in again, the thief cannot.
                return [.sessionsEnded(user, ids: [grant.id], reason: "refresh token reused")]
            }
            guard presented.generation == grant.generation, Digest.equal(hash, grant.tokenHash), grant.expiresAt > context.now else {
                throw .signIn(.invalidRefreshToken)
            }
            if account.disabled { throw .signIn(.accountDisabled) }
            return [.sessionRefreshed(user, SessionGrant(
                id: grant.id, generation: grant.generation + 1, tokenHash: digest.hash(next.secret), expiresAt: next.expiresAt, device: grant.device
            ))]

        case .logout(let presented):
            let digest = try digest(context)
            guard let grant = account.session(presented.session)?.grant, presented.generation == grant.generation,
                  Digest.equal(digest.hash(presented.secret), grant.tokenHash) else { throw .signIn(.invalidRefreshToken) }
            return [.sessionsEnded(user, ids: [grant.id], reason: "signed out")]

        case .endSessions(let ids, let reason):
            let live = account.sessions.map(\.grant.id)
            let ending = ids.map { wanted in live.filter(Set(wanted).contains) } ?? live
            return ending.isEmpty ? [] : [.sessionsEnded(user, ids: ending, reason: reason)]

        case .disable(let reason):
            try Validation.text(reason, field: "reason", max: context.limits.maxMessageLength, allowEmpty: true)
            return account.disabled ? [] : [.userDisabled(user, reason: reason)]

        case .enable:
            return account.disabled ? [.userEnabled(user)] : []
        }
    }

    private static func digest(_ context: DecisionContext) throws(Rejection) -> Digest {
        guard let digest = context.digest else { throw .invalid(field: "session", reason: "sign-in needs the server's digest") }
        return digest
    }
}
