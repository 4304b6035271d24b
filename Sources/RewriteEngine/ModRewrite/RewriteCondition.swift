import PCRE2Regex

/// One mod_rewrite RewriteCond: a TestString and what it is compared with.
public struct RewriteCondition: Sendable {
    public enum Test: Sendable {
        case regex(RegexPattern)
        case lexicographic(Comparison, String)
        case integer(Comparison, Int)
        /// `-d -f -s -l -L -h -x -F -U`.
        case file(Character)
    }

    public enum Comparison: Sendable {
        case less, lessOrEqual, equal, greaterOrEqual, greater, notEqual
    }

    public let testString: RewriteTemplate
    public let test: Test
    public let negated: Bool
    public let noCase: Bool
    public let orNext: Bool
    /// [NV]: the headers it reads are not added to Vary.
    public let noVary: Bool
    /// The directive as written, for logs and rewrite-test.
    public let text: String

    /// Parses `RewriteCond TestString CondPattern [flags]` (the arguments after the name).
    public init(_ arguments: [String], text: String) throws(RewriteSyntaxError) {
        guard arguments.count == 2 || arguments.count == 3 else {
            throw RewriteSyntaxError("RewriteCond: bad argument line '\(arguments.joined(separator: " "))'")
        }
        var noCase = false
        var orNext = false
        var noVary = false
        if arguments.count == 3 {
            let flagText = arguments[2]
            guard flagText.hasPrefix("["), flagText.hasSuffix("]") else {
                throw RewriteSyntaxError("RewriteCond: bad flag delimiters")
            }
            for flag in flagText.dropFirst().dropLast().split(separator: ",") {
                switch flag.trimmingWhitespace().lowercased() {
                case "nc", "nocase": noCase = true
                case "or", "ornext": orNext = true
                case "nv", "novary": noVary = true
                case "": break
                default: throw RewriteSyntaxError("RewriteCond: unknown flag '\(flag)'")
                }
            }
        }
        self.testString = RewriteTemplate(arguments[0])
        self.noCase = noCase
        self.orNext = orNext
        self.noVary = noVary
        self.text = text
        var pattern = Substring(arguments[1])
        var negated = false
        if pattern.hasPrefix("!") {
            negated = true
            pattern = pattern.dropFirst()
        }
        self.negated = negated
        self.test = try Self.parseTest(pattern, noCase: noCase)
    }

    private static func parseTest(_ pattern: Substring, noCase: Bool) throws(RewriteSyntaxError) -> Test {
        if pattern.count == 2, pattern.hasPrefix("-"), let kind = pattern.last, "dfslLhxFU".contains(kind) {
            return .file(kind)
        }
        if pattern.count >= 4, pattern.hasPrefix("-") {
            let name = pattern.dropFirst().prefix(2)
            let comparisons: [Substring: Comparison] = [
                "lt": .less, "le": .lessOrEqual, "eq": .equal, "ge": .greaterOrEqual, "gt": .greater, "ne": .notEqual,
            ]
            if let comparison = comparisons[name] {
                guard let value = Int(pattern.dropFirst(3).trimmingWhitespace()) else {
                    throw RewriteSyntaxError("RewriteCond: bad integer in '\(pattern)'")
                }
                return .integer(comparison, value)
            }
        }
        for (prefix, comparison) in [("<=", Comparison.lessOrEqual), (">=", .greaterOrEqual), ("<", .less),
                                     (">", .greater), ("=", .equal)] where pattern.hasPrefix(prefix) {
            var value = String(pattern.dropFirst(prefix.count))
            // `=""` compares with the empty string.
            if value == "\"\"" { value = "" }
            return .lexicographic(comparison, value)
        }
        do {
            return .regex(try RegexPattern(String(pattern), options: noCase ? [.caseInsensitive, .dotAll] : .dotAll))
        } catch {
            throw RewriteSyntaxError("RewriteCond: cannot compile regular expression '\(pattern)': \(error.message) at offset \(error.offset)")
        }
    }
}
