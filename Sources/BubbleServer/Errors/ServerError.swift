public import Hummingbird
public import TimerDomain
internal import BubbleCore
internal import Foundation

/// Every failure a client can see, with its HTTP status and its stable `code`, decided here
/// and only here. REST answers `{"error": message, "code": code}` with the status; WebSocket
/// answers `{"type":"error","requestId":…,"code":…,"message":…}` and keeps the connection.
public struct ServerError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// The offending input field, for `invalid_field`.
    public let field: String?

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { "\(code): \(message)" }

    public static func badRequest(_ code: String, _ message: String) -> ServerError { .init(.badRequest, code: code, message) }
    public static func unauthorized(_ message: String) -> ServerError { .init(.unauthorized, code: "unauthorized", message) }
    public static func tooLarge(_ limit: Int) -> ServerError {
        .init(.contentTooLarge, code: "too_large", "the body is larger than the limit of \(limit) bytes")
    }
    public static func methodNotAllowed(_ method: String, path: String, allowed: [String]) -> ServerError {
        .init(.methodNotAllowed, code: "method_not_allowed", "\(method) is not allowed on \(path); allowed: \(allowed.joined(separator: ", "))")
    }
    public static let tokenExpired = ServerError(.unauthorized, code: "token_expired", "the token has expired; reconnect with a fresh one")
    public static let rateLimited = ServerError(.tooManyRequests, code: "rate_limited", "too many messages; slow down")
    public static let unavailable = ServerError(.serviceUnavailable, code: "unavailable", "the server is shutting down")

    /// The one mapping from domain rejections to statuses.
    public static func from(_ rejection: Rejection) -> ServerError {
        switch rejection {
        case .notFound, .reminderNotFound, .notificationNotFound, .linkNotFound: .init(.notFound, code: rejection.code, rejection.description)
        case .forbidden, .notAPeer: .init(.forbidden, code: rejection.code, rejection.description)
        case .invalid(let field, _): .init(.badRequest, code: rejection.code, rejection.description, field: field)
        case .timerStopped: .init(.conflict, code: rejection.code, rejection.description)
        case .tooManyShares, .tooManyTimers, .tooManyReminders, .invalidState: .init(.conflict, code: rejection.code, rejection.description)
        case .signIn(.invalidCode), .signIn(.invalidRefreshToken): .init(.unauthorized, code: rejection.code, rejection.description)
        case .signIn(.accountDisabled): .init(.forbidden, code: rejection.code, rejection.description)
        }
    }

    /// Any error thrown while serving, as the client should see it. Storage failures are
    /// 500 with no internals; the log line keeps the detail.
    public static func from(_ error: any Error) -> ServerError {
        switch error {
        case let e as ServerError: e
        case let r as Rejection: from(r)
        case StoreError.closed: unavailable
        case StoreError.sharedLog: .init(.serviceUnavailable, code: "unavailable", "the cluster's log is out of reach; the command was not acknowledged, try again")
        case let e as HTTPError where e.status == .contentTooLarge: .init(.contentTooLarge, code: "too_large", "the body is too large")
        default: .init(.internalServerError, code: "internal", "internal error; the command was not applied")
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: jsonBody)))
    }

    /// `{"error": message, "code": code, "field"?: field}`, keys sorted.
    var jsonBody: Data {
        var object = ["error": message, "code": code]
        if let field { object["field"] = field }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }
}
