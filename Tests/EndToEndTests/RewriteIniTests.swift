import Foundation
import Testing

/// The httpd.ini pre-handler over sockets: into an ISAPI extension, redirects, 404 for
/// [F], a proxy to a loopback upstream, a file edited while serving, and rewrite-test.
@Suite struct RewriteIniTests {
    static func start(_ ini: String, extra: String = "") throws -> DaemonProcess {
        try ISAPITests.start(["servervars"], config: { ISAPITests.config($0, extra: extra) }) { root in
            try root.write("conf/httpd.ini", ini)
        }
    }

    static func body(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    @Test func rewriteIntoAnExtensionWhichSeesTheNewURLAndTheOriginal() throws {
        let daemon = try Self.start("""
            [ISAPI_Rewrite]
            RewriteRule /app/(\\d+) /scripts/servervars.dll\\?page=$1 [I]
            """)
        defer { daemon.stop() }
        let response = try daemon.get("/app/7", headers: ["X-Rewrite-URL: /spoofed"])
        let text = Self.body(response)
        #expect(response.status == 200)
        #expect(text.contains("QUERY_STRING=page=7"))
        #expect(text.contains("URL=/scripts/servervars.dll"))
        #expect(text.contains("HTTP_X_REWRITE_URL:/app/7"))
        #expect(!text.contains("/spoofed"))
        #expect(try daemon.get("/app/x").status == 404)
        // The access log keeps the request line as the client sent it.
        #expect(eventually(timeout: 3) { daemon.root.read("logs/access_log").contains("GET /app/7 HTTP/1.1") })
    }

    @Test func seedRulesRedirectsAndForbidden() throws {
        let daemon = try Self.start("""
            [ISAPI_Rewrite]
            RewriteRule /httpd(?:\\.ini|\\.parse\\.errors) / [F,I,O]
            RewriteRule .*\\.isrwhlp / [F,I,O]
            RewriteRule /old/(.*) /new/$1 [RP]
            RewriteCond Host: (?!www\\.)(.*)
            RewriteRule /canon(.*) http\\://www.$1$2 [I,R]
            """)
        defer { daemon.stop() }
        for target in ["/httpd.ini", "/HTTPD.INI?x=1", "/httpd%2Eini", "/x/y.isrwhlp"] {
            #expect(try daemon.get(target).status == 404, "\(target)")
        }
        let moved = try daemon.get("/old/a?b=1")
        #expect(moved.status == 301)
        #expect(moved.header("Location") == "http://localhost/new/a?b=1")
        let canonical = try daemon.request("GET /canon/p HTTP/1.1\r\nHost: Example.com\r\nConnection: close\r\n\r\n")
        #expect(canonical.status == 302)
        #expect(canonical.header("Location") == "http://www.Example.com/p")
        #expect(try daemon.get("/index.html").status == 200)
    }

    @Test func proxyToALoopbackUpstream() throws {
        let upstream = try DaemonProcess.start(TestConfig.standard())
        defer { upstream.stop() }
        let daemon = try Self.start("""
            [ISAPI_Rewrite]
            RewriteProxy /up/(.*) http\\://127.0.0.1\\:\(upstream.port)/$1
            RewriteRule /dead/(.*) http\\://127.0.0.1\\:1/$1 [P]
            """)
        defer { daemon.stop() }
        let proxied = try daemon.get("/up/a.txt")
        #expect(proxied.status == 200)
        #expect(Self.body(proxied) == "alpha document\n")
        #expect(try daemon.get("/up/missing.txt").status == 404)
        #expect(try daemon.get("/dead/x").status == 502)
    }

    @Test func anEditedFileChangesTheNextRequest() throws {
        let daemon = try Self.start("[ISAPI_Rewrite]\nRewriteRule /page /a.txt\n")
        defer { daemon.stop() }
        #expect(Self.body(try daemon.get("/page")) == "alpha document\n")
        try daemon.root.write("conf/httpd.ini", "[ISAPI_Rewrite]\nRewriteRule /page /b.txt\nRewriteRule (broken /x\nRewriteRule /other /c.txt\n")
        // The file watcher reloads it (not the request): seen within moments.
        #expect(eventually(timeout: 3) { (try? daemon.get("/page")).map(Self.body) == "bravo document, a little longer\n" })
        #expect(Self.body(try daemon.get("/other")) == "charlie\n")
        #expect(daemon.root.read("conf/httpd.parse.errors").hasPrefix("line 3: "))
        try FileManager.default.removeItem(atPath: daemon.root.path("conf/httpd.ini"))
        #expect(eventually(timeout: 3) { (try? daemon.get("/page").status) == 404 })
    }

    @Test func rewriteTestExplainsAMatchAndAMiss() throws {
        let root = try ServerRoot()
        try root.writeConfig(TestConfig.standard())
        try root.write("conf/httpd.ini", "[ISAPI_Rewrite]\nRewriteCond Host: (.+)\nRewriteRule (.*) /$1$2 [I]\nNotADirective\n")
        let match = try runIsapid(["rewrite-test", "-d", root.path, "/p?q=1", "-H", "Host: a.com"])
        #expect(match.status == 0)
        #expect(match.stdout.contains("parse error, line 4: "))
        #expect(match.stdout.contains("tested \"a.com\\n/p?q=1\""))
        #expect(match.stdout.contains("$1=\"a.com\" $2=\"/p?q=1\""))
        #expect(match.stdout.contains("result: rewritten to /a.com/p?q=1"))
        let miss = try runIsapid(["rewrite-test", "-d", root.path, "/p"])
        #expect(miss.stdout.contains("no match"))
        #expect(miss.stdout.contains("result: no rewrite: /p"))
    }
}
