import PCRE2Regex

/// An ISAPI_Rewrite 2 format string (Boost "format_all" syntax), parsed once.
///
/// Everything is literal except `$ \ ( ) ?` (and `:` inside a conditional):
/// - `$N` is group N, one or two digits as Boost 1.33 reads them (`$12` is group 12;
///   write `($1)2` for group 1 then "2"); `$0` and `$&` the whole match; `` $` `` and
///   `$'` the text before and after it (empty under a full match); `$$` a literal `$`;
///   a `$` before anything else is literal.
/// - `( … )` groups without being output; `\(` and `\)` are literal parentheses.
/// - `?N` starts a conditional, `(?Ntrue:false)`: `true` if group N matched, else `false`.
///   The false branch runs to the end of the enclosing group.
/// - A `?` not followed by a digit is a literal `?` (Boost 1.33; 1.31 dropped it), so
///   `/a.asp?id=$1` keeps its query, as rules in the field expect.
/// - `\a \e \f \n \r \t \v`, `\xHH`, `\x{H…}` and `\cX` are characters by code; a
///   backslash before anything else outputs that character.
/// An unmatched or nonexistent group expands to nothing.
public struct V2FormatString: Sendable, Equatable {
    /// The text as written in the rule.
    public let source: String
    let nodes: [FormatNode]

    public init(_ source: String) throws(FormatStringError) {
        self.source = source
        var parser = FormatParser(Array(source.utf8))
        nodes = try parser.parseTopLevel()
    }

    /// Expands the format against a match of `subject`.
    public func expand(_ match: RegexMatch) -> [UInt8] {
        var output: [UInt8] = []
        Self.expand(nodes, match, into: &output)
        return output
    }

    private static func expand(_ nodes: [FormatNode], _ match: RegexMatch, into output: inout [UInt8]) {
        for node in nodes {
            switch node {
            case .literal(let bytes):
                output.append(contentsOf: bytes)
            case .group(let number):
                if let bytes = match.bytes(number) { output.append(contentsOf: bytes) }
            case .beforeMatch:
                if let whole = match.ranges.first ?? nil { output.append(contentsOf: match.subjectBytes[..<whole.lowerBound]) }
            case .afterMatch:
                if let whole = match.ranges.first ?? nil { output.append(contentsOf: match.subjectBytes[whole.upperBound...]) }
            case .conditional(let number, let ifMatched, let otherwise):
                expand(match.bytes(number) != nil ? ifMatched : otherwise, match, into: &output)
            }
        }
    }
}

/// A format string the parser could not read.
public struct FormatStringError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

indirect enum FormatNode: Sendable, Equatable {
    case literal([UInt8])
    case group(Int)
    case beforeMatch
    case afterMatch
    case conditional(Int, ifMatched: [FormatNode], otherwise: [FormatNode])
}

private struct FormatParser {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseTopLevel() throws(FormatStringError) -> [FormatNode] {
        let nodes = try parseSequence(inGroup: false, inTrueBranch: false)
        if position < bytes.count {
            // Only a `)` without its `(` stops the top level.
            throw FormatStringError(message: "unbalanced ')' at offset \(position) in format string (write \\) for a literal one)")
        }
        return nodes
    }

