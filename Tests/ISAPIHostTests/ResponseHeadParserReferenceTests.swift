import Testing
@testable import ISAPIHost

/// The response-head parser walks the extension's bytes by index (it runs on every
/// extension response). It must answer exactly as the parser it replaced, which was
/// written plainly on array slices and is kept below as the reference: the same head,
/// body offset or failure text, for heads built at random from the bytes that matter
/// (blanks, colons, CR, LF, digits, control bytes, `HTTP/`, `Status`, `Location`).
@Suite struct ResponseHeadParserReferenceTests {
    static let pieces: [[UInt8]] = [
        "HTTP/1.1", "HTTP/", "http/1.0", "200", "404", "099", "1000", "302", " ", "  ", "\t", ":", ": ", "\r", "\n", "\r\n",
        "\r\n\r\n", "\n\n", "Status", "status: ", "Location", "Content-Type", "X", "OK", "Not Found", "a=1", "é",
        "\u{0}", "\u{1}", "\u{1B}", "\u{7F}", "(", "@", "!#$%&'*+-.^_`|~", "0", "9", "/",
    ].map { Array($0.utf8) } + [[0xFF], [0x80]]

    static func randomBytes(pieces count: Int, using generator: inout some RandomNumberGenerator) -> [UInt8] {
        (0..<count).flatMap { _ in pieces.randomElement(using: &generator)! }
    }

    @Test func answersAsTheReferenceParser() {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<20_000 {
            let status = round % 3 == 0 ? [] : Self.randomBytes(pieces: Int.random(in: 0...4, using: &generator), using: &generator)
            let block = Self.randomBytes(pieces: Int.random(in: 0...14, using: &generator), using: &generator)
            let defaultStatus: Int? = round % 2 == 0 ? nil : 404
            let expected = Reference.parse(status: status, headerBlock: block, defaultStatus: defaultStatus)
            let actual = ResponseHeadParser.parse(status: status, headerBlock: block, defaultStatus: defaultStatus)
            #expect(actual == expected, "status \(status) block \(block)")
            #expect(ResponseHeadParser.looksLikeHeaderBlock(block) == Reference.looksLikeHeaderBlock(block), "block \(block)")
            if actual != expected { return }
        }
    }

    /// The parser as it was before it walked bytes by index (isapid 2a3b874).
    enum Reference {
        static func parse(status: [UInt8], headerBlock: [UInt8], defaultStatus: Int?) -> Result<ResponseHeadParser.Parsed, ResponseHeadParser.Failure> {
            var head = ResponseHead(status: 0, reason: nil, headers: [])
            if let firstNonSpace = status.firstIndex(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) {
                guard let (code, reason) = parseStatusLine(status[firstNonSpace...]) else {
                    return .failure(.badStatus(LogText.escaped(status, inQuotes: true)))
                }
                head.status = code
                head.reason = reason
            }
            var index = 0
            var first = true
            var sawBlankLine = false
            while index < headerBlock.count {
                let lineEnd = headerBlock[index...].firstIndex(of: UInt8(ascii: "\n")) ?? headerBlock.count
                var line = headerBlock[index..<lineEnd]
                index = min(lineEnd + 1, headerBlock.count)
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                if line.isEmpty {
                    sawBlankLine = true
                    break
                }
                if first && head.status == 0 && !line.contains(UInt8(ascii: ":")) {
                    guard let (code, reason) = parseStatusLine(line) else {
                        return .failure(.malformed(LogText.escaped(line, inQuotes: true)))
                    }
                    head.status = code
                    head.reason = reason
                    first = false
                    continue
                }
                first = false
                switch parseHeaderLine(line) {
                case .failure(let failure): return .failure(failure)
                case .success(let (name, value)):
                    if ASCIICase.equal(name, "Status") {
                        let rawValue = trimmed(line.drop { $0 != UInt8(ascii: ":") }.dropFirst())
                        guard let (code, reason) = parseStatusLine(rawValue) else {
                            return .failure(.badStatus(LogText.escaped(rawValue, inQuotes: true)))
                        }
                        head.status = code
                        head.reason = reason
                    } else {
                        head.headers.append((name: name, value: value))
                    }
                }
            }
            if !sawBlankLine { index = headerBlock.count }
            if head.status == 0 {
                if head.headers.contains(where: { ASCIICase.equal($0.name, "Location") }) {
                    head.status = 302
                } else {
                    head.status = defaultStatus ?? 200
                }
            }
            return .success(ResponseHeadParser.Parsed(head: head, bodyStart: index))
        }

        /// Whether the first WriteClient data is meant as a CGI-style head: its first line is
        /// a status line or a `Name:` header, and a blank line ends the head. Such data is
        /// parsed (and refused when a later line is bad); anything else is body, as IIS treats it.
        static func looksLikeHeaderBlock(_ data: [UInt8]) -> Bool {
            guard let firstEnd = data.firstIndex(of: UInt8(ascii: "\n")) else { return false }
            var first = data[..<firstEnd]
            if first.last == UInt8(ascii: "\r") { first = first.dropLast() }
            guard !first.isEmpty else { return false }
            if let colon = first.firstIndex(of: UInt8(ascii: ":")) {
                let name = first[..<colon]
                guard !name.isEmpty, name.allSatisfy(isTokenByte) else { return false }
            } else if parseStatusLine(first) == nil {
                return false
            }
            let crlfcrlf: [UInt8] = [13, 10, 13, 10]
            return data.firstRange(of: crlfcrlf) != nil || data.firstRange(of: [10, 10]) != nil
        }

        /// `HTTP/1.x NNN reason` or `NNN reason`: the code and the reason (nil when absent).
        static func parseStatusLine(_ line: ArraySlice<UInt8>) -> (Int, String?)? {
            // On bytes: this runs for every extension response.
            var text = line.drop { $0 == space || $0 == tab }
            if text.starts(with: "HTTP/".utf8) {
                guard let gap = text.firstIndex(of: space) else { return nil }
                text = text[(gap + 1)...].drop { $0 == space }
            }
            let digits = text.prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            guard digits.count == 3 else { return nil }
            let code = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            guard (100...999).contains(code) else { return nil }
            let rest = text.dropFirst(3)
            guard rest.isEmpty || rest.first == space || rest.first == tab else { return nil }
            let reason = trimmed(rest)
            guard !reason.contains(where: { ($0 < 0x20 && $0 != tab) || $0 == 0x7F }) else { return nil }
            return (code, reason.isEmpty ? nil : String(decoding: reason, as: UTF8.self))
        }

        private static let space = UInt8(ascii: " ")
        private static let tab = UInt8(ascii: "\t")

        /// Without leading and trailing spaces and tabs.
        private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
            let start = bytes.firstIndex { $0 != space && $0 != tab } ?? bytes.endIndex
            let end = bytes.lastIndex { $0 != space && $0 != tab }.map { $0 + 1 } ?? start
            return bytes[start..<max(start, end)]
        }

        static func parseHeaderLine(_ line: ArraySlice<UInt8>) -> Result<(String, String), ResponseHeadParser.Failure> {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                return .failure(.malformed(LogText.escaped(line, inQuotes: true)))
            }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
                return .failure(.malformed(LogText.escaped(line, inQuotes: true)))
            }
            let value = line[(colon + 1)...]
            guard !value.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) else {
                return .failure(.malformed(LogText.escaped(line, inQuotes: true)))
            }
            return .success((String(decoding: name, as: UTF8.self), String(decoding: trimmed(value), as: UTF8.self)))
        }

        static func isTokenByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }
}
