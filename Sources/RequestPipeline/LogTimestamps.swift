extension LogLineWriter {
    /// `+hhmm` / `-hhmm`, as `%t` and `%z` print an offset.
    mutating func appendUTCOffset(_ offset: Int) {
        let magnitude = offset.magnitude
        bytes.append(offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        appendDecimal(UInt64(magnitude / 3600), minimumDigits: 2)
        appendDecimal(UInt64(magnitude % 3600 / 60), minimumDigits: 2)
    }

    /// `[10/Oct/2000:13:55:36 -0700]`
    mutating func appendCommonLogTime(_ t: CivilTime) {
        bytes.append(UInt8(ascii: "["))
        appendDecimal(UInt64(t.day), minimumDigits: 2)
        bytes.append(UInt8(ascii: "/"))
        appendName(Self.monthNames, t.month - 1)
        bytes.append(UInt8(ascii: "/"))
        appendDecimal(Int64(t.year))
        bytes.append(UInt8(ascii: ":"))
        appendDecimal(UInt64(t.hour), minimumDigits: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDecimal(UInt64(t.minute), minimumDigits: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDecimal(UInt64(t.second), minimumDigits: 2)
        bytes.append(UInt8(ascii: " "))
        appendUTCOffset(t.utcOffset)
        bytes.append(UInt8(ascii: "]"))
    }

    /// `Sat Nov 21 19:02:22.123456 2026`, Apache's `ap_recent_ctime_ex` with microseconds.
    mutating func appendCTime(_ t: CivilTime, microseconds: Int) {
        appendName(Self.weekdayNames, t.weekday)
        bytes.append(UInt8(ascii: " "))
        appendName(Self.monthNames, t.month - 1)
        bytes.append(UInt8(ascii: " "))
        appendDecimal(UInt64(t.day), minimumDigits: 2)
        bytes.append(UInt8(ascii: " "))
        appendDecimal(UInt64(t.hour), minimumDigits: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDecimal(UInt64(t.minute), minimumDigits: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDecimal(UInt64(t.second), minimumDigits: 2)
        bytes.append(UInt8(ascii: "."))
        appendDecimal(UInt64(min(max(microseconds, 0), 999_999)), minimumDigits: 6)
        bytes.append(UInt8(ascii: " "))
        appendDecimal(Int64(t.year), minimumDigits: 4)
    }

    private mutating func appendName(_ table: StaticString, _ index: Int) {
        table.withUTF8Buffer { bytes.append(contentsOf: $0[(3 * index)..<(3 * index + 3)]) }
    }

    static let monthNames: StaticString = "JanFebMarAprMayJunJulAugSepOctNovDec"
    static let weekdayNames: StaticString = "SunMonTueWedThuFriSat"
}
