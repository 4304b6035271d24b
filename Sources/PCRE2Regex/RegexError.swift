import CPCRE2

/// A pattern that PCRE2 refused to compile.
public struct RegexError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The pattern as given to ``RegexPattern/init(_:options:)``.
    public let pattern: String
    /// Where PCRE2 gave up, in UTF-8 bytes from the start of the pattern.
    public let offset: Int
    /// PCRE2's own wording, e.g. "missing closing parenthesis".
    public let message: String

    /// The message and offset, without the pattern: callers already quote the
    /// directive it came from.
    public var description: String {
        "\(message) at offset \(offset)"
    }

    init(pattern: String, offset: Int, code: Int32) {
        self.pattern = pattern
        self.offset = offset
        self.message = pcre2Message(for: code)
    }
}

/// A match that PCRE2 abandoned (match or depth limit reached, or another
/// runtime error) rather than answered with "no match".
public struct RegexMatchFailure: Error, CustomStringConvertible, Sendable, Equatable {
    /// PCRE2's negative error code, e.g. PCRE2_ERROR_MATCHLIMIT (-47).
    public let code: Int32
    /// PCRE2's own wording for ``code``.
    public let message: String

    /// Whether a resource limit, rather than a bug or bad input, ended the match;
    /// this is what a catastrophically backtracking pattern produces.
    public var isResourceLimit: Bool {
        switch code {
        case PCRE2_ERROR_MATCHLIMIT, PCRE2_ERROR_DEPTHLIMIT, PCRE2_ERROR_HEAPLIMIT, PCRE2_ERROR_JIT_STACKLIMIT:
            return true
        default:
            return false
        }
    }

    public var description: String { "\(message) (PCRE2 error \(code))" }

    init(code: Int32) {
        self.code = code
        self.message = pcre2Message(for: code)
    }
}

/// PCRE2 keeps its messages as static text; 256 bytes holds the longest of them.
func pcre2Message(for code: Int32) -> String {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buffer in
        let length = pcre2_get_error_message_8(code, buffer.baseAddress, buffer.count)
        // A negative length means an unknown code or a truncated message; the
        // code alone is still more useful than nothing.
        guard length >= 0 else { return "PCRE2 error \(code)" }
        return String(decoding: buffer[..<Int(length)], as: UTF8.self)
    }
}
