internal import Hummingbird
internal import Logging

/// Turns every error into the JSON body clients read (`{"error", "code"}`) with its status;
/// anything unexpected is a logged 500 that reveals nothing.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = BubbleRequestContext
    /// The REST routes' methods by path (none on the socket router).
    var methods = RouteMethods()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let failure: ServerError
            if let http = error as? HTTPError, http.status == .notFound {
                let allowed = methods.allowed(for: request.uri.path)
                if !allowed.isEmpty {
                    var response = try ServerError.methodNotAllowed(request.method.rawValue, path: request.uri.path, allowed: allowed).response(from: request, context: context)
                    response.headers[.allow] = allowed.joined(separator: ", ")
                    return response
                }
                failure = ServerError(.notFound, code: "no_route", "no such route: \(request.method) \(request.uri.path)")
            } else if let http = error as? HTTPError {
                failure = ServerError(http.status, code: "http_\(http.status.code)", http.body ?? http.status.reasonPhrase)
            } else {
                failure = ServerError.from(error)
            }
            if failure.status == .internalServerError { context.logger.error("request failed", metadata: ["error": "\(error)"]) }
            return try failure.response(from: request, context: context)
        }
    }
}
