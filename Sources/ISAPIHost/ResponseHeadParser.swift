/// The response head an extension gives in SEND_RESPONSE_HEADER(_EX), TRANSMIT_FILE or
/// its first WriteClient: a status and CGI-style header lines ending with a blank line,
/// parsed the way mod_isapi parses them, without its bugs (spec §4 items 5 and 10):
/// counts are never trusted past the data, a status-only head still commits, `Location`
/// without a status means 302, a `dwHttpStatusCode` the extension set is honoured when
/// no status was written, and a first WriteClient that is not a header block is body.
public struct ResponseHead: Sendable, Equatable {
    public var status: Int
    public var reason: String?
    public var headers: [(name: String, value: String)]

    public static func == (lhs: ResponseHead, rhs: ResponseHead) -> Bool {
        lhs.status == rhs.status && lhs.reason == rhs.reason
            && lhs.headers.elementsEqual(rhs.headers) { $0.name == $1.name && $0.value == $1.value }
    }
}

public enum ResponseHeadParser {
    /// What was wrong, with the offending bytes escaped for a log (`LogText`, in quotes).
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// A line that is neither a header nor the status line, a bad name, or a CR/LF
        /// inside a value (which would split the response): the extension gets FALSE/87.
        case malformed(String)
        /// The status is not a number from 100 to 999.
        case badStatus(String)

