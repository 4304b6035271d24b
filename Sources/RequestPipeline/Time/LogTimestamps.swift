import Foundation

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

/// What every request of the same second prints alike, computed once per second: the
/// server's offset from UTC (a `localtime_r`) and the `%t` text. mod_log_config keeps its
/// `%t` text the same way (a small table by second, `TIME_CACHE_SIZE`).
///
/// Shared by all event loops behind one lock; a slot is a second, so requests that started
/// in different recent seconds (a slow one finishing late) do not evict each other.
final class LogTimeCache: @unchecked Sendable {
    static let shared = LogTimeCache()

    /// One second's `%t`, for the offset it was printed in.
    private struct Slot {
        var seconds: Int64 = .min
        var utcOffset = 0
        var text: [UInt8] = []
    }

    private static let slotCount = 16
    private let lock = NSLock()
    private var slots = [Slot](repeating: Slot(), count: LogTimeCache.slotCount)
    private var offsetSeconds: Int64 = .min
    private var offset = 0

    /// ``ErrorLogLine/localUTCOffset(atSeconds:)``, asked of the C library once per second.
    func utcOffset(atSeconds seconds: Int64) -> Int {
        lock.lock()
        if offsetSeconds == seconds {
            defer { lock.unlock() }
            return offset
        }
        lock.unlock()
        let fresh = ErrorLogLine.localUTCOffset(atSeconds: seconds)
        lock.lock()
        offsetSeconds = seconds
        offset = fresh
        lock.unlock()
        return fresh
    }

    /// `[10/Oct/2000:13:55:36 -0700]` for `seconds` at `utcOffset`, formatted once per second.
    func commonLogTime(seconds: Int64, utcOffset: Int) -> [UInt8] {
        let index = Int(UInt64(bitPattern: seconds) % UInt64(Self.slotCount))
        lock.lock()
        let slot = slots[index]
        lock.unlock()
        if slot.seconds == seconds && slot.utcOffset == utcOffset { return slot.text }
        var out = LogLineWriter(capacity: 28)
        out.appendCommonLogTime(CivilTime(epochSeconds: seconds, utcOffset: utcOffset))
        lock.lock()
        slots[index] = Slot(seconds: seconds, utcOffset: utcOffset, text: out.bytes)
        lock.unlock()
        return out.bytes
    }
}
