/// An httpd.ini file's `[ISAPI_Rewrite]` section, compiled: the rules in order, the
/// settings, and the lines that could not be used.
public struct IniRuleSet: Sendable {
    public let rules: [IniRule]
    /// RepeatLimit: the cap on `[N]` restarts and, separately, on `[NS]` repeats.
    public let repeatLimit: Int
    /// CacheClockRate in seconds, when the file sets it (meaningful in the global file).
    public let cacheClockRate: Int?
    /// One entry per rejected directive, in line order.
    public let errors: [IniParseError]
    let index: LiteralRuleIndex

    init(rules: [IniRule], repeatLimit: Int, cacheClockRate: Int?, errors: [IniParseError]) {
        self.rules = rules
        self.repeatLimit = repeatLimit
        self.cacheClockRate = cacheClockRate
        self.errors = errors
        self.index = LiteralRuleIndex(rules)
    }

    /// A rule set with no rules (no file, or a file without the section).
    public static let empty = IniRuleSet(rules: [], repeatLimit: defaultRepeatLimit, cacheClockRate: nil, errors: [])

    /// The text of httpd.parse.errors: one `line N: message` line per error.
    public var parseErrorsText: String {
        errors.map { "\($0)\n" }.joined()
    }
}

/// A directive of httpd.ini that was skipped, and why.
public struct IniParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}
