import Testing
@testable import TimerDomain

@Suite struct ISO8601Tests {
    @Test(arguments: [
        ("PT30M", 1_800_000), ("PT4M59.123S", 299_123), ("PT1H2M", 3_720_000), ("PT-3.2S", -3200),
        ("-PT5S", -5000), ("P1DT2H", 93_600_000), ("PT0S", 0), ("PT0.000000001S", 0), ("PT-1M-30S", -90_000),
        // Also what Java accepts: either case, a comma, an empty fraction, days alone.
        ("pt1m", 60_000), ("PT1,5S", 1500), ("PT1.S", 1000), ("P2D", 172_800_000), ("+PT1S", 1000), ("PT-0.5S", -500),
    ] as [(String, Int64)])
    func durationsAsJavaPrintsThem(text: String, ms: Int64) {
        #expect(ISO8601.durationMilliseconds(text) == ms)
    }

    /// Java's `Duration.parse` throws on each of these (weeks, months and years included).
    @Test(arguments: ["", "P", "PT", "30M", "PT5", "PT1.5M", "PTxS", "PT1S2", "P1H", "PT1.1234567891S",
                      "P1W", "P1M", "P1Y", "P1DT", "PT1S1M", "banana", "PT1M ", " PT1M", "P-D", "PT--1S"])
    func nonDurations(text: String) {
        #expect(ISO8601.durationMilliseconds(text) == nil)
    }

    @Test func localDateTimesParseButNameNoInstant() {
        for text in ["2025-08-12T14:03", "2025-08-12T14:03:07", "2025-08-12T14:03:07.123456789"] {
            #expect(ISO8601.isDateTime(text))
            #expect(ISO8601.instantMilliseconds(text) == nil)
        }
    }

    /// `LocalDateTime.parse` rejects these, so they can never go to an Android device.
    @Test func dateTimesJavaRejectsAreNotDateTimes() {
        for text in ["2025-08-12 14:03", "2025-08-12T14:03:60", "2025-08-12T14:03:07,5", "2025-08-12T24:00", "2025-02-30T10:00"] {
            #expect(!ISO8601.isDateTime(text), "\(text)")
        }
        #expect(ISO8601.isLocalDateTime("2025-08-12T14:03"))
        #expect(!ISO8601.isLocalDateTime("2025-08-12T14:03Z"))
    }

    @Test func localFormatHasNoOffset() {
        #expect(ISO8601.formatLocal(milliseconds: 1_755_007_387_500) == "2025-08-12T14:03:07.500")
    }

    @Test func offsetsGiveInstants() {
        #expect(ISO8601.instantMilliseconds("1970-01-01T00:00:00Z") == 0)
        #expect(ISO8601.instantMilliseconds("2025-08-12T14:03:07.5Z") == 1_755_007_387_500)
        #expect(ISO8601.instantMilliseconds("2025-08-12T16:03:07.5+02:00") == 1_755_007_387_500)
        #expect(ISO8601.instantMilliseconds("2025-08-12T09:03:07.5-0500") == 1_755_007_387_500)
    }

    @Test(arguments: ["2025-13-01T00:00", "2025-02-30T00:00", "2025-08-12", "2025-08-12T25:00", "2025-08-12T14:03:07.", "x"])
    func nonDateTimes(text: String) {
        #expect(!ISO8601.isDateTime(text))
    }

    @Test func formatRoundTrips() {
        #expect(ISO8601.format(milliseconds: 1_755_007_387_500) == "2025-08-12T14:03:07.500Z")
        #expect(ISO8601.format(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(ISO8601.instantMilliseconds(ISO8601.format(milliseconds: 951_782_400_123)) == 951_782_400_123)
    }

    @Test func snapshotParsedValues() {
        let t = TimerSnapshot(id: "t", name: "n", totalDuration: "PT30M", remainingDuration: "PT-3.2S", end: "2025-08-12T14:03")
        #expect(t.totalMilliseconds == 1_800_000)
        #expect(t.remainingMilliseconds == -3200)
        #expect(t.endInstantMilliseconds == nil)
        #expect(t.isRunning)
    }
}
