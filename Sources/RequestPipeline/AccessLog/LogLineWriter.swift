import ISAPIHost

/// The bytes a log line (or a date, a time stamp, a log file's pending batch) is built in.
///
/// Written by hand over one allocation rather than kept in an `[UInt8]`: an access-log
/// line is some thirty small appends, and `Array.append` pays a uniqueness check and a
/// capacity check per call (about 20 instructions a byte of a literal). Here each append
/// makes room once (one comparison) and then stores through a pointer. Noncopyable: the
/// allocation has exactly one owner, and `deinit` frees it.
package struct LogLineWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    /// How many bytes are written.
    package private(set) var count: Int
    /// How many bytes fit before the allocation must grow.
    package private(set) var capacity: Int

    package init(capacity: Int) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
        count = 0
    }

    deinit { base.deallocate() }

    package var isEmpty: Bool { count == 0 }

    /// A copy of the bytes written.
    package var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    var string: String { String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self) }

    /// The bytes from `offset` on, read in place.
    package func withUnsafeBytes<T>(from offset: Int = 0, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        try body(UnsafeBufferPointer(start: base + offset, count: count - offset))
    }

    /// Takes back everything written after the first `newCount` bytes.
    package mutating func truncate(to newCount: Int) {
        precondition(newCount >= 0 && newCount <= count, "LogLineWriter.truncate(to:) beyond what is written")
        count = newCount
    }

    /// Forgets every byte; without `keepingCapacity` a large allocation is given back.
    package mutating func removeAll(keepingCapacity: Bool) {
        count = 0
        guard !keepingCapacity && capacity > 16 else { return }
        base.deallocate()
        capacity = 16
        base = .allocate(capacity: capacity)
    }

    /// Makes room for `extra` more bytes and returns where they go; the caller stores
    /// them and then moves `count` on (``advance(to:)``).
    @inline(__always)
    private mutating func room(_ extra: Int) -> UnsafeMutablePointer<UInt8> {
        if capacity &- count < extra { grow(toHold: count + extra) }
        return base + count
    }

    /// Marks the bytes up to `end` (a pointer ``room(_:)`` gave, moved on) as written.
    @inline(__always)
    private mutating func advance(to end: UnsafeMutablePointer<UInt8>) { count = end - base }

    @inline(never)
    private mutating func grow(toHold needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        fresh.initialize(from: base, count: count)
        base.deallocate()
        base = fresh
        capacity = newCapacity
    }

    package mutating func append(byte: UInt8) {
        room(1).pointee = byte
        count &+= 1
    }

    mutating func appendDash() { append(byte: UInt8(ascii: "-")) }

    /// Bytes from a buffer: a short run (a format's literal, a separator) byte by byte,
    /// which costs less than a `memcpy`'s set-up.
    mutating func append(_ buffer: UnsafeBufferPointer<UInt8>) {
        guard let source = buffer.baseAddress, !buffer.isEmpty else { return }
        let out = room(buffer.count)
        if buffer.count <= 8 {
            for index in 0..<buffer.count { out[index] = source[index] }
        } else {
            out.update(from: source, count: buffer.count)
        }
        count &+= buffer.count
    }

    mutating func append(_ text: [UInt8]) { text.withUnsafeBufferPointer { append($0) } }

    package mutating func append(_ text: String) {
        // A native String's bytes in one copy, not one by one through its UTF8View.
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { append($0) }
        if done == nil { append(contentsOf: text.utf8) }
    }

    package mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { append($0) }
    }

    /// Any bytes, one by one (what is not contiguous in memory).
    mutating func append<Bytes: Collection>(contentsOf bytes: Bytes) where Bytes.Element == UInt8 {
        var out = room(bytes.count)
        for byte in bytes {
            out.pointee = byte
            out += 1
        }
        advance(to: out)
    }

    package mutating func appendDecimal(_ value: Int64, minimumDigits: Int = 1, pad: UInt8 = UInt8(ascii: "0")) {
        if value < 0 { append(byte: UInt8(ascii: "-")) }
        appendDecimal(value.magnitude, minimumDigits: minimumDigits, pad: pad)
    }

    mutating func appendDecimal(_ value: UInt64, minimumDigits: Int = 1, pad: UInt8 = UInt8(ascii: "0")) {
        // Counted first, then written from the right into their place: no turning around.
        var digits = 1
        var left = value
        while left >= 10 {
            left /= 10
            digits &+= 1
        }
        let width = max(digits, minimumDigits)
        let out = room(width)
        var index = width
        left = value
        repeat {
            index &-= 1
            out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: left % 10)
            left /= 10
        } while left > 0
        while index > 0 {
            index &-= 1
            out[index] = pad
        }
        count &+= width
    }

    mutating func appendHex(_ value: UInt64) {
        var shift = 60
        while shift > 0 && (value >> UInt64(shift)) & 0xf == 0 { shift -= 4 }
        var out = room(shift / 4 + 1)
        while shift >= 0 {
            out.pointee = Self.hexDigit(UInt8((value >> UInt64(shift)) & 0xf))
            out += 1
            shift -= 4
        }
        advance(to: out)
    }

    static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10 }

    /// `ASCIICase.lower`, by the name the format code knows it.
    static func lowercase(_ byte: UInt8) -> UInt8 { ASCIICase.lower(byte) }

    /// Whether `text` equals the lower-cased ASCII `lowercased`, ignoring ASCII case.
    static func equalsLowercased<Name: Collection>(_ text: String, _ lowercased: Name) -> Bool where Name.Element == UInt8 {
        ASCIICase.equal(text.utf8, lowercased)
    }
}

