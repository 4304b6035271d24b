@testable import RewriteEngine
import Testing

/// The literal pre-filter's analysis: never a literal a match could lack.
@Suite struct RequiredLiteralTests {
    func literal(_ pattern: String) -> String? {
        RequiredLiteral.longest(in: pattern).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test(arguments: [
        ("/section12/(.*)\\.html", "/section12/"),
        ("/Blog/(.*)", "/blog/"),                      // lower-cased
        ("(.*)/list_([a-z0-9]+)\\.html", "/list_"),
        ("/httpd(?:\\.ini|\\.parse\\.errors)", "/httpd"), // the alternation gives nothing, the prefix stays
        ("abc+def", "abc"),                            // c is required once, then the run breaks
        ("ab?cdef", "cdef"),                           // b is optional
        ("(?i)/Tag/(.*)", "/tag/"),
        ("/a(?=b)bcd", "/abcd"),                       // a lookahead consumes nothing: neighbours stay adjacent
        ("[abc]/foo", "/foo"),
        ("x{2}yz", "yz"),
        ("/(foo)bar", "foo"),
    ])
    func finds(_ pattern: String, _ expected: String) {
        #expect(literal(pattern) == expected)
    }

    @Test(arguments: [
        ".*", "(.*)", "a|bcd", "(?x)abc def", "\\Qabc\\E", "(abc)?", "(abc)*", "a", "\\x41\\x42\\x43",
        "(*UTF)abc", "[abc", "(abc", "(?<name>abc)", "\\p{L}abc",
    ])
    func declines(_ pattern: String) {
        #expect(literal(pattern) == nil)
    }

    @Test func ahoCorasickFindsOverlappingPatterns() {
        let automaton = AhoCorasick([Array("he".utf8), Array("she".utf8), Array("hers".utf8), Array("his".utf8)])
        #expect(Set(automaton.matches(in: Array("USHERS".utf8))) == [0, 1, 2])
        #expect(automaton.matches(in: Array("xyz".utf8)).isEmpty)
    }
}
