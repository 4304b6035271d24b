import Foundation
import Synchronization

extension LogLineWriter {
    /// `+hhmm` / `-hhmm`, as `%t` and `%z` print an offset.
    mutating func appendUTCOffset(_ offset: Int) {
        let magnitude = offset.magnitude
        append(byte: offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        appendDecimal(UInt64(magnitude / 3600), minimumDigits: 2)
        appendDecimal(UInt64(magnitude % 3600 / 60), minimumDigits: 2)
    }

    /// `[10/Oct/2000:13:55:36 -0700]`
    mutating func appendCommonLogTime(_ t: CivilTime) {
        append(byte: UInt8(ascii: "["))
        appendDecimal(UInt64(t.day), minimumDigits: 2)
        append(byte: UInt8(ascii: "/"))
        appendName(Self.monthNames, t.month - 1)
        append(byte: UInt8(ascii: "/"))
        appendDecimal(Int64(t.year))
        append(byte: UInt8(ascii: ":"))
        appendDecimal(UInt64(t.hour), minimumDigits: 2)
        append(byte: UInt8(ascii: ":"))
        appendDecimal(UInt64(t.minute), minimumDigits: 2)
        append(byte: UInt8(ascii: ":"))
        appendDecimal(UInt64(t.second), minimumDigits: 2)
        append(byte: UInt8(ascii: " "))
        appendUTCOffset(t.utcOffset)
        append(byte: UInt8(ascii: "]"))
    }

    /// `Sat Nov 21 19:02:22.123456 2026`, Apache's `ap_recent_ctime_ex` with microseconds.
    mutating func appendCTime(_ t: CivilTime, microseconds: Int) {
        appendName(Self.weekdayNames, t.weekday)
        append(byte: UInt8(ascii: " "))
        appendName(Self.monthNames, t.month - 1)
        append(byte: UInt8(ascii: " "))
        appendDecimal(UInt64(t.day), minimumDigits: 2)
        append(byte: UInt8(ascii: " "))
        appendDecimal(UInt64(t.hour), minimumDigits: 2)
        append(byte: UInt8(ascii: ":"))
        appendDecimal(UInt64(t.minute), minimumDigits: 2)
        append(byte: UInt8(ascii: ":"))
        appendDecimal(UInt64(t.second), minimumDigits: 2)
        append(byte: UInt8(ascii: "."))
        appendDecimal(UInt64(min(max(microseconds, 0), 999_999)), minimumDigits: 6)
        append(byte: UInt8(ascii: " "))
        appendDecimal(Int64(t.year), minimumDigits: 4)
    }

    private mutating func appendName(_ table: StaticString, _ index: Int) {
        table.withUTF8Buffer { append(UnsafeBufferPointer(rebasing: $0[(3 * index)..<(3 * index + 3)])) }
    }

    static let monthNames: StaticString = "JanFebMarAprMayJunJulAugSepOctNovDec"
    static let weekdayNames: StaticString = "SunMonTueWedThuFriSat"
}

/// What every request of the same second prints alike, computed once per second: the
/// server's offset from UTC (a `localtime_r`) and the `%t` text. mod_log_config keeps its
/// `%t` text the same way (a small table by second, `TIME_CACHE_SIZE`).
///
/// Shared by all event loops. The offset is one atomic word (second and offset packed),
/// read without a lock; the `%t` texts sit behind one `Mutex` (a compare-and-swap to take
/// and one to give back, where a Foundation lock costs a `pthread_mutex` round trip), a
/// slot a second, so requests that started in different recent seconds (a slow one
/// finishing late) do not evict each other.
final class LogTimeCache: Sendable {
    static let shared = LogTimeCache()

    /// One second's `%t`, for the offset it was printed in: its bytes held in the slot
    /// itself (no array to retain per line), as many as `length` says.
    private struct Slot {
        var seconds: Int64 = .min
        var utcOffset = 0
        var text: Text = (0, 0, 0, 0)
        var length = 0
    }

    /// Room for a `%t` of a year of up to five digits (a four-digit year's is 28 bytes);
    /// one that does not fit is not kept, but formatted each time.
    private typealias Text = (UInt64, UInt64, UInt64, UInt64)

    private static let slotCount = 16
    private let slots = Mutex([Slot](repeating: Slot(), count: LogTimeCache.slotCount))
    /// The last second asked for and its offset, packed: the second in the high 40 bits
    /// (Unix time until the year 36812; the last one is never kept, so no
    /// packed value is `emptyOffset`), the offset plus 2^23 in the low 24 (offsets are
    /// within ±26 hours). `emptyOffset` before the first question.
    private let packedOffset = Atomic<UInt64>(LogTimeCache.emptyOffset)
    private static let emptyOffset = UInt64.max
    private static let offsetBias = 1 << 23

    /// ``ErrorLogLine/localUTCOffset(atSeconds:)``, asked of the C library once per second.
    func utcOffset(atSeconds seconds: Int64) -> Int {
        let packed = packedOffset.load(ordering: .relaxed)
        if packed != Self.emptyOffset && Int64(bitPattern: packed >> 24) == seconds {
            return Int(packed & 0xff_ffff) - Self.offsetBias
        }
        let fresh = ErrorLogLine.localUTCOffset(atSeconds: seconds)
        // A second outside the packable range (or an absurd offset) is simply not kept.
        if seconds >= 0 && seconds < (1 << 40) - 1 && abs(fresh) < Self.offsetBias {
            packedOffset.store(UInt64(seconds) << 24 | UInt64(fresh + Self.offsetBias), ordering: .relaxed)
        }
        return fresh
    }

    /// `[10/Oct/2000:13:55:36 -0700]` for `seconds` at `utcOffset`, formatted once per
    /// second, appended to `out`: copied out of its slot under the lock, with no array
    /// handed around.
    func appendCommonLogTime(seconds: Int64, utcOffset: Int, to out: inout LogLineWriter) {
        let index = Int(UInt64(bitPattern: seconds) % UInt64(Self.slotCount))
        let found = slots.withLock { slots in
            guard slots[index].seconds == seconds && slots[index].utcOffset == utcOffset else { return false }
            out.append(bytesOf: slots[index].text, count: slots[index].length)
            return true
        }
        if found { return }
        let start = out.count
        out.appendCommonLogTime(CivilTime(epochSeconds: seconds, utcOffset: utcOffset))
        var slot = Slot(seconds: seconds, utcOffset: utcOffset)
        let kept = out.withUnsafeBytes(from: start) { written in
            withUnsafeMutableBytes(of: &slot.text) { text in
                guard written.count <= text.count else { return false }
                text.copyBytes(from: written)
                return true
            }
        }
        guard kept else { return }
        slot.length = out.count - start
        slots.withLock { $0[index] = slot }
    }
}
