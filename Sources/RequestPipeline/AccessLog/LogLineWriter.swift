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
    /// up to 64 (a `%t`, an address, a path) a word at a time, the last word overlapping
    /// the one before; both cost less than a `memcpy`'s call and set-up.
    mutating func append(_ buffer: UnsafeBufferPointer<UInt8>) {
        guard let source = buffer.baseAddress, !buffer.isEmpty else { return }
        let length = buffer.count
        let out = room(length)
        if length < 8 {
            for index in 0..<length { out[index] = source[index] }
        } else if length <= 64 {
            let from = UnsafeRawPointer(source)
            let to = UnsafeMutableRawPointer(out)
            var index = 0
            while index &+ 8 < length {
                to.storeBytes(of: from.loadUnaligned(fromByteOffset: index, as: UInt64.self), toByteOffset: index,
                              as: UInt64.self)
                index &+= 8
            }
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: length &- 8, as: UInt64.self),
                          toByteOffset: length &- 8, as: UInt64.self)
        } else {
            out.update(from: source, count: length)
        }
        count &+= length
    }

    /// The first `count` bytes of `value` (bytes held in a plain value: a cached time
    /// stamp, a short literal read as one word): the whole value is stored, and `count`
    /// of its bytes count as written.
    @inline(__always)
    mutating func append<Bytes: BitwiseCopyable>(bytesOf value: Bytes, count: Int) {
        precondition(count >= 0 && count <= MemoryLayout<Bytes>.size)
        UnsafeMutableRawPointer(room(MemoryLayout<Bytes>.size)).storeBytes(of: value, as: Bytes.self)
        self.count &+= count
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

    /// A status code: three digits written directly when it has three, as every real one has.
    @inline(__always)
    mutating func appendStatus(_ status: Int) {
        guard status >= 100 && status <= 999 else {
            appendDecimal(Int64(status))
            return
        }
        let out = room(3)
        let hundreds = status / 100
        let rest = status &- hundreds &* 100
        out[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: hundreds)
        out[1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest / 10)
        out[2] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
        count &+= 3
    }

    package mutating func appendDecimal(_ value: Int64, minimumDigits: Int = 1, pad: UInt8 = UInt8(ascii: "0")) {
        if value < 0 { append(byte: UInt8(ascii: "-")) }
        appendDecimal(value.magnitude, minimumDigits: minimumDigits, pad: pad)
    }

    mutating func appendDecimal(_ value: UInt64, minimumDigits: Int = 1, pad: UInt8 = UInt8(ascii: "0")) {
        // Counted by comparisons (a status, a small size: two or three), then written from
        // the right two digits a division: no turning around, half the divisions.
        var digits = 1
        var bound: UInt64 = 10
        while value >= bound && digits < 20 {
            digits &+= 1
            bound = bound &* 10
        }
        let width = max(digits, minimumDigits)
        let out = room(width)
        var index = width
        var left = value
        Self.digitPairs.withUTF8Buffer { pairs in
            while left >= 10 {
                let pair = Int(truncatingIfNeeded: left % 100) &* 2
                left /= 100
                index &-= 2
                out[index] = pairs[pair]
                out[index &+ 1] = pairs[pair &+ 1]
            }
        }
        if index > width &- digits {
            index &-= 1
            out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: left)
        }
        while index > 0 {
            index &-= 1
            out[index] = pad
        }
        count &+= width
    }

    /// "00" to "99", for ``appendDecimal(_:minimumDigits:pad:)``.
    private static let digitPairs: StaticString = """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """

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
    /// alone); with `keepingBackslashes` a `\` stays single. Room for the worst case (four
    /// bytes for one) is made first. A text of up to 16 bytes (an address, a method, a
    /// path, a protocol: most of a line's values) that needs no escape is tested and
    /// copied as two overlapping words, with no loop; anything else goes through
    /// ``appendEscaped(_:count:to:errorLog:keepingBackslashes:)``.
    @inline(__always)
    mutating func appendEscaped(buffer text: UnsafeBufferPointer<UInt8>, errorLog: Bool = false,
                                keepingBackslashes: Bool = false) {
        guard let source = text.baseAddress, !text.isEmpty else { return }
        let length = text.count
        let out = room(length &* 4)
        if length <= 16
            && Self.copiedClean(source, count: length, to: out, errorLog: errorLog, keepingBackslashes: keepingBackslashes) {
            count &+= length
            return
        }
        advance(to: Self.appendEscaped(source, count: length, to: out, errorLog: errorLog,
                                       keepingBackslashes: keepingBackslashes))
    }

    /// The `count` (1...16) bytes at `source` copied to `out` when none needs an escape,
    /// tested as two words that overlap (or meet) in the middle: the first and last eight
    /// bytes, four, or two, padded with spaces below that. False, with nothing stored,
    /// when a byte needs an escape.
    @inline(__always)
    private static func copiedClean(_ source: UnsafePointer<UInt8>, count: Int, to out: UnsafeMutablePointer<UInt8>,
                                    errorLog: Bool, keepingBackslashes: Bool) -> Bool {
        let text = UnsafeRawPointer(source)
        let target = UnsafeMutableRawPointer(out)
        if count >= 8 {
            let first = text.loadUnaligned(as: UInt64.self)
            let last = text.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
            guard !holdsByteToEscape(first, last, errorLog: errorLog, keepingBackslashes: keepingBackslashes) else {
                return false
            }
            target.storeBytes(of: first, as: UInt64.self)
            target.storeBytes(of: last, toByteOffset: count &- 8, as: UInt64.self)
        } else if count >= 4 {
            let first = text.loadUnaligned(as: UInt32.self)
            let last = text.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
            guard !holdsByteToEscape(UInt64(first) | UInt64(last) << 32, errorLog: errorLog,
                                     keepingBackslashes: keepingBackslashes) else { return false }
            target.storeBytes(of: first, as: UInt32.self)
            target.storeBytes(of: last, toByteOffset: count &- 4, as: UInt32.self)
        } else if count >= 2 {
            let first = text.loadUnaligned(as: UInt16.self)
            let last = text.loadUnaligned(fromByteOffset: count &- 2, as: UInt16.self)
            let spaces: UInt64 = 0x2020_2020_0000_0000
            guard !holdsByteToEscape(UInt64(first) | UInt64(last) << 16 | spaces, errorLog: errorLog,
                                     keepingBackslashes: keepingBackslashes) else { return false }
            target.storeBytes(of: first, as: UInt16.self)
            target.storeBytes(of: last, toByteOffset: count &- 2, as: UInt16.self)
        } else {
            guard !holdsByteToEscape(UInt64(source.pointee) | 0x2020_2020_2020_2000, errorLog: errorLog,
                                     keepingBackslashes: keepingBackslashes) else { return false }
            out.pointee = source.pointee
        }
        return true
    }

    /// The general case of ``appendEscaped(buffer:errorLog:keepingBackslashes:)``: `count`
    /// bytes at `source` stored escaped from `out` on (which has room for four bytes each);
    /// returns where they end. Eight bytes that need no escape are tested and copied at
    /// once; a byte that does, and a tail shorter than eight, go byte by byte.
    private static func appendEscaped(_ source: UnsafePointer<UInt8>, count: Int, to start: UnsafeMutablePointer<UInt8>,
                                      errorLog: Bool, keepingBackslashes: Bool) -> UnsafeMutablePointer<UInt8> {
        var out = start
        var index = 0
        while true {
            while count &- index >= 8 {
                let word = UnsafeRawPointer(source + index).loadUnaligned(as: UInt64.self)
                if holdsByteToEscape(word, errorLog: errorLog, keepingBackslashes: keepingBackslashes) { break }
                UnsafeMutableRawPointer(out).storeBytes(of: word, as: UInt64.self)
                out += 8
                index &+= 8
            }
            guard index < count else { return out }
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
                    out[2] = hexDigit(byte >> 4)
                    out[3] = hexDigit(byte & 0x0f)
                    out += 2
                }
                out += 2
            }
        }
    }

    /// ``holdsByteToEscape(_:errorLog:keepingBackslashes:)`` of two words at once.
    @inline(__always)
    private static func holdsByteToEscape(_ first: UInt64, _ second: UInt64, errorLog: Bool,
                                          keepingBackslashes: Bool) -> Bool {
        escapeBits(first, errorLog: errorLog, keepingBackslashes: keepingBackslashes)
            | escapeBits(second, errorLog: errorLog, keepingBackslashes: keepingBackslashes) != 0
    }

    /// Whether any of the eight bytes in `word` must be escaped: below 0x20, from 0x7f
    /// up, or (unless the caller keeps them) `\` and `"`. Each test leaves a byte's high
    /// bit set where that byte is in its class (the "has a zero byte" and "has a byte
    /// less than n" bit tricks); a borrow or carry only ever starts at a byte that is in
    /// some class itself, so the answer for the word as a whole is exact.
    @inline(__always)
    private static func holdsByteToEscape(_ word: UInt64, errorLog: Bool, keepingBackslashes: Bool) -> Bool {
        escapeBits(word, errorLog: errorLog, keepingBackslashes: keepingBackslashes) != 0
    }

    /// The high bit of each byte of `word` that must be escaped (and perhaps of bytes
    /// after one that must: only whether it is zero is exact).
    @inline(__always)
    private static func escapeBits(_ word: UInt64, errorLog: Bool, keepingBackslashes: Bool) -> UInt64 {
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
        return found
    }
}
