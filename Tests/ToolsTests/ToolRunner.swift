import Foundation
import Testing

/// Runs one of the package's built executables and captures what it printed.
struct ToolRun {
    var status: Int32
    var stdout: String
    var stderr: String

    func json() throws -> Any {
        try JSONSerialization.jsonObject(with: Data(stdout.utf8))
    }
}

enum Tools {
    /// The directory `swift build`/`swift test` put the executables in: beside the test bundle.
    static let binDirectory: URL = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: bundle.appendingPathComponent("bubble-inspect").path) { return bundle }
        return Bundle.main.bundleURL
    }()

    static func run(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) throws -> ToolRun {
        let process = Process()
        process.executableURL = binDirectory.appendingPathComponent(tool)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ToolRun(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// The real `bubble-timer serve` on a free port over a fresh data directory.
final class RunningServer {
    let process = Process()
    let port: Int
    let data: String
    /// What the server logged until it listened.
    private(set) var startupLog = ""
    var url: String { "ws://127.0.0.1:\(port)/ws" }

    init(data: String, arguments: [String] = []) throws {
        self.data = data
        process.executableURL = Tools.binDirectory.appendingPathComponent("bubble-timer")
        process.arguments = ["serve", "--data", data, "--port", "0", "--log-format", "json", "--log-level", "notice"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The port comes from the "listening on" log line.
        var found: Int?
        var buffer = Data()
        let deadline = Date().addingTimeInterval(30)
        while found == nil, Date() < deadline, process.isRunning {
            buffer.append(out.fileHandleForReading.availableData)
            let text = String(decoding: buffer, as: UTF8.self)
            if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                found = Int(text[range].split(separator: ":").last!)
            }
        }
        guard let found else { process.terminate(); throw CocoaError(.fileReadUnknown) }
        port = found
        startupLog = String(decoding: buffer, as: UTF8.self)
    }

    deinit {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }
}
