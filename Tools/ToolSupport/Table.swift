/// Aligned columns for people. Colour codes do not count toward a column's width.
public struct Table {
    public var headers: [String]
    public var rows: [[String]] = []

    public init(_ headers: String...) { self.headers = headers }

    public mutating func add(_ cells: String...) { rows.append(cells) }
    public mutating func add(_ cells: [String]) { rows.append(cells) }

    public func render() -> String {
        var widths = headers.map(visibleWidth)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], visibleWidth(cell)) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - visibleWidth(cell))
            }.joined(separator: "  ")
        }
        var out = [Terminal.paint(line(headers), .bold)]
        out += rows.map(line)
        return out.joined(separator: "\n")
    }
}

private func visibleWidth(_ s: String) -> Int {
    var count = 0
    var inEscape = false
    for c in s.unicodeScalars {
        if inEscape { if c == "m" { inEscape = false }; continue }
        if c == "\u{1B}" { inEscape = true; continue }
        count += 1
    }
    return count
}
