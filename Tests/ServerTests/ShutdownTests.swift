import Foundation
import HTTPTypes
import Testing
import TestSupport
@testable import BubbleCore

/// The real binary, a real socket and a real SIGTERM.
@Suite struct ShutdownTests {
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("bubble-timer")
    }

    @Test func sigtermClosesSocketsWith1001RecordsDisconnectsAndClosesLMDB() async throws {
        let dir = TemporaryDirectory("sigterm")
        let server = Process()
        server.executableURL = Self.binary
        server.arguments = ["serve", "--data", dir.path, "--port", "0", "--log-format", "json"]
        let out = Pipe()
        server.standardOutput = out
        try server.run()
        // The port comes from the "listening on" log line.
        var port: Int?
        var buffer = Data()
        let deadline = Date().addingTimeInterval(20)
        while port == nil, Date() < deadline {
            buffer.append(out.fileHandleForReading.availableData)
            let text = String(decoding: buffer, as: UTF8.self)
            if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(text[range].split(separator: ":").last!)
            }
        }
        let p = try #require(port)

        let token = try await Self.mint(directory: dir.path)
        let socket = TestSocket()
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(token)"
        headers[HTTPField.Name("DeviceId")!] = "phone"
        try await socket.connect(url: "ws://127.0.0.1:\(p)/ws", headers: headers)
        _ = try await socket.waitForRawFrame(containing: "snapshot")

        kill(server.processIdentifier, SIGTERM)
        let closedBy = Date().addingTimeInterval(10)
        while !socket.isClosed, Date() < closedBy { try await Task.sleep(for: .milliseconds(20)) }
        #expect(socket.closeCode == 1001)
        while server.isRunning, Date() < closedBy { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!server.isRunning)
        #expect(server.terminationStatus == 0)
        // An orderly stop logs no error: an alert on error lines must not page on every deploy.
        buffer.append(out.fileHandleForReading.readDataToEndOfFile())
        let errors = String(decoding: buffer, as: UTF8.self).split(separator: "\n").filter { $0.contains(#""level":"error""#) }
        #expect(errors.isEmpty, "\(errors)")

        // The disconnect is in the log, and the directory is free for the next writer.
        let inspector = try Inspector(directory: dir.path)
        let history = try inspector.user("alice").deviceHistory.map(\.event.name)
        #expect(history == ["device_connected", "device_disconnected"])
        #expect(!WriterLock.isHeld(directory: dir.path))
        #expect(try inspector.verify().log.isValid)
    }

    static func mint(directory: String) async throws -> String {
        let run = Process()
        run.executableURL = binary
        run.arguments = ["token", "alice", "--data", directory]
        let pipe = Pipe()
        run.standardOutput = pipe
        try run.run()
        run.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
