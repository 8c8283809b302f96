import TimerDomain
@testable import BubbleCore

let alice = Actor(userID: "alice", deviceID: "alice-phone")
let bob = Actor(userID: "bob", deviceID: "bob-phone")
let carol = Actor(userID: "carol", deviceID: "carol-laptop")

func snapshot(_ id: TimerID, _ name: String = "Tea", end: String? = "2025-08-12T14:03", remaining: String? = nil) -> TimerSnapshot {
    // Running or paused, never both (the Android app cannot show both).
    TimerSnapshot(id: id, name: name, totalDuration: "PT3M", remainingDuration: remaining, end: remaining == nil ? end : nil)
}

extension EventStore {
    @discardableResult
    func run(_ command: Command, _ actor: Actor, id: String? = nil) throws -> CommandResult {
        try executeAndWait(CommandRequest(command, actor: actor, commandID: id))
    }

    @discardableResult
    func timer(_ command: TimerCommand, _ actor: Actor, id: String? = nil) throws -> CommandResult {
        try run(.timer(command), actor, id: id)
    }
}
