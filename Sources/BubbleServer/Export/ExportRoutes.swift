internal import Foundation
internal import Hummingbird
internal import HTTPTypes
internal import NIOCore
internal import TimerDomain
internal import BubbleCore

/// `GET /me/export.json` and `/me/export.csv` (seed 003): everything of the caller's,
/// streamed page by page (``ExportPages``).
struct ExportRoutes {
    let server: ServerState

    func register(on router: RouterGroup<BubbleRequestContext>) {
        router.get("/me/export.json") { _, context in
            let user = try context.actor.userID
            return response(user: user, type: "application/json; charset=utf-8", file: "bubble-timer-export.json",
                            head: "{\"exportedAt\":\"\(ISO8601.format(milliseconds: currentMilliseconds()))\",\"userId\":\(String(decoding: JSON.data(user), as: UTF8.self)),\"records\":[",
                            tail: "]}\n") { record, first in (first ? "" : ",") + JSON.text(record.json) }
        }
        router.get("/me/export.csv") { _, context in
            let user = try context.actor.userID
            return response(user: user, type: "text/csv; charset=utf-8", file: "bubble-timer-export.csv", head: ExportRecord.csvHeader, tail: "") { record, _ in
                record.csvLine
            }
        }
    }

    private func response(
        user: UserID, type: String, file: String, head: String, tail: String, render: @escaping @Sendable (ExportRecord, Bool) -> String
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.contentDisposition] = "attachment; filename=\"\(file)\""
        headers[.cacheControl] = "no-store"
        let pages = ExportPages(server: server, user: user)
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await writer.write(ByteBuffer(string: head))
            var cursor = ExportPages.Cursor.start
            var first = true
            while true {
                if case .done = cursor { break }
                let (records, next) = try pages.page(cursor)
                cursor = next
                guard !records.isEmpty else { continue }
                var text = ""
                for record in records {
                    text += render(record, first)
                    first = false
                }
                try await writer.write(ByteBuffer(string: text))
            }
            try await writer.write(ByteBuffer(string: tail))
            try await writer.finish(nil)
        })
    }
}
