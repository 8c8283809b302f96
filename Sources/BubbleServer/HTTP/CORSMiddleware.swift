internal import Hummingbird
internal import HTTPTypes

/// Lets browser clients on the configured origins call the REST API: preflight `OPTIONS`
/// answered 204 (before authentication: a preflight carries no token), and every answer to
/// an allowed origin — errors included — carries `Access-Control-Allow-Origin`. Requests from
/// other origins, or without one, pass through untouched (no CORS headers).
struct CORSMiddleware: RouterMiddleware {
    typealias Context = BubbleRequestContext
    /// Exact origins (`https://timers.example.org`); `*` allows any.
    let origins: Set<String>

    static let methods = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
    static let headers = "Authorization, Content-Type, DeviceId, X-Request-Id"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains(origin) || origins.contains("*") else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers = HTTPFields()
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowMethods] = Self.methods
            headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders] ?? Self.headers
            headers[.accessControlMaxAge] = "600"
            headers[.vary] = "Origin"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin"
        return response
    }
}
