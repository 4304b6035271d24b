import PCRE2Regex

/// mod_alias `Alias` / `AliasMatch`: a URL path mapped to a filesystem path.
public struct AliasRule: Sendable {
    public enum Match: Sendable {
        /// `Alias /url /path`: a prefix on a path-segment boundary.
        case prefix(String)
        /// `AliasMatch regex /path/$1`.
        case regex(RegexPattern)
    }

    public let match: Match
    public let target: String
    public let location: SourceLocation
}

/// mod_alias `Redirect` / `RedirectMatch`.
public struct RedirectRule: Sendable, Equatable {
    public enum Match: Sendable, Equatable {
        case prefix(String)
        case regex(RegexPattern)

        public static func == (lhs: Match, rhs: Match) -> Bool {
            switch (lhs, rhs) {
            case (.prefix(let a), .prefix(let b)): return a == b
            case (.regex(let a), .regex(let b)): return a.pattern == b.pattern
            default: return false
            }
        }
    }

    public let status: Int
    public let match: Match
    /// Nil for statuses outside 3xx (e.g. `Redirect gone /old`), which take no URL.
    public let target: String?
    public let location: SourceLocation
}

/// Matches a URL path against a prefix on a segment boundary, the way `Alias`,
/// `Redirect` and `<Location>` do: `/app` covers `/app` and `/app/x`, not `/apple`.
/// Returns the rest of the path after the prefix.
public func matchPathPrefix(_ prefix: String, _ path: String) -> Substring? {
    guard path.hasPrefix(prefix) else { return nil }
    let rest = path.dropFirst(prefix.count)
    if rest.isEmpty || prefix.hasSuffix("/") || rest.hasPrefix("/") { return rest }
    return nil
}
