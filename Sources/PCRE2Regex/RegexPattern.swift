import CPCRE2

/// A compiled PCRE2 regular expression in UTF-8 mode.
///
/// Compiled once (with JIT when the platform has it) and then shared: one
/// instance may be matched from any number of threads at the same time.
///
/// Safety of `@unchecked Sendable`: `code` and `matchContext` are written only in
/// `init` and freed only in `deinit`. PCRE2 documents that a compiled pattern (JIT
/// code included) and a match context may be used by several threads at once as
/// long as each call has its own match data, which every match here creates and
/// frees itself; nothing else in PCRE2 is mutated by pcre2_match.
public final class RegexPattern: @unchecked Sendable {
    /// The pattern source, as given.
    public let pattern: String
    /// The flags it was compiled with.
    public let options: RegexOptions
    /// The number of capturing groups, not counting group 0.
    public let captureCount: Int

    private let code: OpaquePointer
    /// Shared and read-only; carries the limits that make a catastrophically
    /// backtracking pattern fail fast instead of pinning a worker thread.
    private let matchContext: OpaquePointer?

    /// Enough for any legitimate URL or path pattern, and small enough that
    /// `(a+)+$` on a few dozen characters is given up on within milliseconds.
    static let matchLimit: UInt32 = 1_000_000
    static let depthLimit: UInt32 = 10_000

