internal import Foundation
internal import Logging

/// Delivers sign-in codes: piped as a mail to the operator's sendmail-compatible command
/// (msmtp, postfix's sendmail, …, which own TLS and relay credentials), or with none
/// configured, written to the server log at notice level, marked as dev delivery.
struct CodeMail: Sendable {
    let configuration: SignInConfiguration
    let logger: Logger

    /// Delivers in the background: the answer to `POST /auth/login` does not wait for (or
    /// reveal) the mail.
    func send(code: String, to email: String, minutes: Int) {
        guard let command = configuration.mailCommand else {
            logger.notice("sign-in code for \(email): \(code) (dev delivery: set --mail-command to send mail)", metadata: ["delivery": "dev", "email": "\(email)"])
            return
        }
        let message = Self.message(code: code, to: email, from: configuration.mailFrom, minutes: minutes)
        // The address stays out of these lines: a production log is no place for people's email.
        Task.detached { [logger] in
            do {
                try await Self.pipe(message, to: command, timeout: .seconds(30))
                logger.info("sign-in code mailed")
            } catch {
                logger.error("the sign-in mail could not be sent", metadata: ["error": "\(error)"])
            }
        }
    }

    /// An RFC 5322 message. `email` was checked to hold no line breaks, so it cannot add headers.
    static func message(code: String, to email: String, from: String, minutes: Int) -> String {
        let date = DateFormatter()
        date.locale = Locale(identifier: "en_US_POSIX")
        date.timeZone = TimeZone(identifier: "UTC")
        date.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return [
            "From: \(from)", "To: \(email)", "Subject: Your Bubble Timer sign-in code: \(code)",
            "Date: \(date.string(from: Date()))", "Message-ID: <\(UUID().uuidString.lowercased())@bubble-timer>",
            "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Auto-Submitted: auto-generated", "",
            "Your sign-in code is \(code).", "",
            "It works for \(minutes) minutes. If you did not ask to sign in, ignore this mail.", "",
        ].joined(separator: "\r\n")
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func pipe(_ message: String, to command: String, timeout: Duration) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let input = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                return continuation.resume(throwing: Failure(description: "cannot run '\(command)': \(error)"))
            }
            input.fileHandleForWriting.write(Data(message.utf8))
            try? input.fileHandleForWriting.close()
            Task {
                try? await Task.sleep(for: timeout)
                if process.isRunning { process.terminate() }
            }
        }
        guard status == 0 else {
            let stderr = String(decoding: errors.fileHandleForReading.availableData.prefix(500), as: UTF8.self)
            throw Failure(description: "'\(command)' exited with \(status): \(stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
