import PCRE2Regex

/// mod_headers' `Header` and `RequestHeader` lines in force for a scope, compiled once
/// at configuration time (regexes and value formats included), in the order they run:
/// parent's lines first, then the child's, as Apache's merge appends them.
public struct HeaderRules: Sendable, Equatable {
    /// `Header always ...`: every response, server-generated errors and redirects too
    /// (Apache's `r->err_headers_out` table).
    public var always: [HeaderRule] = []
    /// `Header [onsuccess] ...`: responses a handler made (static file, extension,
    /// proxy), whatever their status; not Apache's own error pages and redirects.
    public var onSuccess: [HeaderRule] = []
    /// `RequestHeader ...`: the request headers, before the handler runs (fixups).
    public var request: [HeaderRule] = []
    /// Whether any `RequestHeader` line is `early`, so that requests skip the early pass
    /// unless one is.
    public var hasEarlyRequestLines = false

    public init() {}

    /// Apache's merge: the parent's lines, then the child's.
    public func merged(over parent: HeaderRules?) -> HeaderRules {
        guard let parent else { return self }
        var result = parent
        result.always += always
        result.onSuccess += onSuccess
        result.request += request
        result.hasEarlyRequestLines = result.hasEarlyRequestLines || hasEarlyRequestLines
        return result
    }
}

/// One `Header` or `RequestHeader` line.
public struct HeaderRule: Sendable, Equatable {
    /// The header name, as written up to any colon (`Header set X-A: v` names X-A).
    public let name: String
    public let action: HeaderAction
    public let condition: HeaderCondition
    public let location: SourceLocation

    public init(name: String, action: HeaderAction, condition: HeaderCondition, location: SourceLocation) {
        self.name = name
        self.action = action
        self.condition = condition
        self.location = location
    }
}

/// What a line does to the header named (mod_headers' `hdr_actions`).
public enum HeaderAction: Sendable, Equatable {
    /// Replaces every value with one.
    case set(HeaderValue)
    /// Joins the value to the first one with ", ", or sets it.
    case append(HeaderValue)
    /// As append, unless the value is already one of the comma-separated tokens.
    case merge(HeaderValue)
    /// Adds another field, even when one exists.
    case add(HeaderValue)
    /// Sets the value only when the header is absent.
    case setIfEmpty(HeaderValue)
    /// Removes every field of that name.
    case unset
    /// Rewrites each value by a regex: the first match (`edit`) or every match (`edit*`).
    case edit(HeaderEdit)
    /// `Header echo regex`: request headers whose names match are copied to the response.
    case echo(HeaderRegex)
}

/// `edit` and `edit*`: the regex, the replacement (with `$0`-`$9`, `&` and value
/// format specifiers), and whether every match is replaced.
public struct HeaderEdit: Sendable, Equatable {
    public let regex: HeaderRegex
    public let replacement: HeaderValue
    public let everyMatch: Bool

    public init(regex: HeaderRegex, replacement: HeaderValue, everyMatch: Bool) {
        self.regex = regex
        self.replacement = replacement
        self.everyMatch = everyMatch
    }
}

/// A compiled regex compared by its source (configurations are compared, never regexes).
public struct HeaderRegex: Sendable, Equatable {
    public let pattern: RegexPattern

    public init(_ pattern: RegexPattern) { self.pattern = pattern }

    public static func == (lhs: HeaderRegex, rhs: HeaderRegex) -> Bool {
        lhs.pattern.pattern == rhs.pattern.pattern && lhs.pattern.options == rhs.pattern.options
    }
}

/// The trailing `env=VAR` / `env=!VAR` of a line: whether the request's environment
/// (mod_rewrite's [E=]) has the variable; or `early`.
public enum HeaderCondition: Sendable, Equatable {
    case none
    case environmentSet(String)
    case environmentUnset(String)
    /// `RequestHeader ... early`: right after the request is read and its virtual host
    /// chosen (Apache's post_read_request), before any rewrite rule; server config and
    /// virtual host only.
    case early
}

/// A header value with mod_headers' format specifiers, parsed once.
public struct HeaderValue: Sendable, Equatable {
    public enum Part: Sendable, Equatable {
        case literal(String)
        /// `%t`: `t=` and the time the request arrived, in microseconds since the epoch.
        case requestTime
        /// `%D`: `D=` and the microseconds since the request arrived.
        case duration
        /// `%{VAR}e`: the request's environment variable, `(null)` when unset.
        case environment(String)
        /// `%{VAR}s`: a mod_ssl variable; isapid has no TLS yet, so `(null)`.
        case ssl(String)
    }

    public let parts: [Part]

    public init(parts: [Part]) { self.parts = parts }

    /// The value when it has no specifier (the common case), to skip formatting.
    public var literal: String? {
        if parts.isEmpty { return "" }
        if parts.count == 1, case .literal(let text) = parts[0] { return text }
        return nil
    }

    /// Parses Apache's format (`parse_format_string`): `%%` and a `%` at the end are a
    /// `%`; `%t`, `%D`, `%{VAR}e`, `%{VAR}s`; in the text, `\\` is a backslash and `\t` a
    /// tab. A failure says why, in mod_headers' words where it has them.
    public static func parse(_ text: String) -> Result<HeaderValue, HeaderFormatError> {
        var parts: [Part] = []
        var literal = ""
        var rest = Substring(text)
        while let first = rest.first {
            rest = rest.dropFirst()
            if first == "\\" {
                switch rest.first {
                case "\\": literal += "\\"; rest = rest.dropFirst()
                case "t": literal += "\t"; rest = rest.dropFirst()
                case "r", "n": return .failure(HeaderFormatError("a header value cannot hold a line break (\\\(rest.first!))"))
                default: literal += "\\"
                }
                continue
            }
            guard first == "%" else { literal.append(first); continue }
            if rest.isEmpty || rest.first == "%" {
                literal += "%"
                rest = rest.dropFirst()
                continue
            }
            var argument = ""
            if rest.first == "{" {
                guard let close = rest.firstIndex(of: "}") else { return .failure(HeaderFormatError("Missing '}' on %{ tag")) }
                argument = String(rest[rest.index(after: rest.startIndex)..<close])
                rest = rest[rest.index(after: close)...]
            }
            guard let tag = rest.first else { return .failure(HeaderFormatError("Unrecognized header format %")) }
            rest = rest.dropFirst()
            let part: Part
            switch tag {
            case "t": part = .requestTime
            case "D": part = .duration
            case "e": part = .environment(argument)
            case "s": part = .ssl(argument)
            default: return .failure(HeaderFormatError("Unrecognized header format %\(tag)"))
            }
            if !literal.isEmpty { parts.append(.literal(literal)); literal = "" }
            parts.append(part)
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        return .success(HeaderValue(parts: parts))
    }
}

/// Why a header value's format is wrong, in mod_headers' words.
public struct HeaderFormatError: Error, Sendable, Equatable {
    public let message: String

    public init(_ message: String) { self.message = message }
}