    /// Reads until the end, a `)` that closes the enclosing group (left unread), or,
    /// in a conditional's true branch, its `:` (left unread).
    private mutating func parseSequence(inGroup: Bool, inTrueBranch: Bool) throws(FormatStringError) -> [FormatNode] {
        var nodes: [FormatNode] = []
        var literal: [UInt8] = []
        func flush() {
            if !literal.isEmpty { nodes.append(.literal(literal)); literal.removeAll() }
        }
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: ")"):
                flush()
                return nodes
            case UInt8(ascii: ":") where inTrueBranch:
                flush()
                return nodes
            case UInt8(ascii: "("):
                position += 1
                let inner = try parseSequence(inGroup: true, inTrueBranch: false)
                guard position < bytes.count, bytes[position] == UInt8(ascii: ")") else {
                    throw FormatStringError(message: "missing ')' in format string (write \\( for a literal one)")
                }
                position += 1
                flush()
                nodes.append(contentsOf: inner)
            case UInt8(ascii: "$"):
                position += 1
                if let node = parseDollar() {
                    flush()
                    nodes.append(node)
                } else {
                    literal.append(UInt8(ascii: "$"))
                }
            case UInt8(ascii: "?"):
                position += 1
                guard let number = readNumber() else {
                    literal.append(byte)
                    continue
                }
                let ifMatched = try parseSequence(inGroup: inGroup, inTrueBranch: true)
                var otherwise: [FormatNode] = []
                if position < bytes.count, bytes[position] == UInt8(ascii: ":") {
                    position += 1
                    otherwise = try parseSequence(inGroup: inGroup, inTrueBranch: false)
                }
                flush()
                nodes.append(.conditional(number, ifMatched: ifMatched, otherwise: otherwise))
            case UInt8(ascii: "\\"):
                position += 1
                literal.append(contentsOf: parseEscape())
            default:
                literal.append(byte)
                position += 1
            }
        }
        flush()
        return nodes
    }

    /// After `$`: the node it introduces, or nil when the `$` is literal (`$$` consumes
    /// the second `$`).
    private mutating func parseDollar() -> FormatNode? {
        guard position < bytes.count else { return nil }
        switch bytes[position] {
        case UInt8(ascii: "&"):
            position += 1
            return .group(0)
        case UInt8(ascii: "`"):
            position += 1
            return .beforeMatch
        case UInt8(ascii: "'"):
            position += 1
            return .afterMatch
        case UInt8(ascii: "$"):
            position += 1
            return nil
        default:
            return readNumber().map { .group($0) }
        }
    }

    /// One or two decimal digits.
    private mutating func readNumber() -> Int? {
        guard position < bytes.count, let first = digit(bytes[position]) else { return nil }
        position += 1
        if position < bytes.count, let second = digit(bytes[position]) {
            position += 1
            return first * 10 + second
        }
        return first
    }

    private func digit(_ byte: UInt8) -> Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
    }

    /// After `\`: the bytes the escape stands for.
    private mutating func parseEscape() -> [UInt8] {
        guard position < bytes.count else { return [UInt8(ascii: "\\")] }
        let byte = bytes[position]
        position += 1
        switch byte {
        case UInt8(ascii: "a"): return [7]
        case UInt8(ascii: "e"): return [27]
        case UInt8(ascii: "f"): return [12]
        case UInt8(ascii: "n"): return [10]
        case UInt8(ascii: "r"): return [13]
        case UInt8(ascii: "t"): return [9]
        case UInt8(ascii: "v"): return [11]
        case UInt8(ascii: "c"):
            guard position < bytes.count else { return [byte] }
            let control = bytes[position] & 0x1F
            position += 1
            return [control]
        case UInt8(ascii: "x"):
            return parseHexEscape() ?? [byte]
        default:
            return [byte]
        }
    }

    /// `\xHH` or `\x{H…}` (a code point, output as UTF-8); nil leaves the `x` literal.
    private mutating func parseHexEscape() -> [UInt8]? {
        var digits: [UInt8] = []
        if position < bytes.count, bytes[position] == UInt8(ascii: "{") {
            var end = position + 1
            while end < bytes.count, bytes[end] != UInt8(ascii: "}") { end += 1 }
            guard end < bytes.count else { return nil }
            digits = Array(bytes[(position + 1)..<end])
            guard !digits.isEmpty, digits.count <= 6 else { return nil }
            position = end + 1
        } else {
            while digits.count < 2, position < bytes.count, hexValue(bytes[position]) != nil {
                digits.append(bytes[position])
                position += 1
            }
            guard !digits.isEmpty else { return nil }
        }
        var value: UInt32 = 0
        for digit in digits {
            guard let nibble = hexValue(digit) else { return nil }
            value = value * 16 + UInt32(nibble)
        }
        guard let scalar = Unicode.Scalar(value) else { return nil }
        return Array(String(Character(scalar)).utf8)
    }

    private func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(byte - UInt8(ascii: "A")) + 10
        default: return nil
        }
    }
}