extension LogLineWriter {
    /// `ap_escape_logitem`, or with `errorLog` `ap_escape_errorlog_item` (which leaves `"`
    /// alone); with `keepingBackslashes` a `\` stays single. In one pass: room for the
    /// worst case (four bytes for one) is made first, then every byte is stored, escaped
    /// or not; eight bytes that need no escape (as most do) are tested and copied at once.
    @inline(__always)
    mutating func appendEscaped(buffer text: UnsafeBufferPointer<UInt8>, errorLog: Bool = false,
                                keepingBackslashes: Bool = false) {
        guard let source = text.baseAddress else { return }
        let count = text.count
        var out = room(count &* 4)
        var index = 0
        while true {
            while count &- index >= 8 {
                let word = UnsafeRawPointer(source + index).loadUnaligned(as: UInt64.self)
                if Self.holdsByteToEscape(word, errorLog: errorLog, keepingBackslashes: keepingBackslashes) { break }
                UnsafeMutableRawPointer(out).storeBytes(of: word, as: UInt64.self)
                out += 8
                index &+= 8
            }
            guard index < count else { break }
            // Byte by byte: the one that stopped the words (then words again), or a tail
            // shorter than a word.
            let end = count &- index >= 8 ? index &+ 1 : count
            while index < end {
                let byte = source[index]
                index &+= 1
                if byte >= 0x20 && byte < 0x7f && (keepingBackslashes || byte != UInt8(ascii: "\\"))
                    && (errorLog || byte != UInt8(ascii: "\"")) {
                    out.pointee = byte
                    out += 1
                    continue
                }
                out.pointee = UInt8(ascii: "\\")
                switch byte {
                case 0x08: out[1] = UInt8(ascii: "b")
                case 0x0a: out[1] = UInt8(ascii: "n")
                case 0x0d: out[1] = UInt8(ascii: "r")
                case 0x09: out[1] = UInt8(ascii: "t")
                case 0x0b: out[1] = UInt8(ascii: "v")
                case UInt8(ascii: "\\"), UInt8(ascii: "\""): out[1] = byte
                default:
                    out[1] = UInt8(ascii: "x")
                    out[2] = Self.hexDigit(byte >> 4)
                    out[3] = Self.hexDigit(byte & 0x0f)
                    out += 2
                }
                out += 2
            }
        }
        advance(to: out)
    }

    /// Whether any of the eight bytes in `word` must be escaped: below 0x20, from 0x7f
    /// up, or (unless the caller keeps them) `\` and `"`. Each test leaves a byte's high
    /// bit set where that byte is in its class (the "has a zero byte" and "has a byte
    /// less than n" bit tricks); a borrow or carry only ever starts at a byte that is in
    /// some class itself, so the answer for the word as a whole is exact.
    @inline(__always)
    private static func holdsByteToEscape(_ word: UInt64, errorLog: Bool, keepingBackslashes: Bool) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- ones &* 0x20) & ~word & highBits
        let high = (word | (word &+ ones)) & highBits
        var found = control | high
        if !errorLog {
            let quotes = word ^ (ones &* 0x22)
            found |= (quotes &- ones) & ~quotes & highBits
        }
        if !keepingBackslashes {
            let backslashes = word ^ (ones &* 0x5c)
            found |= (backslashes &- ones) & ~backslashes & highBits
        }
        return found != 0
    }
}