    /// Compiles `pattern`.
    ///
    /// - Throws: ``RegexError`` with PCRE2's message and byte offset.
    public init(_ pattern: String, options: RegexOptions = []) throws(RegexError) {
        self.pattern = pattern
        self.options = options
        // MATCH_INVALID_UTF: subjects come from the network, and without it an
        // invalid UTF-8 subject is an error (or, with NO_UTF_CHECK, undefined).
        let flags = options.rawValue | UInt32(PCRE2_UTF) | UInt32(PCRE2_MATCH_INVALID_UTF)
        var errorCode: Int32 = 0
        var errorOffset = 0
        var source = pattern
        let compiled = source.withUTF8 { bytes in
            withNonNullBase(bytes) { base, count in
                pcre2_compile_8(base, count, flags, &errorCode, &errorOffset, nil)
            }
        }
        guard let compiled else {
            throw RegexError(pattern: pattern, offset: errorOffset, code: errorCode)
        }
        code = compiled
        // A failure here only means no JIT on this platform or for this pattern;
        // pcre2_match then quietly uses the interpreter.
        _ = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE))

        var groups: UInt32 = 0
        _ = pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_CAPTURECOUNT), &groups)
        captureCount = Int(groups)

        // If the context cannot be allocated, matching still works, just with
        // PCRE2's (much higher) default limits.
        matchContext = pcre2_match_context_create_8(nil)
        if let matchContext {
            _ = pcre2_set_match_limit_8(matchContext, Self.matchLimit)
            _ = pcre2_set_depth_limit_8(matchContext, Self.depthLimit)
        }
    }

    deinit {
        pcre2_match_context_free_8(matchContext)
        pcre2_code_free_8(code)
    }

    /// The leftmost match anywhere in `subject` (unanchored), or `nil` if there is
    /// none or PCRE2 gave up (see ``firstMatchResult(in:)``).
    public func firstMatch(in subject: String) -> RegexMatch? {
        try? firstMatchResult(in: subject).get()
    }

    /// The leftmost match anywhere in raw bytes, which need not be valid UTF-8:
    /// invalid sequences simply never match.
    public func firstMatch(in subject: [UInt8]) -> RegexMatch? {
        try? firstMatchResult(in: subject).get()
    }

    /// Whether the pattern matches anywhere in `subject`; a match PCRE2 gave up
    /// on counts as no match.
    public func matches(_ subject: String) -> Bool {
        var subject = subject
        return subject.withUTF8 { isMatch(run($0, wantRanges: false)) }
    }

    /// Whether the pattern matches anywhere in raw bytes.
    public func matches(_ subject: [UInt8]) -> Bool {
        subject.withUnsafeBufferPointer { isMatch(run($0, wantRanges: false)) }
    }

    /// Like ``firstMatch(in:)``, but tells "no match" (`.success(nil)`)
    /// apart from a match that hit a limit or failed (`.failure`).
    public func firstMatchResult(in subject: String) -> Result<RegexMatch?, RegexMatchFailure> {
        var subject = subject
        return subject.withUTF8 { bytes in
            run(bytes, wantRanges: true).map { ranges in
                ranges.map { RegexMatch(subject: Array(bytes), ranges: $0) }
            }
        }
    }

    /// Like ``firstMatch(in:)``, but tells "no match" apart from failure.
    public func firstMatchResult(in subject: [UInt8]) -> Result<RegexMatch?, RegexMatchFailure> {
        subject.withUnsafeBufferPointer { bytes in
            run(bytes, wantRanges: true).map { ranges in
                ranges.map { RegexMatch(subject: subject, ranges: $0) }
            }
        }
    }

    /// One pcre2_match call: `.success(nil)` for no match, otherwise the group
    /// ranges (empty when `wantRanges` is false, to skip reading the ovector).
    private func run(
        _ subject: UnsafeBufferPointer<UInt8>, wantRanges: Bool
    ) -> Result<[Range<Int>?]?, RegexMatchFailure> {
        // Per call, never shared: match data is the only state pcre2_match writes.
        guard let matchData = pcre2_match_data_create_from_pattern_8(code, nil) else {
            return .failure(RegexMatchFailure(code: PCRE2_ERROR_NOMEMORY))
        }
        defer { pcre2_match_data_free_8(matchData) }

        let rc = withNonNullBase(subject) { base, count in
            pcre2_match_8(code, base, count, 0, 0, matchData, matchContext)
        }
        if rc == PCRE2_ERROR_NOMATCH { return .success(nil) }
        if rc < 0 { return .failure(RegexMatchFailure(code: rc)) }
        guard wantRanges else { return .success([]) }

        let ovector = pcre2_get_ovector_pointer_8(matchData)!
        // rc is one more than the highest group that matched (0 would mean the
        // ovector was too small, which cannot happen with data sized from the
        // pattern); groups above it did not participate.
        let setPairs = rc == 0 ? captureCount + 1 : Int(rc)
        var ranges: [Range<Int>?] = []
        ranges.reserveCapacity(captureCount + 1)
        for group in 0...captureCount {
            let start = ovector[2 * group]
            let end = ovector[2 * group + 1]
            if group >= setPairs || start == pcre2Unset || end == pcre2Unset {
                ranges.append(nil)
            } else {
                // \K inside a lookahead can report end < start; clamp rather than trap.
                ranges.append(start..<max(start, end))
            }
        }
        return .success(ranges)
    }
}

private func isMatch(_ result: Result<[Range<Int>?]?, RegexMatchFailure>) -> Bool {
    if case .success(.some) = result { return true }
    return false
}

/// PCRE2_UNSET is `~(PCRE2_SIZE)0`, a cast macro Swift does not import; PCRE2_SIZE
/// is `size_t`, which Swift sees as `Int`.
private let pcre2Unset = Int(bitPattern: UInt.max)

/// PCRE2 10.42 rejects a NULL pointer even with length 0, and an empty Swift
/// buffer may have no base address.
private func withNonNullBase<R>(
    _ buffer: UnsafeBufferPointer<UInt8>, _ body: (UnsafePointer<UInt8>, Int) -> R
) -> R {
    if let base = buffer.baseAddress { return body(base, buffer.count) }
    var empty: UInt8 = 0
    return withUnsafePointer(to: &empty) { body($0, 0) }
}

extension RegexPattern {
    /// `text` as a pattern that matches exactly that text: every ASCII character
    /// other than a letter, digit or `_` is escaped with `\`.
    public static func escaped(_ text: String) -> String {
        var pattern = ""
        for scalar in text.unicodeScalars {
            if scalar.isASCII, !(scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_") {
                pattern.append("\\")
            }
            pattern.unicodeScalars.append(scalar)
        }
        return pattern
    }
}
