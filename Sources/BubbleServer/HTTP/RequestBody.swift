internal import Hummingbird

extension Request {
    /// The body as a JSON object, at most `limit` bytes (413 beyond), 400 when not JSON.
    func jsonObject(limit: Int) async throws -> [String: Any] {
        let buffer: ByteBuffer
        do { buffer = try await body.collect(upTo: limit) } catch { throw ServerError.tooLarge(limit) }
        return try JSON.object(buffer.readableBytesView)
    }

    /// As `jsonObject`, but an empty body is `nil` (DELETE with optional body).
    func optionalJSONObject(limit: Int) async throws -> [String: Any]? {
        let buffer: ByteBuffer
        do { buffer = try await body.collect(upTo: limit) } catch { throw ServerError.tooLarge(limit) }
        guard buffer.readableBytes > 0 else { return nil }
        return try JSON.object(buffer.readableBytesView)
    }
}

/// A JSON response with the given status.
func jsonResponse(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json; charset=utf-8"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: JSON.data(object))))
}
