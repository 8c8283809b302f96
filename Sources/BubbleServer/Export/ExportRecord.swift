internal import Foundation

/// One row of a user's export: what kind of record, where it belongs, and its fields. The
/// same records make the JSON (one object each) and the CSV (fixed columns, the rest as JSON
/// in `detail`).
struct ExportRecord {
    enum Kind: String, CaseIterable {
        case user, timer, share, reminder, device, notification, event
    }

    var kind: Kind
    var id: String
    var timerID: String?
    var seq: UInt64?
    /// ISO-8601 UTC.
    var time: String?
    /// The event type, the notification kind, the device's provider, …
    var type: String?
    var name: String?
    var actor: String?
    var device: String?
    var detail: [String: Any] = [:]

    static let columns = ["recordType", "id", "timerId", "seq", "time", "type", "name", "actor", "device", "detail"]

    var json: [String: Any] {
        var out: [String: Any] = ["recordType": kind.rawValue, "id": id]
        if let timerID { out["timerId"] = timerID }
        if let seq { out["seq"] = seq }
        if let time { out["time"] = time }
        if let type { out["type"] = type }
        if let name { out["name"] = name }
        if let actor { out["actor"] = actor }
        if let device { out["device"] = device }
        if !detail.isEmpty { out["detail"] = detail }
        return out
    }

    var csvLine: String {
        let cells: [String] = [
            kind.rawValue, id, timerID ?? "", seq.map(String.init) ?? "", time ?? "", type ?? "", name ?? "", actor ?? "", device ?? "",
            detail.isEmpty ? "" : JSON.text(detail),
        ]
        return cells.map(Self.csvCell).joined(separator: ",") + "\r\n"
    }

    static var csvHeader: String { columns.joined(separator: ",") + "\r\n" }

    /// RFC 4180 quoting; a text that a spreadsheet would run as a formula gets a leading `'`.
    static func csvCell(_ text: String) -> String {
        var cell = text
        if let first = cell.unicodeScalars.first, "=+@\t\r".unicodeScalars.contains(first) || (first == "-" && Double(cell) == nil) { cell = "'" + cell }
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
