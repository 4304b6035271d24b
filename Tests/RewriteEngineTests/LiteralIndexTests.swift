@testable import RewriteEngine
import Testing

/// The pre-filter must never change an outcome: every rule set gives the same result
/// with the index as with every rule tried (which a trace forces).
@Suite struct LiteralIndexTests {
    static let patterns = [
        "/shop/(.*)\\.html", "/Blog/(\\d+)", "(.*)\\.(?:css|js)", "/a(b|c)d/(.*)", "/x+y/(.*)", ".*\\.isrwhlp",
        "/httpd(?:\\.ini|\\.parse\\.errors)", "/(.*)/list_(\\w+)\\.html", "/K(.*)", "/tag/(.*)", "/q\\?x=(\\d+)",
        "/sTaTs", "/ab?c/(.*)", "/(?i)mixed/(.*)",
    ]
    static let urls = [
        "/shop/cart.html", "/SHOP/x.html", "/blog/12", "/Blog/12", "/style.css", "/abd/x", "/acd/y", "/xxy/1",
        "/y.isrwhlp", "/HTTPD.INI", "/httpd.parse.errors", "/a/b/list_x.html", "/k\u{212A}", "/\u{212A}elvin",
        "/tag/%E4%B8%AD", "/q?x=1", "/stats", "/ac/1", "/abc/1", "/MIXED/z", "/none", "/", "/shop/a.html?q=1",
    ]

    @Test func indexAgreesWithTryingEveryRule() {
        for flags in ["", " [I]", " [I,O]", " [O]", " [L]", " [N]"] {
            var ini = "[ISAPI_Rewrite]\n"
            for (number, pattern) in Self.patterns.enumerated() {
                ini += "RewriteRule \(pattern) /hit\(number)$1\(flags)\n"
            }
            let rules = IniParser.parse(ini)
            #expect(rules.errors.isEmpty, "\(rules.errors)")
            for url in Self.urls {
                var indexed = TestRequest(url)
                var exhaustive = TestRequest(url)
                let fast = rules.evaluate(&indexed, originalURL: url)
                let slow = rules.evaluate(&exhaustive, originalURL: url, trace: { _ in })
                #expect(fast == slow && indexed.url == exhaustive.url, "\(url) with\(flags): \(indexed.url) vs \(exhaustive.url)")
            }
        }
    }

    @Test func rulesWithoutTheirLiteralAreNotCandidates() {
        var ini = "[ISAPI_Rewrite]\n"
        for number in 0..<1000 { ini += "RewriteRule /section\(number)/(.*)\\.html /s.php\\?s=\(number)&p=$1 [I]\n" }
        ini += "RewriteRule (.*)\\.(?:php|asp) $0\n"
        let rules = IniParser.parse(ini)
        let candidates = rules.index.candidates(url: Array("/section7/a.html".utf8), normalizedURL: { [] })
        #expect(candidates == [7, 1000])
        #expect(rules.index.candidates(url: Array("/other".utf8), normalizedURL: { [] }) == [1000])
    }
}
