import PCRE2Regex

/// One mod_rewrite RewriteRule with the RewriteConds written before it.
public struct RewriteRule: Sendable {
    public let pattern: RegexPattern
    public let negated: Bool
    /// nil for `-` (no substitution).
    public let substitution: RewriteTemplate?
    public let flags: RewriteRuleFlags
    public let conditions: [RewriteCondition]
    /// The directive as written, and where, for logs and rewrite-test.
    public let text: String
    public let location: String
    /// ISAPI_Rewrite 3's RewriteHeader: the request header the rule matches and sets
    /// (nil for a RewriteRule, which works on the URL).
    public let headerTarget: String?
    /// A lower-cased literal every match of the pattern contains (nil for a negated or
    /// unanalysable pattern): the literal pre-filter skips the rule when it is absent.
    let requiredLiteral: [UInt8]?
    /// How often the pattern matched (server-status, /metrics), shared by every rule
    /// compiled from the same file:line.
    public let hits: RuleHitCounter

    /// Parses `RewriteRule Pattern Substitution [flags]` (the arguments after the name).
    /// `headerTarget` makes it ISAPI_Rewrite 3's RewriteHeader; `forceProxy` its
    /// RewriteProxy (a RewriteRule with [P]).
    public init(_ arguments: [String], conditions: [RewriteCondition], text: String,
                location: String, headerTarget: String? = nil, forceProxy: Bool = false) throws(RewriteSyntaxError) {
        guard arguments.count == 2 || arguments.count == 3 else {
            throw RewriteSyntaxError("RewriteRule: bad argument line '\(arguments.joined(separator: " "))'")
        }
        var flags = arguments.count == 3 ? try RewriteRuleFlags.parse(arguments[2]) : RewriteRuleFlags()
        if forceProxy { flags.proxy = true }
        self.headerTarget = headerTarget.map { $0.hasSuffix(":") ? String($0.dropLast()) : $0 }
        var source = Substring(arguments[0])
        var negated = false
        if source.hasPrefix("!") {
            negated = true
            source = source.dropFirst()
        }
        do {
            pattern = try RegexPattern(String(source), options: flags.noCase ? [.caseInsensitive, .dotAll] : .dotAll)
        } catch {
            throw RewriteSyntaxError("RewriteRule: cannot compile regular expression '\(source)': \(error.message) at offset \(error.offset)")
        }
        self.negated = negated
        self.substitution = arguments[1] == "-" ? nil : RewriteTemplate(arguments[1])
        self.flags = flags
        self.conditions = conditions
        self.text = text
        self.location = location
        self.hits = RuleHitCounter.counter(for: location)
        // A header rule reads another text than the URL: never skipped by the URL's index.
        self.requiredLiteral = negated || headerTarget != nil ? nil : RequiredLiteral.longest(in: String(source))
    }
}

/// One RewriteMap: a name and where its values come from.
public struct RewriteMapDefinition: Sendable {
    public enum Source: Sendable {
        /// `txt:path` — `key value` lines; `rnd:path` — values `a|b|c`, one chosen at random.
        case text(path: String, random: Bool)
        /// `int:tolower`, `int:toupper`, `int:escape`, `int:unescape`.
        case internalFunction(String)
    }

    public let name: String
    public let source: Source

    /// Parses `RewriteMap name type:source`; `resolve` makes a path absolute.
    public init(_ arguments: [String], resolve: (String) -> String) throws(RewriteSyntaxError) {
        guard arguments.count >= 2 else { throw RewriteSyntaxError("RewriteMap: needs a name and a type:source") }
        name = arguments[0]
        let spec = arguments[1]
        guard let colon = spec.firstIndex(of: ":") else {
            throw RewriteSyntaxError("RewriteMap: bad map:source '\(spec)'")
        }
        let type = spec[..<colon].lowercased()
        let rest = String(spec[spec.index(after: colon)...])
        switch type {
        case "txt": source = .text(path: resolve(rest), random: false)
        case "rnd": source = .text(path: resolve(rest), random: true)
        case "int":
            guard ["tolower", "toupper", "escape", "unescape"].contains(rest.lowercased()) else {
                throw RewriteSyntaxError("RewriteMap: internal map function '\(rest)' not found")
            }
            source = .internalFunction(rest.lowercased())
        case "dbm", "prg", "dbd", "fastdbd":
            throw RewriteSyntaxError("RewriteMap: '\(type)' maps are not supported by isapid (txt, rnd and int are)")
        default:
            throw RewriteSyntaxError("RewriteMap: bad map type '\(type)'")
        }
    }
}
