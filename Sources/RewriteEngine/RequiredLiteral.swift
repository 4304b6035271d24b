/// Finds text that every match of a regular expression must contain, so a rule can
/// be skipped without running PCRE2 when its text is absent (what keeps thousands of
/// non-matching rules cheap).
///
/// Conservative by construction: anything the scanner does not fully understand
/// (alternation, `\Q`, `(?x)`, verbs, Unicode escapes) yields fewer literals or none,
/// never a wrong one. Literals are lower-cased ASCII, so one index serves
/// case-sensitive and case-insensitive rules alike.
enum RequiredLiteral {
    /// The longest required literal of at least two bytes, lower-cased; nil if none.
    static func longest(in pattern: String) -> [UInt8]? {
        var scanner = LiteralScanner(Array(pattern.utf8))
        guard let runs = try? scanner.sequence(), scanner.atEnd else { return nil }
        let best = runs.filter { !$0.hasAlternation }.flatMap(\.runs).max { $0.count < $1.count }
        guard let best, best.count >= 2 else { return nil }
        return best.map(lowercased)
    }

    static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }
}

private struct Unanalyzable: Error {}

/// The literals of one sequence, and whether it had a top-level `|` (then none of
/// them is required).
private struct SequenceLiterals {
    var runs: [[UInt8]] = []
    var hasAlternation = false
}

