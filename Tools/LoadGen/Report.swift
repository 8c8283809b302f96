import Foundation
import Histogram
import ToolSupport

/// A scenario's figures, as a table or JSON. Latencies go through an HDR histogram (µs,
/// three significant digits) so percentiles are exact to 0.1% whatever the count.
struct Report {
    var title: String
    private var rows: [(name: String, value: Double, unit: String, note: String?)] = []
    private var latencies: [(name: String, count: Int, ms: [String: Double])] = []
    var errors: [String: Int] = [:]
    var extra: [String: Any] = [:]

    init(title: String) { self.title = title }

    mutating func add(_ name: String, _ value: Double, unit: String, note: String? = nil) {
        rows.append((name, value, unit, note))
    }

    static let percentiles: [(String, Double)] = [("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9)]

    /// `nanos` are raw samples; recorded in µs.
    mutating func latency(_ name: String, _ nanos: [UInt64]) {
        var h = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        h.autoResize = true
        for n in nanos { _ = h.record(max(1, n / 1000)) }
        var ms: [String: Double] = [:]
        for (label, p) in Self.percentiles { ms[label] = nanos.isEmpty ? 0 : Double(h.valueAtPercentile(p)) / 1000 }
        ms["max"] = nanos.isEmpty ? 0 : Double(h.max) / 1000
        ms["mean"] = nanos.isEmpty ? 0 : h.mean / 1000
        latencies.append((name, nanos.count, ms))
    }

    func print(json: Bool) {
        if json {
            var out: [String: Any] = ["title": title, "errors": errors]
            for r in rows { out[r.name] = r.value }
            for l in latencies {
                var d: [String: Any] = ["count": l.count]
                for (k, v) in l.ms { d[k + "Ms"] = v }
                out[l.name] = d
            }
            for (k, v) in extra { out[k] = v }
            JSONOutput.print(out)
            return
        }
        Swift.print(title)
        var table = Table("FIGURE", "VALUE", "NOTE")
        for r in rows { table.add(r.name, Self.format(r.value, r.unit), r.note ?? "") }
        Swift.print(table.render())
        if !latencies.isEmpty {
            var lt = Table("LATENCY (ms)", "COUNT", "P50", "P90", "P99", "P99.9", "MAX")
            for l in latencies {
                lt.add([l.name, String(l.count)] + ["p50", "p90", "p99", "p99.9", "max"].map { String(format: "%.3f", l.ms[$0] ?? 0) })
            }
            Swift.print(lt.render())
        }
        Swift.print(errors.isEmpty ? "errors: none" : "errors: " + errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }

    static func format(_ v: Double, _ unit: String) -> String {
        switch unit {
        case "": v == v.rounded() ? String(Int(v)) : String(format: "%.2f", v)
        case "/s": "\(Format.rate(v))/s"
        default: String(format: "%.2f %@", v, unit)
        }
    }
}