        /// For the error log: `bad status "\xff 200"`.
        public var description: String {
            switch self {
            case .malformed(let text): return "bad line \"\(text)\""
            case .badStatus(let text): return "bad status \"\(text)\""
            }
        }
    }

    /// The outcome: the head, and where the body starts in the header block.
    public struct Parsed: Sendable, Equatable {
        public var head: ResponseHead
        public var bodyStart: Int
    }

    /// Parses an explicit status (`"404 Not Found"` or `"HTTP/1.1 404 Not Found"`, may be
    /// empty) and a header block (may be empty; when present it should end with a blank
    /// line, and a missing final blank line is tolerated here because the SSF call says
    /// where the head ends).
    public static func parse(status: [UInt8], headerBlock: [UInt8], defaultStatus: Int?) -> Result<Parsed, Failure> {
        status.withUnsafeBytes { status in
            headerBlock.withUnsafeBytes { block in parse(status: status, headerBlock: block, defaultStatus: defaultStatus) }
        }
    }

    /// `parse` on the extension's own memory, read in place during its call: every
    /// extension response passes here, so the bytes are walked by index, once, and only
    /// the strings the head keeps are made (a parse on array slices cost ~2,800
    /// instructions for a one-field head).
    public static func parse(status: UnsafeRawBufferPointer, headerBlock block: UnsafeRawBufferPointer,
                             defaultStatus: Int?) -> Result<Parsed, Failure> {
        var head = ResponseHead(status: 0, reason: nil, headers: [])
        let statusText = withoutLeadingBlanks(status, 0..<status.count)
        if !statusText.isEmpty {
            guard let (code, reason) = parseStatusLine(status, statusText) else {
                return .failure(.badStatus(LogText.escaped(status, inQuotes: true)))
            }
            head.status = code
            head.reason = reason
        }
        var index = 0
        var first = true
        var sawBlankLine = false
        while index < block.count {
            var lineEnd = index
            while lineEnd < block.count && block[lineEnd] != lf { lineEnd += 1 }
            let line = index..<(lineEnd > index && block[lineEnd - 1] == cr ? lineEnd - 1 : lineEnd)
            index = min(lineEnd + 1, block.count)
            if line.isEmpty {
                sawBlankLine = true
                break
            }
            let colon = firstIndex(of: UInt8(ascii: ":"), in: block, line)
            if first && head.status == 0 && colon == nil {
                guard let (code, reason) = parseStatusLine(block, line) else {
                    return .failure(.malformed(escaped(block, line)))
                }
                head.status = code
                head.reason = reason
                first = false
                continue
            }
            first = false
            guard let (name, value) = parseHeaderLine(block, line, colon: colon) else {
                return .failure(.malformed(escaped(block, line)))
            }
            if ASCIICase.equal(bytes(block, name), "Status") {
                guard let (code, reason) = parseStatusLine(block, value) else {
                    return .failure(.badStatus(escaped(block, value)))
                }
                head.status = code
                head.reason = reason
            } else {
                if head.headers.isEmpty { head.headers.reserveCapacity(4) }  // room for the framing fields the connection adds
                head.headers.append((name: string(block, name), value: string(block, value)))
            }
        }
        if !sawBlankLine { index = block.count }
        if head.status == 0 {
            if head.headers.contains(where: { ASCIICase.equal($0.name, "Location") }) {
                head.status = 302
            } else {
                head.status = defaultStatus ?? 200
            }
        }
        return .success(Parsed(head: head, bodyStart: index))
    }

    /// Whether the first WriteClient data is meant as a CGI-style head: its first line is
    /// a status line or a `Name:` header, and a blank line ends the head. Such data is
    /// parsed (and refused when a later line is bad); anything else is body, as IIS treats it.
    public static func looksLikeHeaderBlock(_ data: [UInt8]) -> Bool {
        data.withUnsafeBytes { looksLikeHeaderBlock($0) }
    }

    /// `looksLikeHeaderBlock` on the extension's own memory.
    public static func looksLikeHeaderBlock(_ data: UnsafeRawBufferPointer) -> Bool {
        guard let firstEnd = firstIndex(of: lf, in: data, 0..<data.count) else { return false }
        let first = 0..<(firstEnd > 0 && data[firstEnd - 1] == cr ? firstEnd - 1 : firstEnd)
        guard !first.isEmpty else { return false }
        if let colon = firstIndex(of: UInt8(ascii: ":"), in: data, first) {
            guard colon > 0, (0..<colon).allSatisfy({ isTokenByte(data[$0]) }) else { return false }
        } else if parseStatusLine(data, first) == nil {
            return false
        }
        let crlfcrlf: [UInt8] = [13, 10, 13, 10]
        return data.firstRange(of: crlfcrlf) != nil || data.firstRange(of: [10, 10]) != nil
    }

    /// `HTTP/1.x NNN reason` or `NNN reason` in `bytes[line]`: the code and the reason
    /// (nil when absent).
    static func parseStatusLine(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) -> (Int, String?)? {
        var text = withoutLeadingBlanks(bytes, line)
        if starts(bytes, text, with: "HTTP/") {
            guard let gap = firstIndex(of: space, in: bytes, text) else { return nil }
            var start = gap + 1
            while start < text.upperBound && bytes[start] == space { start += 1 }
            text = start..<text.upperBound
        }
        guard text.count >= 3 else { return nil }
        var code = 0
        for index in text.lowerBound..<text.lowerBound + 3 {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            code = code * 10 + Int(digit)
        }
        guard code >= 100 else { return nil }
        let rest = (text.lowerBound + 3)..<text.upperBound
        guard rest.isEmpty || bytes[rest.lowerBound] == space || bytes[rest.lowerBound] == tab else { return nil }
        let reason = trimmed(bytes, rest)
        guard !reason.contains(where: { isControl(bytes[$0]) }) else { return nil }
        return (code, reason.isEmpty ? nil : string(bytes, reason))
    }

    /// `Name: value` in `bytes[line]`, its first colon at `colon`: the name's and the
    /// trimmed value's ranges, or nil for a line without a colon, a name that is not a
    /// token, or a control byte in the value (a CR or LF there would split the response).
    static func parseHeaderLine(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>,
                                colon: Int?) -> (name: Range<Int>, value: Range<Int>)? {
        guard let colon else { return nil }
        let name = line.lowerBound..<colon
        guard !name.isEmpty, name.allSatisfy({ isTokenByte(bytes[$0]) }) else { return nil }
        let value = (colon + 1)..<line.upperBound
        guard !value.contains(where: { isControl(bytes[$0]) }) else { return nil }
        return (name, trimmed(bytes, value))
    }

    /// RFC 9110's tchar.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// A byte no status reason or field value may hold: a control byte other than tab, or DEL.
    private static func isControl(_ byte: UInt8) -> Bool { (byte < 0x20 && byte != tab) || byte == 0x7F }

    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    private static func starts(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, with prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        return range.count >= count
            && self.bytes(bytes, range.lowerBound..<range.lowerBound + count)
                .elementsEqual(UnsafeBufferPointer(start: prefix.utf8Start, count: count))
    }

    private static func firstIndex(of byte: UInt8, in bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        range.first { bytes[$0] == byte }
    }

    /// `range` without its leading spaces and tabs.
    private static func withoutLeadingBlanks(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        var start = range.lowerBound
        while start < range.upperBound && (bytes[start] == space || bytes[start] == tab) { start += 1 }
        return start..<range.upperBound
    }

    /// `range` without leading and trailing spaces and tabs.
    private static func trimmed(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        let rest = withoutLeadingBlanks(bytes, range)
        var end = rest.upperBound
        while end > rest.lowerBound && (bytes[end - 1] == space || bytes[end - 1] == tab) { end -= 1 }
        return rest.lowerBound..<end
    }

    private static func bytes(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeRawBufferPointer(rebasing: bytes[range]).assumingMemoryBound(to: UInt8.self)
    }

    private static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: self.bytes(bytes, range), as: UTF8.self)
    }

    /// For the error log, in quotes.
    private static func escaped(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        LogText.escaped(bytes[range], inQuotes: true)
    }
}
