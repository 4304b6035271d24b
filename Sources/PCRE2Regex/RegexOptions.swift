import CPCRE2

/// Compile-time flags for a ``RegexPattern``.
///
/// UTF-8 mode is always on and is not an option: every pattern and subject in
/// isapid is UTF-8, and offsets are reported in bytes.
public struct RegexOptions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Letters match regardless of case (`(?i)`, PCRE2_CASELESS).
    public static let caseInsensitive = RegexOptions(rawValue: UInt32(PCRE2_CASELESS))
    /// `.` also matches newlines (`(?s)`, PCRE2_DOTALL); Apache turns this on by default.
    public static let dotAll = RegexOptions(rawValue: UInt32(PCRE2_DOTALL))
    /// Unescaped whitespace and `#` comments in the pattern are ignored (`(?x)`, PCRE2_EXTENDED).
    public static let extended = RegexOptions(rawValue: UInt32(PCRE2_EXTENDED))
    /// `^` and `$` also match at internal newlines (`(?m)`, PCRE2_MULTILINE).
    public static let multiline = RegexOptions(rawValue: UInt32(PCRE2_MULTILINE))
    /// With `multiline`, `^` also matches after a newline that ends the subject
    /// (PCRE2_ALT_CIRCUMFLEX), so an empty last line can be matched with `^$`.
    public static let circumflexAfterFinalNewline = RegexOptions(rawValue: UInt32(PCRE2_ALT_CIRCUMFLEX))
    /// Quantifiers are lazy unless followed by `?` (`(?U)`, PCRE2_UNGREEDY).
    public static let ungreedy = RegexOptions(rawValue: UInt32(PCRE2_UNGREEDY))
    /// `\d`, `\w`, `\s` and POSIX classes use Unicode properties, not just ASCII (PCRE2_UCP).
    public static let unicodeProperties = RegexOptions(rawValue: UInt32(PCRE2_UCP))
}
