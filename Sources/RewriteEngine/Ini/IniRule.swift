import PCRE2Regex

/// The flags of an httpd.ini directive (ISAPI_Rewrite 2, spec §1.6).
public struct IniFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let ignoreCase = IniFlags(rawValue: 1 << 0)       // I
    public static let notFound = IniFlags(rawValue: 1 << 1)         // F (404, as IIS 6)
    public static let last = IniFlags(rawValue: 1 << 2)             // L
    public static let next = IniFlags(rawValue: 1 << 3)             // N
    public static let nextSame = IniFlags(rawValue: 1 << 4)         // NS
    public static let proxy = IniFlags(rawValue: 1 << 5)            // P
    public static let redirect = IniFlags(rawValue: 1 << 6)         // R (302)
    public static let permanentRedirect = IniFlags(rawValue: 1 << 7) // RP (301)
    public static let unmangleLog = IniFlags(rawValue: 1 << 8)      // U
    public static let normalize = IniFlags(rawValue: 1 << 9)        // O
    public static let lowerCase = IniFlags(rawValue: 1 << 10)       // CL
    public static let upperCase = IniFlags(rawValue: 1 << 11)       // CU
    public static let delegate = IniFlags(rawValue: 1 << 12)        // D (RewriteProxy)
    public static let credentials = IniFlags(rawValue: 1 << 13)     // C (RewriteProxy)
    public static let followRedirects = IniFlags(rawValue: 1 << 14) // F on RewriteProxy

    /// Each flag's spelling, in the order the documentation lists them.
    static let names: [(String, IniFlags)] = [
        ("I", .ignoreCase), ("F", .notFound), ("L", .last), ("N", .next), ("NS", .nextSame), ("P", .proxy),
        ("R", .redirect), ("RP", .permanentRedirect), ("U", .unmangleLog), ("O", .normalize),
        ("CL", .lowerCase), ("CU", .upperCase), ("D", .delegate), ("C", .credentials),
    ]
}

/// One condition of an httpd.ini rule: what it reads, and its own O flag. Its pattern
/// lives inside the rule's combined regex.
public struct IniCondition: Sendable {
    public let verb: TestVerb
    public let pattern: String
    public let normalizes: Bool
    public let line: Int
    /// Capturing groups in the pattern: they number the rule's `$N` after them.
    let groupCount: Int
}

/// What a rule changes when it matches.
public enum IniRuleTarget: Sendable, Equatable {
    /// RewriteRule, RewriteHeader URL: the Request-URI.
    case url
    /// RewriteHeader METHOD.
    case method
    /// RewriteHeader Name: — an empty result deletes the header.
    case header(String)
    /// RewriteProxy: forward to the (absolute) result.
    case proxy
}

/// One RewriteRule, RewriteHeader or RewriteProxy with its bound conditions, compiled.
public struct IniRule: Sendable {
    public let target: IniRuleTarget
    public let conditions: [IniCondition]
    /// The rule's own pattern (with any UriMatchPrefix in front).
    public let pattern: String
    /// `\A(?:C1)\n(?:C2)\n…\n(?:Rule)\z`, matched against the joined test texts (spec §1.5).
    public let regex: RegexPattern
    public let format: V2FormatString
    public let flags: IniFlags
    /// UriFormatPrefix in force for this rule (URL targets only).
    public let formatPrefix: String
    /// Line of the rule in its file, and the directive as written, for rewrite-test.
    public let line: Int
    public let text: String
    /// A lower-cased literal every match of the rule's text contains, when the rule
    /// has no conditions: rules whose literal is absent are skipped without running PCRE2.
    public let requiredLiteral: [UInt8]?

    /// What the rule's own pattern reads: the URL, the method or a header.
    public var testVerb: TestVerb {
        switch target {
        case .url, .proxy: return .url
        case .method: return .method
        case .header(let name): return .header(name)
        }
    }
}
