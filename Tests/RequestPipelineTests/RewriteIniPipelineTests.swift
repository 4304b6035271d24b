import Foundation
import RewriteEngine
import Testing
@testable import RequestPipeline

/// The httpd.ini pre-handler inside the pipeline: where rules live, what they change,
/// what is never served, and files edited while serving.
@Suite struct RewriteIniPipelineTests {
    static let config = """
        DocumentRoot htdocs
        <Directory "htdocs/scripts">
            Options ExecCGI
        </Directory>
        AddHandler isapi-handler .dll
        """

    /// The seed's example with its lost `]` and `\\` restored.
    static let seedExample = """
        [ISAPI_Rewrite]

        # This is a comment

        # 300 = 5 minutes
        CacheClockRate 300
        RepeatLimit 20

        # Block external access to the httpd.ini and httpd.parse.errors files
        RewriteRule /httpd(?:\\.ini|\\.parse\\.errors) / [F,I,O]

        # Block external access to the Helper ISAPI Extension
        RewriteRule .*\\.isrwhlp / [F,I,O]

        # Some custom rules
        RewriteCond Host: (.+)
        RewriteRule (.*) /$1$2 [I]
        """

    func run(_ pipeline: Pipeline, _ target: String, method: String = "GET",
             headers: [(String, String)] = []) -> (RequestContext, Response) {
        pipeline.process(TestRequest.make(target, method: method, headers: headers))
    }

