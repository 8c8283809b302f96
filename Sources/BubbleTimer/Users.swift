import ArgumentParser
import BubbleCore
import BubbleServer
import Foundation
import Sockets
import ToolSupport

/// `bubble-timer users list|disable|enable|revoke-sessions`: the operator's say over who may
/// use the server. While a server runs on the data directory, changes go through it (its
/// `/admin` routes, with the admin token from the directory), so its sockets close at once;
/// otherwise they are appended to the log directly. Either way each is an event.
struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List users, disable or enable one, or end all of a user's sign-in sessions.",
        subcommands: [List.self, Disable.self, Enable.self, RevokeSessions.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every registered user (safe while the server runs).")
        @Option(help: "Data directory [BUBBLE_DATA].") var data = env("BUBBLE_DATA") ?? defaultDataDirectory
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            do {
                let users = try Inspector(directory: data).users()
                if json {
                    JSONOutput.print(["users": users.map { ["id": $0.id, "email": $0.email ?? NSNull(), "displayName": $0.displayName ?? NSNull(), "disabled": $0.disabled, "sessions": $0.sessions, "devices": $0.devices] as [String: Any] }])
                    return
                }
                var table = Table("USER", "EMAIL", "NAME", "STATUS", "SESSIONS", "CONNECTED")
                for u in users {
                    table.add(u.id, u.email ?? "-", u.displayName ?? "-", u.disabled ? "disabled" : "active", "\(u.sessions)", "\(u.devices)")
                }
                print(table.render())
            } catch {
                Terminal.error("\(error)")
                throw ExitCode(2)
            }
        }
    }

    struct Disable: UserChange {
        static let configuration = CommandConfiguration(abstract: "Refuse every token of the user and close their sockets.")
        static let action = UserAdministration.Action.disable
        @OptionGroup var target: UserTarget
    }

    struct Enable: UserChange {
        static let configuration = CommandConfiguration(abstract: "Let a disabled user back in.")
        static let action = UserAdministration.Action.enable
        @OptionGroup var target: UserTarget
    }

    struct RevokeSessions: UserChange {
        static let configuration = CommandConfiguration(commandName: "revoke-sessions", abstract: "End every email sign-in session of the user.")
        static let action = UserAdministration.Action.revokeSessions
        @OptionGroup var target: UserTarget
    }
}

struct UserTarget: ParsableArguments {
    @Argument(help: "User id (see: users list).") var userId: String
    @Option(help: "Why (kept in the log).") var reason = ""
    @Option(help: "Data directory [BUBBLE_DATA].") var data = env("BUBBLE_DATA") ?? defaultDataDirectory
}

/// `disable`, `enable` and `revoke-sessions`: one command each on the user's stream.
protocol UserChange: AsyncParsableCommand {
    static var action: UserAdministration.Action { get }
    var target: UserTarget { get }
}

extension UserChange {
    func run() async throws {
        let action = Self.action, t = target
        do {
            let changed = WriterLock.isHeld(directory: t.data)
                ? try await UserChanges.throughServer(action, user: t.userId, reason: t.reason, data: t.data)
                : try UserChanges.direct(action, user: t.userId, reason: t.reason, data: t.data)
            print(changed ? "\(t.userId): \(action.rawValue) done" : "\(t.userId): nothing to change")
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(2)
        }
    }
}

enum UserChanges {
    static func direct(_ action: UserAdministration.Action, user: String, reason: String, data: String) throws -> Bool {
        let store = try EventStore(directory: data)
        defer { store.close() }
        return !(try store.executeAndWait(UserAdministration.request(action, user: user, reason: reason))).events.isEmpty
    }

    /// The running server's address is in `server-url`, which it writes when it starts listening.
    static func throughServer(_ action: UserAdministration.Action, user: String, reason: String, data: String) async throws -> Bool {
        let url = try String(contentsOfFile: data + "/server-url", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let token = try String(contentsOfFile: data + "/admin-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let path = user.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? user
        let body = Array(try JSONSerialization.data(withJSONObject: ["reason": reason]))
        // Its own address on this machine: with --tls-cert the certificate names the public host.
        let poster = HTTPPoster(verifyingCertificates: !url.hasPrefix("https://127.0.0.1"))
        let answer: HTTPAnswer
        do {
            answer = try await poster.post("\(url)/admin/users/\(path)/\(action.rawValue)", headers: [("Authorization", "Bearer \(token)")], body: body)
            await poster.shutdown()
        } catch {
            await poster.shutdown()
            throw CLIError("the server at \(url) (from \(data)/server-url) could not be reached: \(error)")
        }
        guard answer.status == 200, let object = try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any] else {
            throw CLIError("the server at \(url) answered \(answer.status): \(String(decoding: answer.body, as: UTF8.self))")
        }
        return object["changed"] as? Bool ?? false
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
