import Foundation
import Testing
import TestSupport
@testable import BubbleServer

/// The inbound reader against Foundation's, which it replaced: the same values for every
/// frame and body we accept, the same verdict on damaged input, and no crash on any bytes.
@Suite struct JSONScannerTests {
    static let corpus: [String] = [
        #"{"type":"timer","action":"update","requestId":"r1","timer":{"id":"t1","name":"Tea","totalDuration":"PT3M","remainingDuration":"PT2M","timerEnd":"2025-08-12T10:00:00Z","tags":["kitchen","tea"]},"shareWith":["bob"]}"#,
        #"{"action":"sendmessage","data":{"type":"ping","timestamp":1755007387500,"direct":true}}"#,
        #"{"action":"sendmessage","data":{"type":"activeTimerList","timerList":[{"id":"a","name":"x","totalDuration":"PT1M","userId":"u"}]}}"#,
        #"{"type":"time","t0":1755007387500.125,"requestId":"c1"}"#,
        #"{"type":"share","action":"add","timerId":"t1","sharedWithUser":"bob","n":null,"f":false,"neg":-0.5e-3,"big":123456789012345678901234567890}"#,
        #"{"name":"Caf\u00e9 \ud83c\udf75 \"q\" \\ \/ \b\f\n\r\t","emoji":"🍵","empty":"","nested":{"a":[[],{},[1,[2,{"b":[true]}]]]}}"#,
        #"  {"spaced" : [ 1 , 2 ] }  "#,
        #"{"settings":{"k":"v","k":"last"}}"#,
    ]

    /// Both readers' results, written the same way, for comparison. Numbers are compared as
    /// doubles to 12 digits: Foundation keeps integers past 64 bits exactly, we read them as
    /// `Double` (a documented difference; no field we read is such a number).
    private func canonical(_ value: Any) -> String? {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        let number = try! Regex(#"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?"#)
        return text.replacing(number) { match in String(format: "%.12g", Double(text[match.range]) ?? .nan) }
    }

    private func foundation(_ bytes: [UInt8]) -> Any? {
        guard let value = try? JSONSerialization.jsonObject(with: Data(bytes), options: []) else { return nil }
        return value is [String: Any] || value is [Any] ? value : nil
    }

    private func ours(_ bytes: [UInt8]) -> Any? {
        guard let value = try? JSONScanner.value(bytes) else { return nil }
        return value is [String: Any] || value is [Any] ? value : nil
    }

    @Test(arguments: corpus)
    func everyFrameReadsAsFoundationReadsIt(_ text: String) throws {
        let bytes = Array(text.utf8)
        let mine = try #require(ours(bytes))
        let theirs = try #require(foundation(bytes))
        #expect(canonical(mine) == canonical(theirs))
    }

    @Test func typesAreTheOnesTheReadersExpect() throws {
        let object = try JSON.object(Array(#"{"i":42,"d":1.5,"e":1e2,"b":true,"n":null,"s":"x","big":99999999999999999999}"#.utf8))
        #expect(object["i"] as? Int == 42)
        #expect(object["d"] as? Double == 1.5)
        #expect(object["e"] as? Double == 100)
        #expect(object["b"] as? Bool == true)
        #expect(object["n"] is NSNull)
        #expect(object["s"] as? String == "x")
        #expect(object["big"] as? Double == 1e20)
    }

    @Test(arguments: [
        "{\"a\":1,}", "[1,]", "{'a':1}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":-}", "{\"a\":.5}", "{\"a\":\"\u{01}\"}",
        "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\\ud800\"}", "{\"a\":\"\\x41\"}", "{\"a\":tru}", "{\"a\":1} x", "{\"a\" 1}",
        "{a:1}", "", "{", "{\"a\":NaN}", "{\"a\":1e999}", "// c\n{}",
    ])
    func malformedInputIsRefused(_ text: String) {
        #expect(ours(Array(text.utf8)) == nil)
        #expect(throws: ServerError.self) { try JSON.object(Array(text.utf8)) }
    }

    @Test func invalidUTF8InAStringIsRefusedLikeFoundationRefusesIt() {
        for bytes: [UInt8] in [[0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D], [0x7B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x3A, 0x31, 0x7D]] {
            #expect(ours(bytes) == nil)
            #expect(foundation(bytes) == nil)
        }
    }

    @Test func nestingPastTheLimitIsRefusedWithoutExhaustingTheStack() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(ours(Array(deep.utf8)) == nil)
        let fine = String(repeating: "[", count: JSONScanner.maxDepth) + String(repeating: "]", count: JSONScanner.maxDepth)
        #expect(ours(Array(fine.utf8)) != nil)
    }

    /// Foundation accepts `[1,]` and `{"a":1,}`; RFC 8259 (and we) do not.
    static func hasTrailingComma(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.contains(try! Regex(#",\s*[\]}]"#))
    }

    /// Seeded mutations of the corpus (flips, cuts, insertions of JSON's own punctuation):
    /// wherever both readers accept, they agree on the value; ours never accepts what
    /// Foundation refuses. (Foundation accepts a few things RFC 8259 does not, such as
    /// trailing commas; those are left out of the comparison.)
    @Test func mutatedFramesGetTheSameVerdictAndValue() {
        var rng = SeededRandom(seed: 0xB0BB1E)
        let alphabet = Array("{}[]\":,\\ 0123456789.eE-+tfnrul\u{7f}".utf8) + [0x00, 0x80, 0xC3, 0xFF]
        var accepted = 0, disagreements: [String] = []
        for i in 0..<20_000 {
            var bytes = Array(Self.corpus[i % Self.corpus.count].utf8)
            for _ in 0..<(1 + rng.int(3)) {
                let at = rng.int(bytes.count + 1)
                switch rng.int(3) {
                case 0 where at < bytes.count: bytes[at] = alphabet[rng.int(alphabet.count)]
                case 1 where at < bytes.count: bytes.remove(at: at)
                default: bytes.insert(alphabet[rng.int(alphabet.count)], at: at)
                }
            }
            let mine = ours(bytes), theirs = foundation(bytes)
            if let mine {
                accepted += 1
                guard let theirs else {
                    disagreements.append("ours accepted: " + String(decoding: bytes, as: UTF8.self))
                    continue
                }
                if canonical(mine) != canonical(theirs) { disagreements.append("values differ: " + String(decoding: bytes, as: UTF8.self)) }
            } else if theirs != nil, !Self.hasTrailingComma(bytes) {
                disagreements.append("foundation accepted: " + String(decoding: bytes, as: UTF8.self))
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
        // The mutations must leave some inputs valid, or the comparison tests nothing.
        #expect(accepted > 1000)
    }
}

/// The reader at the REST edge: what RFC 8259 refuses (and Foundation took) is a 400 with the
/// JSON error body, and nothing is appended.
@Suite struct JSONBodyTests {
    @Test func aBodyWithATrailingCommaOrALoneSurrogateIsRefusedAndAppendsNothing() async throws {
        try await Harness.run { h in
            _ = try await h.rest(.get, "/me", as: "alice")  // registration is its own command
            let before = try h.head()
            for body in [#"{"name":"Tea","totalDuration":"PT3M",}"#, #"{"name":"\ud800","totalDuration":"PT3M"}"#] {
                let answer = try await h.rest(.post, "/timers/t1", as: "alice", body: body)
                #expect(answer.status == .badRequest, "\(body)")
                let json = try #require(answer.json as? [String: Any])
                #expect(json["code"] as? String == "malformed_json")
                #expect(json["error"] as? String == "not valid JSON")
            }
            #expect(try h.head() == before)
        }
    }
}
