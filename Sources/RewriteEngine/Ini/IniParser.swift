import PCRE2Regex

/// Reads httpd.ini (ISAPI_Rewrite 2 syntax): only the `[ISAPI_Rewrite]` section, one
/// directive per line, `#` comment lines. A bad directive becomes an `IniParseError`
/// and is skipped together with the RewriteConds waiting for it; the rest applies.
public enum IniParser {
    public static func parse(_ text: String) -> IniRuleSet {
        var state = ParserState()
        var inSection = false
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                inSection = line.dropFirst().dropLast().lowercased() == "isapi_rewrite"
                continue
            }
            guard inSection else { continue }
            do {
                try state.read(line: String(line), number: lineNumber)
            } catch {
                state.reject(error, isCondition: line.lowercased().hasPrefix("rewritecond"))
            }
        }
        for condition in state.pendingConditions {
            state.errors.append(IniParseError(line: condition.line, message: "RewriteCond is not followed by a RewriteRule, RewriteHeader or RewriteProxy"))
        }
        state.errors.sort { $0.line < $1.line }
        return IniRuleSet(rules: state.rules, repeatLimit: state.repeatLimit, cacheClockRate: state.cacheClockRate,
                          errors: state.errors)
    }
}

private struct ParserState {
    var rules: [IniRule] = []
    var errors: [IniParseError] = []
    var pendingConditions: [IniCondition] = []
    var repeatLimit = defaultRepeatLimit
    var cacheClockRate: Int?
    var uriMatchPrefix = ""
    var uriFormatPrefix = ""

    /// The line of a rejected RewriteCond whose rule has not come yet: that rule is
    /// skipped too, since without the condition it would apply more widely than written.
    var rejectedConditionLine: Int?

    mutating func reject(_ error: IniParseError, isCondition: Bool) {
        errors.append(error)
        if isCondition {
            rejectedConditionLine = rejectedConditionLine ?? error.line
        } else {
            rejectedConditionLine = nil
        }
        pendingConditions.removeAll()
    }

    mutating func read(line: String, number: Int) throws(IniParseError) {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let name = words[0]
        let arguments = Array(words.dropFirst())
        func fail(_ message: String) -> IniParseError { IniParseError(line: number, message: message) }
        switch name.lowercased() {
        case "rewritecond":
            let (positional, flags) = try split(arguments, count: 2, directive: "RewriteCond", allowed: [.normalize], line: number)
            guard let verb = TestVerb(positional[0]) else {
                throw fail("RewriteCond: unknown TestVerb '\(positional[0])' (URL, METHOD, VERSION, Name: or %VARIABLE)")
            }
            let pattern = verb == .url ? RegexPattern.escaped(uriMatchPrefix) + positional[1] : positional[1]
            let groups = try validate(pattern, directive: "RewriteCond", line: number)
            pendingConditions.append(IniCondition(verb: verb, pattern: pattern, normalizes: flags.contains(.normalize),
                                                  line: number, groupCount: groups))
        case "rewriterule":
            let (positional, flags) = try split(arguments, count: 2, directive: "RewriteRule", allowed: Self.ruleFlags, line: number)
            try addRule(target: .url, pattern: positional[0], format: positional[1], flags: flags, line: number, text: line)
        case "rewriteheader":
            let (positional, flags) = try split(arguments, count: 3, directive: "RewriteHeader", allowed: Self.headerFlags, line: number)
            let target: IniRuleTarget
            switch TestVerb(positional[0]) {
            case .url: target = .url
            case .method: target = .method
            case .header(let header): target = .header(header)
            case .version, .serverVariable:
                throw fail("RewriteHeader cannot change '\(positional[0])' (only URL, METHOD or a header Name:)")
            case nil:
                throw fail("RewriteHeader: '\(positional[0])' is not URL, METHOD or a header name with its ':'")
            }
            try addRule(target: target, pattern: positional[1], format: positional[2], flags: flags, line: number, text: line)
        case "rewriteproxy":
            let (positional, flags) = try split(arguments, count: 2, directive: "RewriteProxy", allowed: Self.proxyFlags, line: number)
            try addRule(target: .proxy, pattern: positional[0], format: positional[1], flags: flags, line: number, text: line)
        case "urimatchprefix":
            guard arguments.count <= 1 else { throw fail("UriMatchPrefix takes one prefix") }
            uriMatchPrefix = arguments.first ?? ""
        case "uriformatprefix":
            guard arguments.count <= 1 else { throw fail("UriFormatPrefix takes one prefix") }
            uriFormatPrefix = arguments.first ?? ""
        case "repeatlimit":
            guard arguments.count == 1, let limit = Int(arguments[0]), limit >= 0 else {
                throw fail("RepeatLimit takes one number (0 or more)")
            }
            repeatLimit = limit
        case "cacheclockrate":
            guard arguments.count == 1, let seconds = Int(arguments[0]), seconds >= 0 else {
                throw fail("CacheClockRate takes a number of seconds")
            }
            cacheClockRate = seconds
        case "enableconfig", "disableconfig", "enablerewrite", "disablerewrite", "rfstyle":
            throw fail("\(name) is not supported by isapid; ignored")
        default:
            throw fail("unknown directive '\(name)'")
        }
    }

