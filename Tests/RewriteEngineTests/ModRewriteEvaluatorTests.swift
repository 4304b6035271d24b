@testable import RewriteEngine
import Testing

/// mod_rewrite semantics from Apache 2.4 (spec §5.3 observations and mod_rewrite.c).
@Suite struct ModRewriteEvaluatorTests {
    let evaluator = RewriteEvaluator(maps: RewriteMapStore())

    func server(_ lines: [String], _ uri: String, query: String? = nil,
                environment: TestEnvironment = TestEnvironment()) throws -> RewriteAction {
        try evaluator.applyServerRules(rewriteConfig(lines), uri: uri, query: query, environment: environment).action
    }

    func directory(_ lines: [String], _ filename: String, query: String? = nil, pathInfo: String = "",
                   environment: TestEnvironment = TestEnvironment()) throws -> RewriteAction {
        try evaluator.applyDirectoryRules(
            rewriteConfig(lines, directory: "/srv/www/sub/"), filename: filename, pathInfo: pathInfo, query: query,
            documentRoot: "/srv/www", environment: environment).action
    }

    @Test func queryIsReplacedAppendedOrDropped() throws {
        #expect(try server(["RewriteRule ^/q/(\\w+)$ /search.php?term=$1"], "/q/abc", query: "keep=1")
                == .rewritten(path: "/search.php", query: "term=abc", passThrough: false))
        #expect(try server(["RewriteRule ^/q/(\\w+)$ /search.php?term=$1 [QSA]"], "/q/abc", query: "keep=1")
                == .rewritten(path: "/search.php", query: "term=abc&keep=1", passThrough: false))
        #expect(try server(["RewriteRule ^/q/(\\w+)$ /search.php"], "/q/abc", query: "keep=1")
                == .rewritten(path: "/search.php", query: "keep=1", passThrough: false))
        #expect(try server(["RewriteRule ^/drop$ /new? [R]"], "/drop", query: "q=1")
                == .redirect(status: 302, location: "http://localhost/new"))
        #expect(try server(["RewriteRule ^/d$ /new [QSD,R]"], "/d", query: "q=1")
                == .redirect(status: 302, location: "http://localhost/new"))
    }

    @Test func redirectEscaping() throws {
        // The path is re-escaped, the unchanged query copied as is (no double escaping).
        #expect(try server(["RewriteRule ^/redir/(.*)$ /target/$1 [R=301]"], "/redir/a b", query: "x=%25")
                == .redirect(status: 301, location: "http://localhost/target/a%20b?x=%25"))
        // A back-reference decoded %26 to & and it stays a separator.
        #expect(try server(["RewriteRule ^/esc/(.*)$ /out?arg=$1 [R]"], "/esc/a b&c")
                == .redirect(status: 302, location: "http://localhost/out?arg=a%20b&c"))
        // [NE] would leave a raw space: refused.
        #expect(try server(["RewriteRule ^/esc/(.*)$ /out?arg=$1 [R,NE]"], "/esc/a b&c") == .status(403))
    }

    @Test func unsafeResultsAreRefused() throws {
        #expect(try server(["RewriteRule ^/b/(.*)$ /s.php?term=$1 [B,PT]"], "/b/x & y")
                == .rewritten(path: "/s.php", query: "term=x+%26+y", passThrough: true))
        #expect(try server(["RewriteRule ^/b/(.*)$ /s.php?term=$1 [PT]"], "/b/x & y") == .status(403))
        #expect(try server(["RewriteRule ^/u/(.*)$ /x/$1"], "/u/a?b") == .status(403))
        #expect(try server(["RewriteRule ^/u/(.*)$ /x/$1 [UnsafeAllow3F]"], "/u/a?b")
                == .rewritten(path: "/x/a", query: "b", passThrough: false))
    }

    @Test func conditionsAndBackReferences() throws {
        var environment = TestEnvironment()
        environment.headers["Host"] = "Shop.Example.com"
        #expect(try server(["RewriteCond %{HTTP_HOST} ^(?:www\\.)?([^.]+)\\.example\\.com$ [NC]",
                            "RewriteRule ^/(.*)$ /sites/%1/$1"], "/a", environment: environment)
                == .rewritten(path: "/sites/Shop/a", query: nil, passThrough: false))
        // Apache's back-references are one digit: $10 is $1 then "0".
        #expect(try server(["RewriteRule ^/(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)$ /out/$10"], "/abcdefghij")
                == .rewritten(path: "/out/a0", query: nil, passThrough: false))
        environment.headers = ["X-A": "a", "X-B": "b"]
        let orRules = ["RewriteCond %{HTTP:X-A} ^(a)$ [OR]", "RewriteCond %{HTTP:X-B} ^(b)$", "RewriteRule ^/or$ /or-%1"]
        #expect(try server(orRules, "/or", environment: environment) == .rewritten(path: "/or-a", query: nil, passThrough: false))
        environment.headers = ["X-B": "b"]
        #expect(try server(orRules, "/or", environment: environment) == .rewritten(path: "/or-b", query: nil, passThrough: false))
        environment.headers = ["X-A": "ABC"]
        #expect(try server(["RewriteCond %{HTTP:X-A} =abc [NC]", "RewriteRule ^/eq$ /yes"], "/eq", environment: environment)
                == .rewritten(path: "/yes", query: nil, passThrough: false))
    }

    @Test func lexicographicComparisonIsLengthFirst() {
        #expect(RewriteEvaluator.lexicography("7", "6") == 1)
        #expect(RewriteEvaluator.lexicography("10", "9") == 1)
        #expect(RewriteEvaluator.lexicography("a", "b") == -1)
        #expect(RewriteEvaluator.atoi(" 12abc") == 12)
    }

    @Test func loopsAndTheirLimits() throws {
        #expect(try server(["RewriteRule ^/loop/(.*)X(.*)$ /loop/$1x$2 [N]"], "/loop/aXbXc")
                == .rewritten(path: "/loop/axbxc", query: nil, passThrough: false))
        #expect(try server(["RewriteRule ^/grow/(.*)$ /grow/a$1 [N=10]"], "/grow/x") == .status(500))
    }

    @Test func statusFlagsAndDash() throws {
        #expect(try server(["RewriteRule ^/f - [F]"], "/f") == .status(403))
        #expect(try server(["RewriteRule ^/g - [G]"], "/g") == .status(410))
        #expect(try server(["RewriteRule ^/nf - [R=404]"], "/nf") == .status(404))
        #expect(try server(["RewriteRule ^perm$ - [R=permanent]"], "perm") == .unchanged)
        #expect(try server(["RewriteRule ^/same$ http://localhost:8080/target"], "/same")
                == .redirect(status: 302, location: "http://localhost:8080/target"))
        #expect(try server(["RewriteRule ^/self$ http://localhost/target"], "/self")
                == .rewritten(path: "/target", query: nil, passThrough: false))
    }

    @Test func chainAndSkip() throws {
        let chain = ["RewriteRule ^/c/(a)$ /c/$1-1 [C]", "RewriteRule ^/c/a-1$ /c/done", "RewriteRule ^/c/b$ /c/b2"]
        #expect(try server(chain, "/c/a") == .rewritten(path: "/c/done", query: nil, passThrough: false))
        #expect(try server(["RewriteRule ^/s$ /s1 [S=1]", "RewriteRule ^/s1$ /skipped", "RewriteRule ^/s1$ /s2"], "/s")
                == .rewritten(path: "/s2", query: nil, passThrough: false))
    }

    @Test func perDirectoryPrefixAndBase() throws {
        // Without RewriteBase the prefix is re-added and the DocumentRoot stripped.
        #expect(try directory(["RewriteRule ^int$ bar.html"], "/srv/www/sub/int") == .internalRedirect(url: "/sub/bar.html"))
        // A relative redirect without RewriteBase leaks the directory, as Apache's does.
        #expect(try directory(["RewriteRule ^foo$ bar [R]"], "/srv/www/sub/foo")
                == .redirect(status: 302, location: "http://localhost/srv/www/sub/bar"))
        #expect(try directory(["RewriteBase /app/", "RewriteRule ^foo$ bar [R]"], "/srv/www/sub/foo")
                == .redirect(status: 302, location: "http://localhost/app/bar"))
        #expect(try directory(["RewriteRule ^(.+)/$ /sub/$1 [R=301]"], "/srv/www/sub/x", pathInfo: "/")
                == .redirect(status: 301, location: "http://localhost/sub/x"))
    }

    @Test func wordPressFrontController() throws {
        var environment = TestEnvironment()
        environment.files = ["/srv/www/sub/index.php", "/srv/www/sub/style.css"]
        environment.directories = ["/srv/www/sub"]
        let rules = ["RewriteBase /sub/", "RewriteRule ^index\\.php$ - [L]", "RewriteCond %{REQUEST_FILENAME} !-f",
                     "RewriteCond %{REQUEST_FILENAME} !-d", "RewriteRule . /sub/index.php [L]"]
        #expect(try directory(rules, "/srv/www/sub/2024", pathInfo: "/05/hello-world/", environment: environment)
                == .internalRedirect(url: "/sub/index.php"))
        #expect(try directory(rules, "/srv/www/sub/style.css", environment: environment) == .unchanged)
        #expect(try directory(rules, "/srv/www/sub/index.php", environment: environment) == .unchanged)
    }

    @Test func mapsAndTheirFallbacks() throws {
        let rules = ["RewriteMap lower int:tolower", "RewriteRule ^/CASE/(.*)$ /lower/${lower:$1}",
                     "RewriteRule ^/m/(.*)$ /v/${nomap:$1|fallback}"]
        #expect(try server(rules, "/CASE/Def") == .rewritten(path: "/lower/def", query: nil, passThrough: false))
        #expect(try server(rules, "/m/x") == .rewritten(path: "/v/fallback", query: nil, passThrough: false))
    }

    @Test func backReferenceEscapingFlags() {
        var flags = RewriteRuleFlags()
        flags.escapeBackReferences = true
        #expect(URIEscaping.escapeBackReference("foo/bar/ baz\r", flags: flags) == "foo%2fbar%2f+baz%0d")
        flags.escapeCharacters = "/"
        #expect(URIEscaping.escapeBackReference("foo/bar/ baz", flags: flags) == "foo%2fbar%2f baz")
        flags = RewriteRuleFlags()
        flags.escapeControls = true
        #expect(URIEscaping.escapeBackReference("foo/bar/ baz\r", flags: flags) == "foo/bar/+baz%0d")
    }
}

