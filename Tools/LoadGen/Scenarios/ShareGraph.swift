/// Who shares with whom in a run. Each sending user owns one timer shared with `members`.
enum ShareGraph: Sendable, CustomStringConvertible {
    /// Users in pairs, each sharing its timer with the other.
    case pairs
    /// Users in groups of K, each sharing its timer with the rest of its group.
    case groups(Int)
    /// User 0 alone sends, on one timer shared with every other user (fan-out).
    case one
    /// No shares: each user's timer reaches only its own other devices.
    case none

    init?(_ text: String) {
        switch text {
        case "pairs": self = .pairs
        case "one": self = .one
        case "none": self = .none
        default:
            guard text.hasPrefix("group:"), let k = Int(text.dropFirst(6)), k >= 1 else { return nil }
            self = .groups(k)
        }
    }

    var description: String {
        switch self {
        case .pairs: "pairs"
        case .groups(let k): "group:\(k)"
        case .one: "one"
        case .none: "none"
        }
    }

    func members(of owner: Int, users: Int) -> [Int] {
        switch self {
        case .pairs:
            let partner = owner ^ 1
            return partner < users ? [partner] : []
        case .groups(let k):
            let start = owner / k * k
            return (start..<min(users, start + k)).filter { $0 != owner }
        case .one:
            return owner == 0 ? Array(1..<users) : []
        case .none:
            return []
        }
    }

    func senders(users: Int) -> [Int] {
        if case .one = self { return [0] }
        return Array(0..<users)
    }
}

/// The commands one sender cycles through. `mixed` is mostly updates, with a share removed
/// and re-added and the timer stopped and recreated (shared again) once per 50 commands, so
/// every kind of broadcast is exercised; `update` is updates only.
struct SenderPlan: Sendable {
    let owner: String
    let members: [String]
    let timerPrefix: String
    let mixed: Bool
    private(set) var generation = 0
    private var step = 0
    private var recreate = false

    init(owner: String, members: [String], timerPrefix: String, mixed: Bool) {
        self.owner = owner
        self.members = members
        self.timerPrefix = timerPrefix
        self.mixed = mixed
    }

    var timerID: String { "\(timerPrefix)-g\(generation)" }

    /// The frame that creates the timer shared with every member.
    func create(requestID: String) -> String {
        let share = members.map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"type":"timer","action":"update","timer":{"id":"\#(timerID)","name":"start","totalDuration":"PT1H"},"shareWith":[\#(share)],"requestId":"\#(requestID)"}"#
    }

    mutating func next(requestID: String) -> String {
        defer { step += 1 }
        if recreate {
            recreate = false
            return create(requestID: requestID)
        }
        let phase = step % 50
        if mixed, phase == 49 {
            let frame = #"{"type":"timer","action":"stop","timerId":"\#(timerID)","requestId":"\#(requestID)"}"#
            generation += 1
            recreate = true
            return frame
        }
        if mixed, !members.isEmpty, phase == 20 || phase == 21 {
            let member = members[(step / 50) % members.count]
            return #"{"type":"share","action":"\#(phase == 20 ? "remove" : "add")","timerId":"\#(timerID)","sharedWithUser":"\#(member)","requestId":"\#(requestID)"}"#
        }
        return #"{"type":"timer","action":"update","timer":{"id":"\#(timerID)","name":"n\#(step)","totalDuration":"PT\#(1 + step % 3600)S"},"requestId":"\#(requestID)"}"#
    }
}