    static let ruleFlags: IniFlags = [.ignoreCase, .notFound, .last, .next, .nextSame, .proxy, .redirect,
                                      .permanentRedirect, .unmangleLog, .normalize, .lowerCase, .upperCase]
    static let headerFlags: IniFlags = ruleFlags.subtracting(.proxy)
    static let proxyFlags: IniFlags = [.ignoreCase, .unmangleLog, .normalize, .delegate, .credentials, .followRedirects]

    /// The positional arguments and the `[flags]` after them.
    private func split(_ arguments: [String], count: Int, directive: String, allowed: IniFlags,
                       line: Int) throws(IniParseError) -> ([String], IniFlags) {
        guard arguments.count >= count else {
            throw IniParseError(line: line, message: "\(directive) needs \(count) arguments before its flags, found \(arguments.count)")
        }
        let rest = arguments[count...].joined(separator: " ")
        guard !rest.isEmpty else { return (Array(arguments[..<count]), []) }
        guard rest.hasPrefix("["), rest.hasSuffix("]") else {
            throw IniParseError(line: line, message: "\(directive): unexpected '\(rest)' (flags are written [A,B])")
        }
        var flags: IniFlags = []
        for word in rest.dropFirst().dropLast().split(separator: ",") {
            let spelling = word.trimmingWhitespace()
            if spelling.isEmpty { continue }
            let flag: IniFlags?
            if directive == "RewriteProxy" && spelling == "F" {
                flag = .followRedirects
            } else {
                flag = IniFlags.names.first { $0.0 == spelling }?.1
            }
            guard let flag else { throw IniParseError(line: line, message: "\(directive): unknown flag '\(spelling)'") }
            guard allowed.contains(flag) else {
                throw IniParseError(line: line, message: "\(directive): flag '\(spelling)' is not allowed here")
            }
            flags.insert(flag)
        }
        if flags.contains(.redirect) && flags.contains(.permanentRedirect) {
            throw IniParseError(line: line, message: "\(directive): R and RP together")
        }
        return (Array(arguments[..<count]), flags)
    }

    /// Compiles a pattern on its own, so that an unbalanced parenthesis cannot hide in
    /// the combined expression; the groups of the conditions before it are stood in for
    /// by empty groups, so that `\1` may refer back to them (spec §1.5).
    /// Returns the pattern's own number of capturing groups.
    @discardableResult
    private func validate(_ pattern: String, directive: String, line: Int) throws(IniParseError) -> Int {
        let earlierGroups = pendingConditions.reduce(0) { $0 + $1.groupCount }
        do {
            return try RegexPattern(String(repeating: "()", count: earlierGroups) + pattern).captureCount - earlierGroups
        } catch {
            throw IniParseError(line: line, message: "\(directive): bad regular expression '\(pattern)': \(error.message) at offset \(max(0, error.offset - 2 * earlierGroups))")
        }
    }

    private mutating func addRule(target: IniRuleTarget, pattern rawPattern: String, format rawFormat: String,
                                  flags: IniFlags, line: Int, text: String) throws(IniParseError) {
        let pattern = target == .url || target == .proxy ? RegexPattern.escaped(uriMatchPrefix) + rawPattern : rawPattern
        let directive = text.split(separator: " ").first.map(String.init) ?? "RewriteRule"
        try validate(pattern, directive: directive, line: line)
        let format: V2FormatString
        do {
            format = try V2FormatString(rawFormat)
        } catch {
            throw IniParseError(line: line, message: "\(directive): \(error)")
        }
        if let conditionLine = rejectedConditionLine {
            rejectedConditionLine = nil
            throw IniParseError(line: line, message: "\(directive) skipped: its RewriteCond on line \(conditionLine) was rejected")
        }
        let conditions = pendingConditions
        pendingConditions.removeAll()
        let combined = "\\A" + (conditions.map { "(?:" + closeQuoting($0.pattern) + ")\\n" }.joined())
            + "(?:" + closeQuoting(pattern) + ")\\z"
        let regex: RegexPattern
        do {
            // Multiline, as Boost's perl syntax was: `^` and `$` also match where one test
            // text ends and the next begins, which the documented `RewriteHeader Old-URL: ^$ $1`
            // after a condition relies on. A single text never holds a newline.
            var options: RegexOptions = [.multiline, .circumflexAfterFinalNewline]
            if flags.contains(.ignoreCase) { options.insert(.caseInsensitive) }
            regex = try RegexPattern(combined, options: options)
        } catch {
            throw IniParseError(line: line, message: "\(directive): the rule and its conditions do not combine into one expression: \(error)")
        }
        rules.append(IniRule(
            target: target, conditions: conditions, pattern: pattern, regex: regex, format: format, flags: flags,
            formatPrefix: target == .url ? uriFormatPrefix : "", line: line, text: text,
            requiredLiteral: conditions.isEmpty ? RequiredLiteral.longest(in: pattern) : nil))
    }

    /// A pattern ending inside `\Q…` would swallow the wrapper's `)`.
    private func closeQuoting(_ pattern: String) -> String {
        var quoting = false
        var escaped = false
        for byte in pattern.utf8 {
            if escaped {
                if byte == UInt8(ascii: "Q") { quoting = true }
                if byte == UInt8(ascii: "E") { quoting = false }
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            }
        }
        return quoting ? pattern + "\\E" : pattern
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> SubSequence {
        var start = startIndex
        var end = endIndex
        while start < end, self[start].isWhitespace { start = index(after: start) }
        while end > start, self[index(before: end)].isWhitespace { end = index(before: end) }
        return self[start..<end]
    }
}
