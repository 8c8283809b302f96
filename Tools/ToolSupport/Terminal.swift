internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// Colour and progress only for people: on a TTY, and never when `NO_COLOR` is set.
public enum Terminal {
    public static let isInteractive: Bool = isatty(STDOUT_FILENO) == 1
    public static let useColour: Bool = isInteractive && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    public static let stderrIsInteractive: Bool = isatty(STDERR_FILENO) == 1

    public enum Style: String {
        case bold = "1", dim = "2", red = "31", green = "32", yellow = "33", blue = "34", cyan = "36"
    }

    public static func paint(_ text: String, _ style: Style) -> String {
        useColour ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }

    public static func error(_ message: String) {
        FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
    }
}

/// A progress bar with rate and ETA on stderr, drawn only when stderr is a TTY.
public final class ProgressBar {
    private let label: String
    private let started = Date()
    private var lastDraw = Date.distantPast
    private let enabled: Bool

    public init(label: String, enabled: Bool = Terminal.stderrIsInteractive) {
        self.label = label
        self.enabled = enabled
    }

    public func update(_ done: UInt64, _ total: UInt64) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.1 || done == total else { return }
        lastDraw = now
        let elapsed = max(now.timeIntervalSince(started), 1e-6)
        let rate = Double(done) / elapsed
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 0
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let eta = rate > 0 && total > done ? Double(total - done) / rate : 0
        let line = "\r\(label) \(bar) \(done)/\(total) \(Format.rate(rate)) events/s ETA \(String(format: "%.1f", eta))s "
        FileHandle.standardError.write(Data(line.utf8))
    }

    public func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}

/// Number and time formatting shared by the tools.
public enum Format {
    public static func rate(_ perSecond: Double) -> String {
        perSecond >= 1_000_000 ? String(format: "%.2fM", perSecond / 1_000_000)
            : perSecond >= 1000 ? String(format: "%.1fk", perSecond / 1000) : String(format: "%.0f", perSecond)
    }

    public static func bytes(_ n: Int) -> String {
        n >= 1 << 30 ? String(format: "%.2f GiB", Double(n) / Double(1 << 30))
            : n >= 1 << 20 ? String(format: "%.1f MiB", Double(n) / Double(1 << 20))
            : n >= 1024 ? String(format: "%.1f KiB", Double(n) / 1024) : "\(n) B"
    }
}