private struct LiteralScanner {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position >= bytes.count }

    private enum Atom {
        case literal(UInt8)
        case group([[UInt8]])
        case other
        case none   // zero-width: option settings, comments
    }

    /// Reads up to the end or an unread `)`.
    mutating func sequence() throws(Unanalyzable) -> [SequenceLiterals] {
        var result = SequenceLiterals()
        var current: [UInt8] = []
        func flush() {
            if !current.isEmpty { result.runs.append(current); current.removeAll() }
        }
        while position < bytes.count, bytes[position] != UInt8(ascii: ")") {
            if bytes[position] == UInt8(ascii: "|") {
                result.hasAlternation = true
                position += 1
                flush()
                continue
            }
            let atom = try readAtom()
            let quantifier = readQuantifier()
            switch (atom, quantifier) {
            case (.none, _):
                continue
            case (.literal(let byte), .once):
                current.append(byte)
            case (.literal(let byte), .atLeastOnce):
                current.append(byte)
                flush()
            case (.group(let runs), .once), (.group(let runs), .atLeastOnce):
                flush()
                result.runs.append(contentsOf: runs)
            default:
                flush()
            }
        }
        flush()
        return [result]
    }

    private enum Quantifier { case once, atLeastOnce, optional }

    private mutating func readQuantifier() -> Quantifier {
        guard position < bytes.count else { return .once }
        var quantifier: Quantifier
        switch bytes[position] {
        case UInt8(ascii: "*"), UInt8(ascii: "?"):
            quantifier = .optional
            position += 1
        case UInt8(ascii: "+"):
            quantifier = .atLeastOnce
            position += 1
        case UInt8(ascii: "{"):
            guard let (minimum, end) = countedQuantifier(at: position) else { return .once }
            quantifier = minimum > 0 ? .atLeastOnce : .optional
            position = end
        default:
            return .once
        }
        // Lazy or possessive suffix.
        if position < bytes.count, bytes[position] == UInt8(ascii: "?") || bytes[position] == UInt8(ascii: "+") {
            position += 1
        }
        return quantifier
    }

    /// `{n}`, `{n,}`, `{n,m}` (and `{,m}`, which PCRE2 10.43+ reads as `{0,m}`).
    private func countedQuantifier(at start: Int) -> (Int, Int)? {
        var index = start + 1
        var digits = 0
        var minimum = 0
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            minimum = min(minimum * 10 + Int(bytes[index] - UInt8(ascii: "0")), 1_000_000)
            digits += 1
            index += 1
        }
        var sawComma = false
        if index < bytes.count, bytes[index] == UInt8(ascii: ",") {
            sawComma = true
            index += 1
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "}"), digits > 0 || sawComma else { return nil }
        return (minimum, index + 1)
    }

    private mutating func readAtom() throws(Unanalyzable) -> Atom {
        let byte = bytes[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\\"):
            guard position < bytes.count else { throw Unanalyzable() }
            let escaped = bytes[position]
            position += 1
            if escaped >= 0x80 { throw Unanalyzable() }
            if isAlphanumeric(escaped) {
                // Classes, assertions, back-references and code escapes; the ones with
                // arguments (\x{..}, \p{..}, \Q, \k<..>, \g{..}, \N{..}, \o{..}, \c) end the analysis.
                if Array("xpPQkgNoc0123456789".utf8).contains(escaped) { throw Unanalyzable() }
                return .other
            }
            return .literal(escaped)
        case UInt8(ascii: "["):
            try skipClass()
            return .other
        case UInt8(ascii: "("):
            return try readGroup()
        case UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "$"):
            return .other
        case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"), UInt8(ascii: "{"):
            // A quantifier with nothing before it (or a literal `{`): be safe.
            return .other
        default:
            if byte >= 0x80 {
                while position < bytes.count, bytes[position] & 0xC0 == 0x80 { position += 1 }
                return .other
            }
            return .literal(byte)
        }
    }

    private mutating func readGroup() throws(Unanalyzable) -> Atom {
        var capturing = true
        if position < bytes.count, bytes[position] == UInt8(ascii: "*") { throw Unanalyzable() }
        if position < bytes.count, bytes[position] == UInt8(ascii: "?") {
            position += 1
            guard position < bytes.count else { throw Unanalyzable() }
            switch bytes[position] {
            case UInt8(ascii: ":"), UInt8(ascii: ">"):
                position += 1
                capturing = false
            case UInt8(ascii: "="), UInt8(ascii: "!"):
                position += 1
                _ = try sequence()
                try closeGroup()
                return .none
            case UInt8(ascii: "<") where position + 1 < bytes.count
                && (bytes[position + 1] == UInt8(ascii: "=") || bytes[position + 1] == UInt8(ascii: "!")):
                position += 2
                _ = try sequence()
                try closeGroup()
                return .none
            case UInt8(ascii: "#"):
                while position < bytes.count, bytes[position] != UInt8(ascii: ")") { position += 1 }
                try closeGroup()
                return .none
            default:
                // Option settings: `(?i)`, `(?-i)`, `(?i:...)`; `x` changes how the rest reads.
                var index = position
                while index < bytes.count, isAlphanumeric(bytes[index]) || bytes[index] == UInt8(ascii: "-") {
                    if bytes[index] == UInt8(ascii: "x") { throw Unanalyzable() }
                    index += 1
                }
                guard index < bytes.count, index > position else { throw Unanalyzable() }
                if bytes[index] == UInt8(ascii: ")") {
                    position = index + 1
                    return .none
                }
                guard bytes[index] == UInt8(ascii: ":") else { throw Unanalyzable() }
                position = index + 1
                capturing = false
            }
        }
        _ = capturing
        let inner = try sequence()
        try closeGroup()
        return .group(inner.filter { !$0.hasAlternation }.flatMap(\.runs))
    }

    private mutating func closeGroup() throws(Unanalyzable) {
        guard position < bytes.count, bytes[position] == UInt8(ascii: ")") else { throw Unanalyzable() }
        position += 1
    }

    private mutating func skipClass() throws(Unanalyzable) {
        if position < bytes.count, bytes[position] == UInt8(ascii: "^") { position += 1 }
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1 }
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "\\"):
                position += 2
            case UInt8(ascii: "["):
                if position + 1 < bytes.count, [UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "=")].contains(bytes[position + 1]) {
                    let terminator = bytes[position + 1]
                    position += 2
                    while position + 1 < bytes.count, !(bytes[position] == terminator && bytes[position + 1] == UInt8(ascii: "]")) {
                        position += 1
                    }
                    position += 2
                } else {
                    position += 1
                }
            case UInt8(ascii: "]"):
                position += 1
                return
            default:
                position += 1
            }
        }
        throw Unanalyzable()
    }

    private func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
