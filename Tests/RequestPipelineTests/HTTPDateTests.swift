import Foundation
import Testing
@testable import RequestPipeline

@Suite("HTTPDate")
struct HTTPDateTests {
    /// RFC 9110 §5.6.7's example instant, Sun, 06 Nov 1994 08:49:37 GMT.
    static let example: Int64 = 784_111_777
    /// 2025-06-01T00:00:00Z, a fixed "now" for two-digit years.
    static let now2025: Int64 = 1_748_736_000

    @Test(arguments: [
        (Int64(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT"),
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (1_709_164_800, "Thu, 29 Feb 2024 00:00:00 GMT"),
        (2_147_483_648, "Tue, 19 Jan 2038 03:14:08 GMT"),
        (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
        (-62_135_596_800, "Mon, 01 Jan 0001 00:00:00 GMT"),
    ])
    func formatsIMFFixdate(seconds: Int64, expected: String) {
        #expect(HTTPDate.format(seconds) == expected)
    }

    @Test func formatAgreesWithFoundation() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let seconds = Int64.random(in: -2_000_000_000...8_000_000_000, using: &generator)
            let expected = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(HTTPDate.format(seconds) == expected, "\(seconds)")
            #expect(HTTPDate.parse(expected) == seconds, "\(expected)")
        }
    }

    @Test(arguments: [
        "Sun, 06 Nov 1994 08:49:37 GMT",   // IMF-fixdate
        "Sunday, 06-Nov-94 08:49:37 GMT",  // obsolete RFC 850
        "Sun Nov  6 08:49:37 1994",        // ANSI C asctime()
        "Sun Nov 06 08:49:37 1994",        // asctime with a 2DIGIT day
        "  Sun, 06 Nov 1994 08:49:37 GMT\t", // surrounding OWS
    ])
    func parsesTheThreeForms(text: String) {
        #expect(HTTPDate.parse(text, now: Self.now2025) == Self.example)
    }

    @Test func parsesWithTheRealClock() {
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == Self.example)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == Self.example)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994") == Self.example)
    }

    @Test(arguments: [
        ("Thu, 29 Feb 2024 00:00:00 GMT", Int64(1_709_164_800)),
        ("Tue, 29 Feb 2000 00:00:00 GMT", 951_782_400),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
        ("Wed, 31 Dec 1969 23:59:59 GMT", -1),
        ("Fri, 31 Dec 9999 23:59:59 GMT", 253_402_300_799),
        ("Sun Nov 16 08:49:37 1994", 784_111_777 + 10 * 86_400),
        // Leap second: allowed by the grammar, lands on the next minute.
        ("Sun, 06 Nov 1994 23:59:60 GMT", 784_166_400),
        // The day name is not checked against the date (as in Apache).
        ("Mon, 06 Nov 1994 08:49:37 GMT", 784_111_777),
    ] as [(String, Int64)])
    func parsesEdgeDates(text: String, expected: Int64) {
        #expect(HTTPDate.parse(text, now: Self.now2025) == expected)
    }

    @Test(arguments: [
        "",
        "   ",
        "garbage",
        "1994-11-06T08:49:37Z",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Nov 1994 08:49:37 gmt",
        "Sun, 06 Nov 1994 08:49:37",
        "Sun, 06 Nov 1994 08:49:37 GMT junk",
        "sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 nov 1994 08:49:37 GMT",
        "Xyz, 06 Nov 1994 08:49:37 GMT",
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun,  06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 94 08:49:37 GMT",
        "Sun, 06-Nov-1994 08:49:37 GMT",
        "Sun, 31 Nov 1994 08:49:37 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Thu, 29 Feb 1900 00:00:00 GMT",
        "Sat, 29 Feb 2023 00:00:00 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sun, 06 Nov 1994 08:49 GMT",
        "Sun, 06 Nov 1994 8:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37  GMT",
        "Sun, 06 Nov 199x 08:49:37 GMT",
        "Sun, +6 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 UTC",
        "Sun, 06-Nov-94 08:49:37 GMT",
        "Sundays, 06-Nov-94 08:49:37 GMT",
        "Sunday, 06 Nov 94 08:49:37 GMT",
        "Sunday, 31-Apr-94 08:49:37 GMT",
        "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sun Nov 6 08:49:37 1994",
        "Sun Nov  6 08:49:37 94",
        "Sun Nov  6 08:49:37 1994 GMT",
        "Sun Nov 31 08:49:37 1994",
        "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT",
    ])
    func rejectsInvalid(text: String) {
        #expect(HTTPDate.parse(text, now: Self.now2025) == nil)
    }

    @Test(arguments: [
        // now = 2025-06-01: 2076 and later are more than 50 years ahead, so last century.
        ("Sunday, 06-Nov-94 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT"),
        ("Monday, 01-Jan-30 00:00:00 GMT", "Tue, 01 Jan 2030 00:00:00 GMT"),
        ("Monday, 01-Jan-00 00:00:00 GMT", "Sat, 01 Jan 2000 00:00:00 GMT"),
        ("Monday, 01-Jan-75 00:00:00 GMT", "Tue, 01 Jan 2075 00:00:00 GMT"),
        ("Monday, 31-May-75 23:59:59 GMT", "Fri, 31 May 2075 23:59:59 GMT"),
        ("Monday, 01-Jun-75 00:00:00 GMT", "Sat, 01 Jun 2075 00:00:00 GMT"),
        ("Monday, 01-Jun-75 00:00:01 GMT", "Sun, 01 Jun 1975 00:00:01 GMT"),
        ("Monday, 06-Nov-75 08:49:37 GMT", "Thu, 06 Nov 1975 08:49:37 GMT"),
        ("Monday, 01-Jan-99 00:00:00 GMT", "Fri, 01 Jan 1999 00:00:00 GMT"),
    ])
    func rfc850TwoDigitYears(text: String, imf: String) throws {
        let parsed = try #require(HTTPDate.parse(text, now: Self.now2025))
        #expect(HTTPDate.format(parsed) == imf)
    }

    @Test func calendarRoundTrip() {
        for days in stride(from: Int64(-800_000), through: 800_000, by: 97) {
            let (year, month, day) = HTTPDate.civil(fromDays: days)
            #expect(HTTPDate.days(fromCivil: year, month, day) == days)
        }
    }
}