    @Test func seedExampleLoadsCleanlyAndGuardsItsFiles() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("conf/httpd.ini", Self.seedExample)
        tree.write("htdocs/httpd.ini", "[ISAPI_Rewrite]\n")
        tree.write("htdocs/www.example.test/p", "p")
        let pipeline = try tree.pipeline(Self.config)
        #expect(run(pipeline, "/p").1.status == 200)
        #expect(!FileManager.default.fileExists(atPath: tree.root + "/conf/httpd.parse.errors"))
        for target in ["/httpd.ini", "/HTTPD.INI?x=1", "/httpd%2Eini", "/x/y.isrwhlp"] {
            #expect(run(pipeline, target).1.status == 404, "\(target)")
        }
    }

    @Test func ruleFilesAreNeverServedEvenWithoutRules() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/httpd.ini", "[ISAPI_Rewrite]\n")
        tree.write("htdocs/httpd.parse.errors", "line 1: x\n")
        tree.write("htdocs/helper.isrwhlp", "x")
        tree.write("htdocs/ok.txt", "ok")
        let pipeline = try tree.pipeline(Self.config)
        for target in ["/httpd.ini", "/HTTPD.ini", "/httpd.parse.errors", "/helper.isrwhlp", "/Helper.ISRWHLP"] {
            #expect(run(pipeline, target).1.status == 404, "\(target)")
        }
        #expect(run(pipeline, "/ok.txt").1.status == 200)
    }

    @Test func hostConditionRewritesAndKeepsTheOriginalURL() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("conf/httpd.ini", "[ISAPI_Rewrite]\nRewriteCond Host: (.+)\nRewriteRule (.*) /$1$2 [I]\n")
        tree.write("htdocs/www.example.test/p", "the site's page")
        let pipeline = try tree.pipeline(Self.config)
        let (context, response) = run(pipeline, "/p?q=1", headers: [("X-Rewrite-URL", "/spoofed")])
        #expect(response.status == 200)
        #expect(context.path == "/www.example.test/p")
        #expect(context.headers.values("X-Rewrite-URL") == ["/p?q=1"])
        let (other, _) = pipeline.process(IncomingRequest(
            method: "GET", target: "/p?q=1", headers: ["Host": "a.com"], connection: ConnectionInfo()))
        #expect(other.path == "/a.com/p")
        #expect(other.query == "q=1")
        #expect(other.headers.values("X-Rewrite-URL") == ["/p?q=1"])
        // The access log shows the rewritten URL unless a rule says [U].
        #expect(other.originalPath == "/a.com/p")
    }

    @Test func clientXRewriteURLIsRemovedEvenWithoutRules() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/ok.txt", "ok")
        let pipeline = try tree.pipeline(Self.config)
        let (context, _) = run(pipeline, "/ok.txt", headers: [("X-Rewrite-URL", "/admin")])
        #expect(context.headers["X-Rewrite-URL"] == nil)
    }

    @Test func siteFileRunsAfterTheGlobalOneAndLStopsBoth() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("conf/httpd.ini", "[ISAPI_Rewrite]\nRewriteRule /a /b\nRewriteRule /stop /stopped [L]\n")
        tree.write("htdocs/httpd.ini", "[ISAPI_Rewrite]\nRewriteRule /b /c\nRewriteRule /stopped /never\n")
        let pipeline = try tree.pipeline(Self.config)
        #expect(run(pipeline, "/a").0.path == "/c")
        #expect(run(pipeline, "/stop").0.path == "/stopped")
        let sitesOff = try tree.pipeline(Self.config + "\nRewriteIniSiteFiles Off")
        #expect(run(sitesOff, "/a").0.path == "/b")
        let noGlobal = try tree.pipeline(Self.config + "\nRewriteIniFile None")
        #expect(run(noGlobal, "/a").0.path == "/a")
        #expect(run(noGlobal, "/b").0.path == "/c")
    }

    @Test func redirectsAreCompletedFromTheRequest() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("conf/httpd.ini", """
            [ISAPI_Rewrite]
            RewriteRule /old/(.*) /new/$1 [RP]
            RewriteRule /temp(.*) http\\://other.example/$1 [R]
            RewriteRule /implicit http://elsewhere.example/x
            RewriteRule /gone.* / [F]
            """)
        let pipeline = try tree.pipeline(Self.config)
        let (_, moved) = pipeline.process(IncomingRequest(
            method: "GET", target: "/old/a?b=1", headers: ["Host": "WWW.Example.TEST:8080"], connection: ConnectionInfo()))
        #expect(moved.status == 301)
        #expect(moved.headers["Location"] == "http://www.example.test:8080/new/a?b=1")
        #expect(run(pipeline, "/temp?x").1.headers["Location"] == "http://other.example/?x")
        #expect(run(pipeline, "/temp?x").1.status == 302)
        #expect(run(pipeline, "/implicit").1.status == 302)
        #expect(run(pipeline, "/gone/x").1.status == 404)
    }

    @Test func headerAndMethodRules() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("conf/httpd.ini", """
            [ISAPI_Rewrite]
            RewriteHeader User-Agent: .* $1
            RewriteCond URL (.*)
            RewriteHeader Old-URL: ^$ $1
            RewriteCond METHOD OPTIONS
            RewriteRule (.*) /webdav.asp\\?$1
            RewriteHeader METHOD OPTIONS GET
            """)
        let pipeline = try tree.pipeline(Self.config)
        let (context, _) = run(pipeline, "/dav/x", method: "OPTIONS", headers: [("User-Agent", "curl")])
        #expect(context.headers["User-Agent"] == nil)
        #expect(context.headers["Old-URL"] == "/dav/x")
        #expect(context.method == "GET")
        #expect(context.path == "/webdav.asp")
        #expect(context.query == "/dav/x")
    }

    @Test func unmangleKeepsTheOriginalURLForTheLog() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("conf/httpd.ini", "[ISAPI_Rewrite]\nRewriteRule /pretty/(.*) /real.txt\\?id=$1 [U]\n")
        let pipeline = try tree.pipeline(Self.config)
        let (context, _) = run(pipeline, "/pretty/7")
        #expect(context.path == "/real.txt")
        #expect(context.originalPath == "/pretty/7")
        #expect(context.originalQuery == nil)
    }

    @Test func rewriteToAnExtensionRunsItsHandlerWithTheNewQuery() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/scripts/app.dll", "not really")
        tree.write("conf/httpd.ini", "[ISAPI_Rewrite]\nRewriteRule /app/(.*) /scripts/app.dll\\?x=$1\n")
        let pipeline = try tree.pipeline(Self.config, handlers: ["isapi-handler": RecordingHandler(name: "isapi")])
        let (context, response) = run(pipeline, "/app/1")
        #expect(response.status == 200)
        #expect(context.handler == "isapi-handler")
        #expect(context.filePath == tree.htdocs + "/scripts/app.dll")
        #expect(context.query == "x=1")
    }

    @Test func proxyRulesChooseTheProxyHandler() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("conf/httpd.ini", """
            [ISAPI_Rewrite]
            RewriteProxy /api/(.*) http\\://127.0.0.1\\:9/$1 [F]
            RewriteRule /local/(.*) /backend/$1 [P]
            """)
        let pipeline = try tree.pipeline(Self.config, handlers: [ProxyRequestHandler.name: RecordingHandler(name: "proxy")])
        let (context, response) = run(pipeline, "/api/v1?x=2")
        #expect(response.status == 200)
        #expect(context.proxyTarget == ProxyTarget(url: "http://127.0.0.1:9/v1?x=2", followsRedirects: true))
        #expect(context.handler == ProxyRequestHandler.name)
        #expect(run(pipeline, "/local/z").0.proxyTarget?.url == "http://www.example.test/backend/z")
    }

    @Test func anEditedFileChangesTheNextRequestAndErrorsAreReported() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let path = tree.write("conf/httpd.ini", "[ISAPI_Rewrite]\nRewriteRule /a /one\n")
        let pipeline = try tree.pipeline(Self.config)
        #expect(run(pipeline, "/a").0.path == "/one")
        // Same size, same (fixed) mtime: the change time still tells the file apart.
        tree.write("conf/httpd.ini", "[ISAPI_Rewrite]\nRewriteRule /a /two\n")
        #expect(run(pipeline, "/a").0.path == "/two")
        tree.write("conf/httpd.ini", "[ISAPI_Rewrite]\nRewriteRule /a /three\nRewriteRule (unclosed /x\nRewriteRule /b /four\n")
        #expect(run(pipeline, "/a").0.path == "/three")
        #expect(run(pipeline, "/b").0.path == "/four")
        let errors = try String(contentsOfFile: tree.root + "/conf/httpd.parse.errors", encoding: .utf8)
        #expect(errors.hasPrefix("line 3: "))
        #expect(errors.split(separator: "\n").count == 1)
        try FileManager.default.removeItem(atPath: path)
        #expect(run(pipeline, "/a").0.path == "/a")
    }
}
