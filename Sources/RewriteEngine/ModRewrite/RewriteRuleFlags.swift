/// The `[flags]` of a mod_rewrite RewriteRule (Apache 2.4 spellings, case-insensitive).
public struct RewriteRuleFlags: Sendable, Equatable {
    public var chain = false                  // C
    public var cookies: [String] = []         // CO=NAME:VALUE:domain[:lifetime[:path[:secure[:httponly[:samesite]]]]]
    public var discardPathInfo = false        // DPI
    public var environment: [String] = []     // E=VAR:VAL, E=!VAR
    public var end = false                    // END
    public var forbidden = false              // F
    public var gone = false                   // G
    public var handler: String?               // H=
    public var last = false                   // L
    public var next = false                   // N
    public var nextLimit: Int?                // N=n
    public var noCase = false                 // NC
    public var noEscape = false               // NE
    public var noSubrequest = false           // NS
    public var proxy = false                  // P
    public var passThrough = false            // PT
    public var queryAppend = false            // QSA
    public var queryDiscard = false           // QSD
    public var queryLast = false              // QSL
    public var redirect: Int?                 // R, R=code
    public var skip = 0                       // S=n
    public var type: String?                  // T=
    /// [B] / [B=chars]: escape back-references; nil characters means all non-alphanumerics.
    public var escapeBackReferences = false
    public var escapeCharacters: String?
    /// [BNE=chars]: characters [B] leaves alone.
    public var noEscapeCharacters: String?
    public var escapeControls = false         // BCTLS
    public var spaceAsPercent20 = false       // BNP
    public var unsafeAllow3F = false          // UnsafeAllow3F
    public var unsafePrefixStat = false       // UnsafePrefixStat

    public init() {}

    /// Parses `[A,B=x,…]` as Apache's `cmd_rewriterule_setflag` does; throws its message.
    public static func parse(_ text: String) throws(RewriteSyntaxError) -> RewriteRuleFlags {
        guard text.hasPrefix("["), text.hasSuffix("]") else {
            throw RewriteSyntaxError("RewriteRule: bad flag delimiters")
        }
        var flags = RewriteRuleFlags()
        for item in splitFlags(String(text.dropFirst().dropLast())) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).lowercased()
            let value = parts.count > 1 ? String(parts[1]) : nil
            try flags.set(key, value, original: item)
        }
        return flags
    }

    /// Flags split at commas, except inside a quoted value.
    private static func splitFlags(_ text: String) -> [String] {
        var items: [String] = []
        var current = ""
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "," {
                items.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        items.append(current)
        return items.map { String($0.trimmingWhitespace()) }.filter { !$0.isEmpty }
    }

    private mutating func set(_ key: String, _ value: String?, original: String) throws(RewriteSyntaxError) {
        func unknown() -> RewriteSyntaxError { RewriteSyntaxError("RewriteRule: unknown flag '\(original)'") }
        switch key {
        case "b":
            escapeBackReferences = true
            if let value { escapeCharacters = value }
        case "bne": noEscapeCharacters = value ?? ""; escapeBackReferences = true
        case "bctls": escapeControls = true
        case "bnp", "backrefnoplus": spaceAsPercent20 = true
        case "c", "chain": chain = true
        case "co", "cookie":
            guard let value else { throw unknown() }
            cookies.append(value)
        case "dpi", "discardpath", "discardpathinfo": discardPathInfo = true
        case "e", "env":
            guard let value else { throw unknown() }
            environment.append(value)
        case "end": end = true
        case "f", "forbidden": forbidden = true
        case "g", "gone": gone = true
        case "h", "handler":
            guard let value else { throw unknown() }
            handler = value
        case "l", "last": last = true
        case "n", "next":
            next = true
            if let value {
                guard let limit = Int(value), limit > 0 else { throw RewriteSyntaxError("RewriteRule: invalid number of iterations '\(value)'") }
                nextLimit = limit
            }
        case "nc", "nocase": noCase = true
        case "ne", "noescape": noEscape = true
        case "ns", "nosubreq": noSubrequest = true
        case "p", "proxy": proxy = true
        case "pt", "passthrough": passThrough = true
        case "qsa", "qsappend": queryAppend = true
        case "qsd", "qsdiscard": queryDiscard = true
        case "qsl", "qslast": queryLast = true
        case "r", "redirect":
            guard let value else { redirect = 302; break }
            switch value.lowercased() {
            case "permanent": redirect = 301
            case "temp": redirect = 302
            case "seeother": redirect = 303
            default:
                guard let code = Int(value), (300...599).contains(code) || code == 0 else {
                    throw RewriteSyntaxError("RewriteRule: invalid HTTP response code '\(value)' for flag 'R'")
                }
                redirect = code
            }
        case "s", "skip":
            guard let value, let count = Int(value), count >= 0 else { throw unknown() }
            skip = count
        case "t", "type":
            guard let value else { throw unknown() }
            type = value
        case "unsafeallow3f": unsafeAllow3F = true
        case "unsafeprefixstat": unsafePrefixStat = true
        default:
            throw unknown()
        }
    }
}

/// A directive argument mod_rewrite refuses, with Apache's wording where it has one.
public struct RewriteSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
