import Dispatch
import Testing
@testable import PCRE2Regex

struct MatchCase: Sendable, CustomTestStringConvertible {
    let pattern: String
    let options: RegexOptions
    let subject: String
    /// Expected text of each group, or nil for no match at all.
    let groups: [String?]?
    /// Expected byte ranges, when the case is about offsets.
    let ranges: [Range<Int>?]?

    init(_ pattern: String, _ subject: String, options: RegexOptions = [], groups: [String?]?, ranges: [Range<Int>?]? = nil) {
        self.pattern = pattern
        self.options = options
        self.subject = subject
        self.groups = groups
        self.ranges = ranges
    }

    var testDescription: String { "/\(pattern)/ on \(subject.debugDescription)" }
}

let matchCases: [MatchCase] = [
    // Simple, unanchored.
    MatchCase("b+", "abbbc", groups: ["bbb"], ranges: [1..<4]),
    MatchCase("x", "abc", groups: nil),
    MatchCase("", "", groups: [""], ranges: [0..<0]),
    MatchCase("^$", "", groups: [""]),
    // Captures, including groups that do not participate.
    MatchCase(#"^/(\w+)/(\d+)$"#, "/users/42", groups: ["/users/42", "users", "42"]),
    MatchCase("(a)|(b)", "b", groups: ["b", nil, "b"], ranges: [0..<1, nil, 0..<1]),
    MatchCase("(a)|(b)", "a", groups: ["a", "a", nil], ranges: [0..<1, 0..<1, nil]),
    MatchCase("x(y)?(z)", "xz", groups: ["xz", nil, "z"]),
    MatchCase("(a)(b)?", "a", groups: ["a", "a", nil]),
    MatchCase("(?:a)(b)", "ab", groups: ["ab", "b"]),
    MatchCase("()", "q", groups: ["", ""]),
    // Case sensitivity.
    MatchCase("hello", "HeLLo", groups: nil),
    MatchCase("hello", "say HeLLo", options: .caseInsensitive, groups: ["HeLLo"]),
    MatchCase("(?i)hello", "HELLO", groups: ["HELLO"]),
    MatchCase("straße", "STRASSE", options: .caseInsensitive, groups: nil),
    MatchCase("é", "É", options: .caseInsensitive, groups: ["É"]),
    // Anchors.
    MatchCase("^/cgi-bin/", "/cgi-bin/x", groups: ["/cgi-bin/"]),
    MatchCase("^/cgi-bin/", "/x/cgi-bin/", groups: nil),
    MatchCase(#"\.php$"#, "/a.php", groups: [".php"], ranges: [2..<6]),
    MatchCase(#"\.php$"#, "/a.php.txt", groups: nil),
    MatchCase("^b$", "a\nb", groups: nil),
    MatchCase("^b$", "a\nb", options: .multiline, groups: ["b"], ranges: [2..<3]),
    // Dot and newlines; extended syntax.
    MatchCase("a.b", "a\nb", groups: nil),
    MatchCase("a.b", "a\nb", options: .dotAll, groups: ["a\nb"]),
    MatchCase("a b  # comment", "xab", options: .extended, groups: ["ab"]),
    // UTF-8: offsets are bytes, and `.` is one character, not one byte.
    MatchCase("(ü+)(.)", "grüüße", groups: ["üüß", "üü", "ß"], ranges: [2..<8, 2..<6, 6..<8]),
    MatchCase("^.{3}$", "日本語", groups: ["日本語"], ranges: [0..<9]),
    MatchCase("本", "日本語", groups: ["本"], ranges: [3..<6]),
    MatchCase("(🙂)x", "a🙂x", groups: ["🙂x", "🙂"], ranges: [1..<6, 1..<5]),
    MatchCase(#"\w+"#, "éa", groups: ["a"]),
    MatchCase(#"\w+"#, "éa", options: .unicodeProperties, groups: ["éa"]),
]

@Test(arguments: matchCases)
func firstMatch(_ c: MatchCase) throws {
    let regex = try RegexPattern(c.pattern, options: c.options)
    let match = regex.firstMatch(in: c.subject)
    #expect(regex.matches(c.subject) == (c.groups != nil))
    guard let groups = c.groups else {
        #expect(match == nil)
        return
    }
    let m = try #require(match)
    #expect(regex.captureCount == groups.count - 1)
    #expect(m.ranges.count == groups.count)
    #expect((0..<groups.count).map { m[$0] } == groups)
    if let ranges = c.ranges { #expect(m.ranges == ranges) }
    // The byte API agrees with the String API.
    #expect(regex.firstMatch(in: Array(c.subject.utf8))?.ranges == m.ranges)
}

@Test func outOfRangeGroupIsNil() throws {
    let m = try #require(try RegexPattern("(a)").firstMatch(in: "a"))
    #expect(m[1] == "a")
    #expect(m[2] == nil)
    #expect(m[9] == nil)
    #expect(m[-1] == nil)
}

struct InvalidUTF8Case: Sendable {
    let pattern: String
    let subject: [UInt8]
    let expected: Range<Int>?
}

@Test(arguments: [
    InvalidUTF8Case(pattern: "abc", subject: [0xFF, 0x61, 0x62, 0x63], expected: 1..<4),
    InvalidUTF8Case(pattern: "b", subject: [0x61, 0xC3, 0x62], expected: 2..<3),  // truncated 2-byte sequence
    InvalidUTF8Case(pattern: ".", subject: [0x80, 0xBF, 0xFE], expected: nil),
    InvalidUTF8Case(pattern: ".+", subject: [0xED, 0xA0, 0x80, 0x78], expected: 3..<4),  // encoded surrogate
    InvalidUTF8Case(pattern: "x$", subject: [0x78, 0xF4, 0x90, 0x80, 0x80], expected: nil),  // above U+10FFFF
    InvalidUTF8Case(pattern: "^", subject: [0xC0, 0xAF], expected: 0..<0),  // overlong "/"
])
func invalidUTF8SubjectIsSafe(_ c: InvalidUTF8Case) throws {
    let regex = try RegexPattern(c.pattern)
    let result = regex.firstMatchResult(in: c.subject)
    let match = try result.get()
    #expect(match?.ranges.first ?? nil == c.expected)
    #expect(regex.matches(c.subject) == (c.expected != nil))
    if let match {
        _ = match[0]  // decoding with replacement must not trap either
    }
}

struct CompileErrorCase: Sendable {
    let pattern: String
    let offset: Int
    let message: String
}

@Test(arguments: [
    CompileErrorCase(pattern: "a(b", offset: 3, message: "missing closing parenthesis"),
    CompileErrorCase(pattern: "a)b", offset: 1, message: "unmatched closing parenthesis"),
    CompileErrorCase(pattern: "[a", offset: 2, message: "missing terminating ] for character class"),
    CompileErrorCase(pattern: "*a", offset: 0, message: "quantifier does not follow a repeatable item"),
    CompileErrorCase(pattern: "日本(", offset: 7, message: "missing closing parenthesis"),
])
func compileError(_ c: CompileErrorCase) {
    #expect {
        _ = try RegexPattern(c.pattern)
    } throws: { error in
        guard let error = error as? RegexError else { return false }
        return error.pattern == c.pattern && error.offset == c.offset && error.message == c.message
            && error.description == "\(c.message) at offset \(c.offset)"
    }
}

@Test func typedThrowIsRegexError() {
    do {
        _ = try RegexPattern("a(b")
        Issue.record("expected a compile error")
    } catch {
        // `error` is statically a RegexError thanks to the typed throw.
        #expect(error.description == "missing closing parenthesis at offset 3")
    }
}

@Test func catastrophicBacktrackingIsNoMatch() throws {
    let regex = try RegexPattern("(a+)+$")
    let subject = String(repeating: "a", count: 40) + "!"
    #expect(regex.firstMatch(in: subject) == nil)
    #expect(!regex.matches(subject))
    switch regex.firstMatchResult(in: subject) {
    case .success(let match):
        #expect(match == nil)
    case .failure(let failure):
        #expect(failure.isResourceLimit)
        #expect(!failure.message.isEmpty)
    }
    // The limit is per call: the same pattern still works afterwards.
    #expect(regex.firstMatch(in: "aaa")?[0] == "aaa")
}

@Test func nestedRecursionHitsALimit() throws {
    // Deep enough nesting to exceed a depth or heap limit in the interpreter, or
    // the JIT stack; whichever engine runs, the answer is "no match", never a crash.
    let regex = try RegexPattern("^(\\((?1)*\\))*$")
    let subject = String(repeating: "(", count: 50_000) + String(repeating: ")", count: 49_999)
    #expect(regex.firstMatch(in: subject) == nil)
}

@Test func concurrentUseGivesCorrectResults() throws {
    let regex = try RegexPattern(#"^/item/(\d+)/(\w+)?$"#)
    let iterations = 2_000
    let results = ResultBox(count: iterations)
    DispatchQueue.concurrentPerform(iterations: iterations) { i in
        let withName = i.isMultiple(of: 2)
        let subject = "/item/\(i)/" + (withName ? "n\(i)" : "")
        var ok = false
        if let m = regex.firstMatch(in: subject) {
            ok = m[0] == subject && m[1] == String(i) && m[2] == (withName ? "n\(i)" : nil)
        }
        ok = ok && regex.matches(subject) && !regex.matches(subject + "/x")
        results.set(i, ok)
    }
    #expect(results.all)
}

/// Collects per-iteration outcomes; a serial queue guards the array because a Swift
/// array may not be mutated from several threads, even at distinct indices.
final class ResultBox: @unchecked Sendable {
    private var slots: [Bool]
    private let lock = DispatchQueue(label: "ResultBox")

    init(count: Int) { slots = Array(repeating: false, count: count) }

    func set(_ index: Int, _ value: Bool) { lock.sync { slots[index] = value } }

    var all: Bool { lock.sync { slots.allSatisfy { $0 } } }
}
