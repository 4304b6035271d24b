import ISAPIHost

/// The byte buffer a log line (or a date, a time stamp) is built in; turned
/// into a `String` once at the end.
package struct LogLineWriter {
    package var bytes: [UInt8]

    package init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    package mutating func append(byte: UInt8) { bytes.append(byte) }
    mutating func appendDash() { bytes.append(UInt8(ascii: "-")) }
    mutating func append(_ text: [UInt8]) { bytes.append(contentsOf: text) }
    package mutating func append(_ text: String) {
        // A native String's bytes in one copy, not one by one through its UTF8View.
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { bytes.append(contentsOf: $0) }
        if done == nil { bytes.append(contentsOf: text.utf8) }
    }
    package mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    package mutating func appendDecimal(_ value: Int64, minimumDigits: Int = 1, pad: UInt8 = UInt8(ascii: "0")) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDecimal(value.magnitude, minimumDigits: minimumDigits, pad: pad)
    }

    mutating func appendDecimal(_ value: UInt64, minimumDigits: Int = 1, pad: UInt8 = UInt8(ascii: "0")) {
        // The digits from the right (a division by the constant 10 each, a multiplication),
        // then the padding, then the whole turned around.
        let start = bytes.count
        var left = value
        repeat {
            bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: left % 10))
            left /= 10
        } while left > 0
        while bytes.count - start < minimumDigits { bytes.append(pad) }
        var low = start
        var high = bytes.count - 1
        while low < high {
            bytes.swapAt(low, high)
            low += 1
            high -= 1
        }
    }

    /// Bytes from a buffer: a short run (a format's literal, a separator) byte by byte,
    /// which costs less than the general copy's set-up.
    mutating func append(_ buffer: UnsafeBufferPointer<UInt8>) {
        if buffer.count <= 4 {
            for byte in buffer { bytes.append(byte) }
        } else {
            bytes.append(contentsOf: buffer)
        }
    }

    mutating func appendHex(_ value: UInt64) {
        var shift = 60
        while shift > 0 && (value >> UInt64(shift)) & 0xf == 0 { shift -= 4 }
        while shift >= 0 {
            bytes.append(Self.hexDigit(UInt8((value >> UInt64(shift)) & 0xf)))
            shift -= 4
        }
    }

    static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10 }

    /// `ASCIICase.lower`, by the name the format code knows it.
    static func lowercase(_ byte: UInt8) -> UInt8 { ASCIICase.lower(byte) }

    /// Whether `text` equals the lower-cased ASCII `lowercased`, ignoring ASCII case.
    static func equalsLowercased(_ text: String, _ lowercased: [UInt8]) -> Bool {
        ASCIICase.equal(text.utf8, lowercased)
    }
}
