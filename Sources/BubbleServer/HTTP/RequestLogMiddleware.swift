internal import Hummingbird
internal import Logging

/// One log line per REST request: method, path with secrets redacted (``Redaction``), status.
/// Replaces Hummingbird's request logger, which writes the URL as it came (a `?token=` and all).
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = BubbleRequestContext
    let trustedProxies: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = Redaction.uri(request.uri.description)
        var context = context
        context.logger[metadataKey: "client"] = "\(context.clientAddress(request, trustedProxies: trustedProxies))"
        do {
            let response = try await next(request, context)
            context.logger.info("request", metadata: ["method": "\(request.method)", "path": "\(path)", "status": "\(response.status.code)"])
            return response
        } catch {
            context.logger.info("request", metadata: ["method": "\(request.method)", "path": "\(path)", "error": "\(error)"])
            throw error
        }
    }
}
