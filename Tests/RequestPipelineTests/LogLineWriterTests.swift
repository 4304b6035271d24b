import Testing
@testable import RequestPipeline

/// The byte writer under every log line: its escaping (eight bytes at a time where none
/// needs it), its growth and its numbers, each against a plain model.
struct LogLineWriterTests {
    /// `ap_escape_logitem` byte by byte, the model the writer's escaping must match.
    private static func modelEscape(_ bytes: [UInt8], errorLog: Bool, keepingBackslashes: Bool) -> [UInt8] {
        var out: [UInt8] = []
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\") where !keepingBackslashes: out += [UInt8(ascii: "\\"), byte]
            case UInt8(ascii: "\"") where !errorLog: out += [UInt8(ascii: "\\"), byte]
            case 0x08: out += Array(#"\b"#.utf8)
            case 0x09: out += Array(#"\t"#.utf8)
            case 0x0a: out += Array(#"\n"#.utf8)
            case 0x0b: out += Array(#"\v"#.utf8)
            case 0x0d: out += Array(#"\r"#.utf8)
            case 0x20..<0x7f: out.append(byte)
            default:
                let hex = Array("0123456789abcdef".utf8)
                out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 0xf)]]
            }
        }
        return out
    }

    private static func escape(_ bytes: [UInt8], errorLog: Bool, keepingBackslashes: Bool) -> [UInt8] {
        var out = LogLineWriter(capacity: 0)
        bytes.withUnsafeBufferPointer {
            out.appendEscaped(buffer: $0, errorLog: errorLog, keepingBackslashes: keepingBackslashes)
        }
        return out.bytes
    }

    @Test("every byte value, at every place of a run of 1 to 24, is escaped as byte by byte",
          arguments: [(false, false), (true, false), (true, true), (false, true)])
    func escapingMatchesTheModel(errorLog: Bool, keepingBackslashes: Bool) {
        // Every length up to 17 (the short paths test two overlapping halves of 2, 4 and 8
        // bytes), then the word loop with tails.
        for length in Array(1...17) + [23, 24] {
            for place in 0..<length {
                for value in 0...255 {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[place] = UInt8(value)
                    let got = Self.escape(bytes, errorLog: errorLog, keepingBackslashes: keepingBackslashes)
                    let expected = Self.modelEscape(bytes, errorLog: errorLog, keepingBackslashes: keepingBackslashes)
                    if got != expected {
                        Issue.record("length \(length), byte \(value) at \(place): \(got) != \(expected)")
                        return
                    }
                }
            }
        }
    }

    @Test("bytes next to each other that the word tests could confuse (borrows, carries) are escaped exactly")
    func neighbouringBytes() {
        // A borrow from a byte below 0x20, or a carry from 0xff, into its neighbour.
        let awkward: [UInt8] = [0x00, 0x01, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x7e, 0x7f, 0x80, 0xfe, 0xff]
        for first in awkward {
            for second in awkward {
                let bytes = [UInt8](repeating: UInt8(ascii: "z"), count: 5) + [first, second] + [UInt8(ascii: "z")] * 9
                for (errorLog, keeping) in [(false, false), (true, true)] {
                    #expect(Self.escape(bytes, errorLog: errorLog, keepingBackslashes: keeping)
                            == Self.modelEscape(bytes, errorLog: errorLog, keepingBackslashes: keeping))
                }
            }
        }
    }

    @Test("a writer grows past its first room and keeps every byte in order")
    func growth() {
        var out = LogLineWriter(capacity: 0)
        var expected: [UInt8] = []
        for round in 0..<500 {
            let text = String(repeating: "x", count: round % 37) + "\(round)"
            out.append(text)
            out.append(byte: UInt8(ascii: ";"))
            expected += Array(text.utf8) + [UInt8(ascii: ";")]
        }
        #expect(out.bytes == expected)
        let (count, capacity) = (out.count, out.capacity)
        #expect(count == expected.count && capacity >= count)
        out.truncate(to: 3)
        #expect(out.bytes == Array(expected.prefix(3)))
        out.removeAll(keepingCapacity: false)
        let emptied = out.isEmpty
        #expect(emptied)
        out.append("after" as StaticString)
        #expect(out.string == "after")
    }

    @Test("numbers are written as decimal with their padding, and as hex")
    func numbers() {
        var out = LogLineWriter(capacity: 4)
        out.appendDecimal(Int64(0))
        out.append(byte: UInt8(ascii: " "))
        out.appendDecimal(Int64(-42), minimumDigits: 4)
        out.append(byte: UInt8(ascii: " "))
        out.appendDecimal(UInt64.max)
        out.append(byte: UInt8(ascii: " "))
        out.appendDecimal(UInt64(7), minimumDigits: 3, pad: UInt8(ascii: " "))
        out.append(byte: UInt8(ascii: " "))
        out.appendHex(0)
        out.append(byte: UInt8(ascii: " "))
        out.appendHex(0xdead_beef)
        #expect(out.string == "0 -0042 18446744073709551615   7 0 deadbeef")
    }

    @Test("every number up to 100,000 and either side of each power of ten is written as String has it")
    func decimalsMatchString() {
        var values = Array(UInt64(0)...100_000)
        var power: UInt64 = 1
        for _ in 0..<19 {
            power *= 10
            values += [power - 1, power, power + 1]
        }
        values.append(UInt64.max)
        var mismatches: [UInt64] = []
        for value in values {
            var out = LogLineWriter(capacity: 0)
            out.appendDecimal(value)
            if out.string != String(value) { mismatches.append(value) }
        }
        #expect(mismatches.isEmpty, "first: \(mismatches.prefix(5))")
    }
}

private func * (bytes: [UInt8], count: Int) -> [UInt8] { Array([[UInt8]](repeating: bytes, count: count).joined()) }
