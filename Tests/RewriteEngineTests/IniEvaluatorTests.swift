import PCRE2Regex
@testable import RewriteEngine
import Testing

/// Evaluator behaviour the golden files cannot express.
@Suite struct IniEvaluatorTests {
    @Test func catastrophicPatternIsAbandonedNotHung() {
        let rules = IniParser.parse("[ISAPI_Rewrite]\nRewriteRule /(a+)+b /x\nRewriteRule /(a*)* /y\n")
        var request = TestRequest("/" + String(repeating: "a", count: 40) + "!")
        var abandoned: [Int] = []
        let result = rules.evaluate(&request, originalURL: request.url, abandoned: { rule, failure in
            #expect(failure.isResourceLimit)
            abandoned.append(rule.line)
        })
        #expect(result.outcome == .proceed)
        #expect(request.url.hasSuffix("!"))
        // PCRE2 refuses the first at once (no "b" in the subject); the second hits the limit.
        #expect(abandoned == [3])
    }

    /// Found by fuzzing: [N] on a rule that repeats its group doubles the URL each round.
    @Test func aGrowingLoopEndsInsteadOfExhaustingMemory() {
        let rules = IniParser.parse("[ISAPI_Rewrite]\nRewriteRule /(.*) /$1$1 [N]\n")
        var request = TestRequest("/ab")
        let result = rules.evaluate(&request, originalURL: "/ab")
        #expect(result.outcome == .resultTooLong(ruleLine: 2))
        #expect(request.url.utf8.count <= IniRuleSet.maximumResultLength)
    }

    @Test func xRewriteURLIsSetOnceAcrossRuleSets() {
        let global = IniParser.parse("[ISAPI_Rewrite]\nRewriteRule /a /b\n")
        let site = IniParser.parse("[ISAPI_Rewrite]\nRewriteRule /b /c\n")
        var request = TestRequest("/a")
        _ = global.evaluate(&request, originalURL: "/a")
        _ = site.evaluate(&request, originalURL: "/a")
        #expect(request.url == "/c")
        #expect(request.header(rewriteURLHeader) == "/a")
    }

    @Test func traceShowsEveryRuleWithItsSubjectAndGroups() {
        let rules = IniParser.parse("[ISAPI_Rewrite]\nRewriteRule /x /never\nRewriteCond Host: (.+)\nRewriteRule (.*) /$1$2 [I]\n")
        var request = TestRequest("/p?q=1", headers: [("Host", "a.com")])
        var steps: [String] = []
        _ = rules.evaluate(&request, originalURL: "/p?q=1", trace: { step in
            switch step {
            case .tried(let rule, let subject, let groups):
                steps.append("\(rule.line) \(subject.debugDescription) \(groups.map { $0.map { $0 ?? "-" } } ?? [])")
            case .applied(let rule, let effect): steps.append("\(rule.line) \(effect)")
            default: steps.append("other")
            }
        })
        #expect(steps == [
            "2 \"/p?q=1\" []",
            "4 \"a.com\\n/p?q=1\" [\"a.com\\n/p?q=1\", \"a.com\", \"/p?q=1\"]",
            "4 URL → /a.com/p?q=1",
        ])
    }

    @Test(arguments: [
        ("RewriteRule", "line 2: RewriteRule needs 2 arguments before its flags, found 0"),
        ("RewriteRule /a /b [Q]", "line 2: RewriteRule: unknown flag 'Q'"),
        ("RewriteRule /a /b [P,R,RP]", "line 2: RewriteRule: R and RP together"),
        ("RewriteProxy /a http://x/ [L]", "line 2: RewriteProxy: flag 'L' is not allowed here"),
        ("RewriteRule /a /b(", "line 2: RewriteRule: missing ')' in format string (write \\( for a literal one)"),
        ("RewriteRule (a /b", "line 2: RewriteRule: bad regular expression '(a': missing closing parenthesis at offset 2"),
        ("RewriteHeader VERSION .* x", "line 2: RewriteHeader cannot change 'VERSION' (only URL, METHOD or a header Name:)"),
        ("RepeatLimit many", "line 2: RepeatLimit takes one number (0 or more)"),
        ("RewriteCond URL (.*)", "line 2: RewriteCond is not followed by a RewriteRule, RewriteHeader or RewriteProxy"),
    ])
    func parseErrorsSayWhatIsWrong(_ line: String, _ message: String) {
        let rules = IniParser.parse("[ISAPI_Rewrite]\n" + line + "\n")
        #expect(rules.errors.map(\.description) == [message])
        #expect(rules.parseErrorsText == message + "\n")
    }

    @Test func onlyTheISAPIRewriteSectionIsRead() {
        let rules = IniParser.parse("garbage before\n[Other]\nRewriteRule (bad\n[isapi_rewrite]\nRewriteRule /a /b\n[Other]\nnonsense\n")
        #expect(rules.errors.isEmpty)
        #expect(rules.rules.count == 1)
    }
}
