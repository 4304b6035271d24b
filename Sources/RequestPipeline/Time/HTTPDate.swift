import Foundation

/// HTTP-date (RFC 9110 §5.6.7) to and from seconds since the Unix epoch.
///
/// Written with plain calendar arithmetic (Howard Hinnant's days-from-civil) instead of
/// `DateFormatter`, which is slow, locale-dependent and not needed for a fixed, always-GMT
/// format. Used for Last-Modified, Date, If-Modified-Since, If-Unmodified-Since and If-Range.
public enum HTTPDate {
    private static let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let longDayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    // MARK: Formatting

    /// The IMF-fixdate form, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`: the only form a sender
    /// may generate (RFC 9110 §5.6.7). Years before 1000 are zero-padded to four digits.
    public static func format(_ seconds: Int64) -> String {
        let days = floorDivide(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        let weekday = Int(floorModulo(days + 4, 7)) // 1970-01-01 was a Thursday (4).
        // Built as bytes: this runs for every file response (Last-Modified).
        var out = LogLineWriter(capacity: 30)
        out.append(dayNames[weekday])
        out.append(", " as StaticString)
        out.appendDecimal(day, minimumDigits: 2)
        out.append(byte: UInt8(ascii: " "))
        out.append(monthNames[month - 1])
        out.append(byte: UInt8(ascii: " "))
        out.appendDecimal(year, minimumDigits: 4)
        out.append(byte: UInt8(ascii: " "))
        out.appendDecimal(secondOfDay / 3600, minimumDigits: 2)
        out.append(byte: UInt8(ascii: ":"))
        out.appendDecimal(secondOfDay / 60 % 60, minimumDigits: 2)
        out.append(byte: UInt8(ascii: ":"))
        out.appendDecimal(secondOfDay % 60, minimumDigits: 2)
        out.append(" GMT" as StaticString)
        return out.string
    }

    // MARK: Parsing

    /// Parses any of the three forms a recipient must accept (RFC 9110 §5.6.7):
    /// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), obsolete RFC 850
    /// (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
    /// Surrounding spaces and tabs are ignored; anything else that does not follow the
    /// grammar exactly (names are case-sensitive, fields in range, the day exists in its
    /// month) gives nil, so that callers can ignore an invalid conditional header as
    /// RFC 9110 §13.1 requires. The day name is checked for spelling but not against the
    /// date, as Apache's `apr_date_parse_http` does. RFC 850 two-digit years are resolved
    /// against the current clock.
    public static func parse(_ text: String) -> Int64? {
        parse(text, now: Int64(Date().timeIntervalSince1970.rounded(.down)))
    }

    /// `parse(_:)` with an explicit current time (seconds since the epoch), which only
    /// matters for the two-digit year of the RFC 850 form: a year that would lie more than
    /// 50 years after `now` is taken to be in the previous century (RFC 9110 §5.6.7).
    public static func parse(_ text: String, now: Int64) -> Int64? {
        var bytes = Array(text.utf8)
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        var start = 0
        while start < bytes.count, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        if start > 0 { bytes.removeFirst(start) }
        guard bytes.count >= 24 else { return nil }
        if bytes[3] == UInt8(ascii: ",") {
            return parseIMFFixdate(bytes)
        } else if bytes[3] == UInt8(ascii: " ") {
            return parseAsctime(bytes)
        } else {
            return parseRFC850(bytes, now: now)
        }
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT`
    private static func parseIMFFixdate(_ b: [UInt8]) -> Int64? {
        guard b.count == 29, dayNames.contains(where: { matches(b, 0, $0) }),
              b[4] == 0x20, let day = digits(b, 5, 2), b[7] == 0x20,
              let month = month(b, 8), b[11] == 0x20, let year = digits(b, 12, 4), b[16] == 0x20,
              let time = timeOfDay(b, 17), b[25] == 0x20, matches(b, 26, "GMT")
        else { return nil }
        return timestamp(year: year, month: month, day: day, secondOfDay: time)
    }

    /// `Sunday, 06-Nov-94 08:49:37 GMT`
    private static func parseRFC850(_ b: [UInt8], now: Int64) -> Int64? {
        guard let comma = b.firstIndex(of: UInt8(ascii: ",")),
              longDayNames.contains(where: { $0.utf8.count == comma && matches(b, 0, $0) })
        else { return nil }
        let p = comma + 1
        guard b.count == p + 23, b[p] == 0x20, let day = digits(b, p + 1, 2), b[p + 3] == UInt8(ascii: "-"),
              let month = month(b, p + 4), b[p + 7] == UInt8(ascii: "-"), let shortYear = digits(b, p + 8, 2),
              b[p + 10] == 0x20, let time = timeOfDay(b, p + 11), b[p + 19] == 0x20, matches(b, p + 20, "GMT")
        else { return nil }
        // RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is in the past.
        let nowDays = floorDivide(now, 86_400)
        let (nowYear, nowMonth, nowDay) = civil(fromDays: nowDays)
        var year = nowYear - floorModulo(nowYear, 100) + shortYear
        guard var result = timestamp(year: year, month: month, day: day, secondOfDay: time) else { return nil }
        let limitDay = (nowMonth == 2 && nowDay == 29) ? 28 : nowDay
        let limit = days(fromCivil: nowYear + 50, nowMonth, limitDay) * 86_400 + (now - nowDays * 86_400)
        if result > limit {
            year -= 100
            guard let earlier = timestamp(year: year, month: month, day: day, secondOfDay: time) else { return nil }
            result = earlier
        }
        return result
    }

    /// `Sun Nov  6 08:49:37 1994`
    private static func parseAsctime(_ b: [UInt8]) -> Int64? {
        guard b.count == 24, dayNames.contains(where: { matches(b, 0, $0) }),
              let month = month(b, 4), b[7] == 0x20 else { return nil }
        let day: Int64
        if b[8] == 0x20 {
            guard let one = digits(b, 9, 1) else { return nil }
            day = one
        } else {
            guard let two = digits(b, 8, 2) else { return nil }
            day = two
        }
        guard b[10] == 0x20, let time = timeOfDay(b, 11), b[19] == 0x20, let year = digits(b, 20, 4) else { return nil }
        return timestamp(year: year, month: month, day: day, secondOfDay: time)
    }

    // MARK: Pieces

    private static func matches(_ b: [UInt8], _ at: Int, _ word: String) -> Bool {
        var i = at
        for c in word.utf8 {
            guard i < b.count, b[i] == c else { return false }
            i += 1
        }
        return true
    }

    private static func digits(_ b: [UInt8], _ at: Int, _ count: Int) -> Int64? {
        guard at + count <= b.count else { return nil }
        var value: Int64 = 0
        for i in at..<(at + count) {
            let c = b[i]
            guard c >= 0x30, c <= 0x39 else { return nil }
            value = value * 10 + Int64(c - 0x30)
        }
        return value
    }

    /// 1...12 for a case-sensitive three-letter month name.
    private static func month(_ b: [UInt8], _ at: Int) -> Int64? {
        guard let index = monthNames.firstIndex(where: { matches(b, at, $0) }) else { return nil }
        return Int64(index + 1)
    }

    /// `HH:MM:SS` as seconds into the day; a leap second (60) is allowed by the grammar.
    private static func timeOfDay(_ b: [UInt8], _ at: Int) -> Int64? {
        guard let hour = digits(b, at, 2), b[at + 2] == UInt8(ascii: ":"), let minute = digits(b, at + 3, 2),
              b[at + 5] == UInt8(ascii: ":"), let second = digits(b, at + 6, 2),
              hour < 24, minute < 60, second <= 60
        else { return nil }
        return hour * 3600 + minute * 60 + second
    }

    private static func timestamp(year: Int64, month: Int64, day: Int64, secondOfDay: Int64) -> Int64? {
        guard day >= 1, day <= daysInMonth(year: year, month: month) else { return nil }
        return days(fromCivil: year, Int(month), day) * 86_400 + secondOfDay
    }

    private static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // MARK: Calendar arithmetic (proleptic Gregorian)

    /// Days since 1970-01-01 of a civil date (month 1...12).
    static func days(fromCivil year: Int64, _ month: Int, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date (month 1...12) of a count of days since 1970-01-01.
    static func civil(fromDays count: Int64) -> (year: Int64, month: Int, day: Int64) {
        let z = count + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, Int(month), day)
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    private static func floorModulo(_ a: Int64, _ b: Int64) -> Int64 {
        a - floorDivide(a, b) * b
    }
}
