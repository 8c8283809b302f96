import Foundation
import Testing
@testable import BubbleServer

/// The frame writer replaces JSONSerialization on the hot path; whatever it writes must parse
/// back to the same values, with booleans, integers and escapes kept apart.
@Suite struct JSONWriterTests {
    @Test func roundTripsEveryKindOfValueAFrameHolds() throws {
        let frame: [String: Any] = [
            "type": "timer", "seq": UInt64(18_446_744_073_709_551_000), "changed": true, "stale": false,
            "serverTime": Int64(1_755_007_387_500), "count": 3, "ratio": 0.25,
            "name": "Tea \"Earl Grey\" \\ 🍵 é\n\t\u{01}/", "empty": "", "none": NSNull(),
            "timer": ["id": "t1", "tags": ["a", "b"], "sharedWith": [String]()],
            "timers": [["id": "x"], ["id": "y"]],
        ]
        let text = JSON.text(frame)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(parsed["type"] as? String == "timer")
        #expect((parsed["seq"] as? NSNumber)?.uint64Value == 18_446_744_073_709_551_000)
        #expect(parsed["changed"] as? Bool == true)
        #expect(parsed["stale"] as? Bool == false)
        #expect((parsed["serverTime"] as? NSNumber)?.int64Value == 1_755_007_387_500)
        #expect(parsed["count"] as? Int == 3)
        #expect(parsed["ratio"] as? Double == 0.25)
        #expect(parsed["name"] as? String == "Tea \"Earl Grey\" \\ 🍵 é\n\t\u{01}/")
        #expect(parsed["empty"] as? String == "")
        #expect(parsed["none"] is NSNull)
        let timer = try #require(parsed["timer"] as? [String: Any])
        #expect(timer["tags"] as? [String] == ["a", "b"])
        #expect((timer["sharedWith"] as? [Any])?.isEmpty == true)
        #expect((parsed["timers"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["x", "y"])
        // Booleans are words, integers are digits, slashes are not escaped.
        #expect(text.contains("\"changed\":true") && text.contains("\"count\":3") && text.contains("é\\n\\t\\u0001/\""))
    }

    @Test func numbersParsedFromAClientAreEchoedAsNumbers() throws {
        let ping = try #require(try JSONSerialization.jsonObject(with: Data(#"{"timestamp":1755007387500}"#.utf8)) as? [String: Any])
        let text = JSON.text(["type": "pong", "timestamp": ping["timestamp"]!])
        #expect(text.contains("\"timestamp\":1755007387500"))
    }
}