/// The literal pre-filter for server-context rules never changes an outcome.
@Suite struct ModRewriteLiteralIndexTests {
    @Test func indexAgreesWithTryingEveryRule() throws {
        let evaluator = RewriteEvaluator(maps: RewriteMapStore())
        let patterns = ["^/shop/(.*)\\.html$", "^/Blog/(\\d+)", "\\.(?:css|js)$", "/a(b|c)d/", "^/x+y/(.*)", "isrwhlp",
                        "^/(.*)/list_(\\w+)\\.html$", "^/K(.*)", "^/tag/(.*)", "!^/keep", "^/sTaTs$", "^/ab?c/"]
        for flags in ["", " [NC]", " [L]", " [NC,L]"] {
            var lines = patterns.enumerated().map { "RewriteRule \($0.element) /hit\($0.offset)/$0\(flags)" }
            lines.append("RewriteRule ^/hit3/(.*)$ /again/$1")
            var config = try rewriteConfig(lines)
            config.prepareIndex()
            #expect(config.literalIndex != nil)
            for uri in ["/shop/a.html", "/SHOP/A.HTML", "/blog/12", "/Blog/12", "/s.css", "/abd/x", "/xxy/1", "/k\u{212A}",
                        "/tag/x", "/keep", "/stats", "/ac/1", "/abc/1", "/none", "/a/list_b.html", "/isrwhlp"] {
                let fast = evaluator.applyServerRules(config, uri: uri, query: nil, environment: TestEnvironment())
                let slow = evaluator.applyServerRules(config, uri: uri, query: nil, environment: TestEnvironment(), trace: { _ in })
                #expect(fast.action == slow.action, "\(uri) with\(flags)")
            }
        }
    }

    @Test func chainedListsAreNotIndexed() throws {
        var config = try rewriteConfig(["RewriteRule ^/a$ /b [C]", "RewriteRule ^/b$ /c"])
        config.prepareIndex()
        #expect(config.literalIndex == nil)
    }
}

/// Found by fuzzing the httpd.ini side: growing loops must end in both dialects.
@Suite struct ModRewriteGrowthTests {
    @Test func growingHeaderAndURLLoopsEndWith500() throws {
        let evaluator = RewriteEvaluator(maps: RewriteMapStore())
        let url = try rewriteConfig(["RewriteRule ^/(.*)$ /$1$1 [N]"])
        #expect(evaluator.applyServerRules(url, uri: "/ab", query: nil, environment: TestEnvironment()).action == .status(500))
        var header = RewriteConfig()
        header.engine = true
        header.rules = [try RewriteRule(["^(.*)$", "$1$1x", "[N]"], conditions: [], text: "RewriteHeader X-A ^(.*)$ $1$1x [N]",
                                        location: "test", headerTarget: "X-A")]
        #expect(evaluator.applyServerRules(header, uri: "/ab", query: nil, environment: TestEnvironment()).action == .status(500))
    }
}
