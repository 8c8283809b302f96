import Testing
import TimerDomain
@testable import BubbleCore

/// Local ends become instants at the edge; DST edges resolve as `java.time` does.
@Suite struct ZoneRulesTests {
    func instant(_ text: String) -> Int64 { ISO8601.instantMilliseconds(text)! }

    @Test func anOrdinaryLocalTimeIsReadInTheZone() {
        #expect(ZoneRules.resolve(end: "2026-11-30T10:00", in: "Europe/Berlin") == instant("2026-11-30T09:00:00Z"))
        #expect(ZoneRules.resolve(end: "2026-07-01T10:00:00.250", in: "America/New_York") == instant("2026-07-01T14:00:00.250Z"))
        #expect(ZoneRules.resolve(end: "2026-07-01T10:00", in: "UTC") == instant("2026-07-01T10:00:00Z"))
    }

    @Test func aSkippedLocalTimeMovesLaterByTheGap() {
        // Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 never happens and means 03:30 CEST.
        #expect(ZoneRules.resolve(end: "2026-03-29T02:30", in: "Europe/Berlin") == instant("2026-03-29T01:30:00Z"))
        #expect(ZoneRules.resolve(end: "2026-03-29T01:59:59", in: "Europe/Berlin") == instant("2026-03-29T00:59:59Z"))
        #expect(ZoneRules.resolve(end: "2026-03-29T03:00", in: "Europe/Berlin") == instant("2026-03-29T01:00:00Z"))
    }

    @Test func anAmbiguousLocalTimeIsTheEarlierInstant() {
        // Berlin, 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice.
        #expect(ZoneRules.resolve(end: "2026-10-25T02:30", in: "Europe/Berlin") == instant("2026-10-25T00:30:00Z"))
        #expect(ZoneRules.resolve(end: "2026-10-25T03:30", in: "Europe/Berlin") == instant("2026-10-25T02:30:00Z"))
    }

    @Test func instantsRenderAsLocalFieldsAndUnknownZonesResolveNothing() {
        let local = ZoneRules.local(instant: instant("2026-10-25T00:30:00Z"), in: "Europe/Berlin")
        #expect(local.map(ISO8601.formatLocal) == "2026-10-25T02:30:00.000")
        #expect(ZoneRules.resolve(end: "2026-11-30T10:00", in: "Mars/Olympus_Mons") == nil)
        #expect(ZoneRules.resolve(end: "2026-11-30T10:00:00Z", in: "UTC") == nil)  // not local
        #expect(ZoneRules.isZone("Europe/Berlin") && !ZoneRules.isZone("Europe/Atlantis"))
    }
}
