import ArgumentParser
import Foundation
import Projections
import EventLog
import BubbleCore
import TimerDomain
import ToolSupport

struct User: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A user's timers, shares, devices and connection history.")

    @Argument(help: "User id.") var userId: String
    @OptionGroup var options: CommonOptions

    func run() throws {
        let inspector = try options.inspector()
        let report = try reporting { try inspector.user(userId) }
        if options.json {
            let none: Any = NSNull()
            let email: Any = report.profile.map { $0.email.description } ?? none
            let displayName: Any = report.profile.map { $0.displayName.description } ?? none
            let erasedAt: Any = report.erasedAt.map { $0 as Any } ?? none
            let notifications: [String: Any] = ["total": report.notifications.total, "unread": report.notifications.unread]
            JSONOutput.print([
                "user": userId,
                "owned": report.owned.map { ["id": $0.timer.id, "name": $0.timer.name, "sharedWith": $0.sharedWith] },
                "shared": report.shared.map { ["id": $0.timer.id, "name": $0.timer.name, "owner": $0.owner] },
                "devices": report.connections.map { ["device": $0.device, "connectionId": $0.row.connectionID, "since": $0.row.connectedAt] },
                "pushTokens": report.pushTargets.keys.sorted(),
                "pushDevices": report.pushTargets.keys.sorted().map { d -> [String: String] in ["device": d, "provider": report.pushTargets[d]!.provider.name] },
                "deviceHistory": report.deviceHistory.map { JSONOutput.envelope($0) },
                "registered": report.profile != nil,
                "email": email,
                "displayName": displayName,
                "erasedAtSeq": erasedAt,
                "notifications": notifications,
                "pendingPushes": report.pendingPushes,
                "abandonedPushes": report.abandonedPushes.map { JSONOutput.envelope($0) },
            ])
            return
        }
        print(Terminal.paint("Profile of \(userId)", .bold))
        if let profile = report.profile {
            print("  email: \(profile.email)   display name: \(profile.displayName)   settings: \(profile.settings.count)")
        } else {
            print(report.erasedAt.map { "  (erased at seq \($0): what the log holds of them is sealed under a deleted key)" } ?? "  (not registered)")
        }
        print("  notifications: \(report.notifications.total) (\(report.notifications.unread) unread); pushes waiting: \(report.pendingPushes); abandoned: \(report.abandonedPushes.count)")
        for e in report.abandonedPushes { print("    seq \(e.seq): \(JSONOutput.summary(e.event))") }
        print(Terminal.paint("Timers owned by \(userId)", .bold))
        var owned = Table("ID", "NAME", "STATUS", "SHARED WITH")
        for row in report.owned {
            owned.add(row.timer.id, row.timer.name, row.timer.isRunning ? "running" : "paused", row.sharedWith.joined(separator: ", "))
        }
        print(report.owned.isEmpty ? "  (none)" : owned.render())
        print(Terminal.paint("\nTimers shared with \(userId)", .bold))
        var shared = Table("ID", "NAME", "OWNER")
        for row in report.shared { shared.add(row.timer.id, row.timer.name, row.owner) }
        print(report.shared.isEmpty ? "  (none)" : shared.render())
        print(Terminal.paint("\nConnected devices", .bold))
        var devices = Table("DEVICE", "CONNECTION", "SINCE (UTC)", "PUSH TOKEN")
        for c in report.connections {
            devices.add(c.device, c.row.connectionID, ISO8601.format(milliseconds: c.row.connectedAt), report.pushTargets[c.device]?.provider.name ?? "no")
        }
        print(report.connections.isEmpty ? "  (none)" : devices.render())
        print(Terminal.paint("\nConnection history", .bold))
        var history = Table("SEQ", "TIME (UTC)", "EVENT", "DETAIL")
        for e in report.deviceHistory {
            history.add(String(e.seq), ISO8601.format(milliseconds: e.timestamp), e.event.name, JSONOutput.summary(e.event))
        }
        print(report.deviceHistory.isEmpty ? "  (none)" : history.render())
    }
}
