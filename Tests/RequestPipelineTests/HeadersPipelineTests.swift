import Foundation
import Testing
@testable import RequestPipeline

/// mod_headers in the pipeline: each action on static files and on the server's own
/// answers, `always` against `onsuccess`, `env=` conditions, the order across server,
/// `<Directory>` and `.htaccess`, extension heads, and RequestHeader before the handler.
@Suite("Headers")
struct HeadersPipelineTests {
    static func pipeline(_ tree: PipelineTree, _ directives: String, handlers: [String: any RequestHandler] = [:]) throws -> Pipeline {
        tree.write("htdocs/a.txt", "a")
        return try tree.pipeline("DocumentRoot \(tree.htdocs)\n" + directives, handlers: handlers)
    }

    @Test("set, append, merge, add, setifempty, unset, edit and edit* on a static file")
    func actions() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            Header set X-Set one
            Header set X-Set two
            Header append Cache-Control no-store
            Header append Cache-Control private
            Header merge X-Merge "a, \\"b,c\\""
            Header merge X-Merge a
            Header merge X-Merge "b,c"
            Header add X-Add 1
            Header add X-Add 2
            Header setifempty X-Set three
            Header setifempty X-Empty four
            Header unset Accept-Ranges
            Header edit ETag "^\\"(.*)\\"$" "W/\\"$1\\""
            Header add X-Edit aaa
            Header edit* X-Edit a b
            Header add X-Edit1 aaa
            Header edit X-Edit1 a &&
            Header edit X-Missing a b
            """)
        let (_, response) = pipeline.run("/a.txt")
        #expect(response.status == 200)
        #expect(response.headers.values("X-Set") == ["two"])
        #expect(response.headers["Cache-Control"] == "no-store, private")
        #expect(response.headers["X-Merge"] == "a, \"b,c\", b,c")
        #expect(response.headers.values("X-Add") == ["1", "2"])
        #expect(response.headers["X-Empty"] == "four")
        #expect(response.headers["Accept-Ranges"] == nil)
        #expect(response.headers["ETag"]?.hasPrefix("W/\"") == true)
        #expect(response.headers["X-Edit"] == "bbb")
        #expect(response.headers["X-Edit1"] == "aaaa")
        #expect(!response.headers.contains("X-Missing"))
        #expect(response.filePath == tree.htdocs + "/a.txt")
    }

    @Test("%t, %D, %{VAR}e, %% and echo fill in from the request")
    func formats() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            RewriteEngine on
            RewriteRule ^ - [E=tier:gold]
            Header set X-Times "%t %D"
            Header set X-Env "%{tier}e/%{absent}e 100%%"
            Header echo ^X-Trace
            """)
        let request = TestRequest.make("/a.txt", headers: [("X-Trace-Id", "42"), ("X-Other", "no")])
        let (_, response) = pipeline.process(request)
        let times = try #require(response.headers["X-Times"]).split(separator: " ")
        #expect(times.first == "t=\(request.receivedAtMicroseconds)")
        #expect(times.last?.hasPrefix("D=") == true && Int(times.last!.dropFirst(2))! >= 0)
        #expect(response.headers["X-Env"] == "gold/(null) 100%")
        #expect(response.headers["X-Trace-Id"] == "42")
        #expect(!response.headers.contains("X-Other"))
    }

    @Test("always reaches error pages and redirects; onsuccess only what a handler made")
    func alwaysAndOnSuccess() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            Redirect /old http://example.test/new
            Header always set X-Frame-Options DENY
            Header set Strict-Transport-Security max-age=600
            Header onsuccess set X-Success yes
            """)
        let (_, file) = pipeline.run("/a.txt")
        #expect(file.headers["X-Frame-Options"] == "DENY")
        #expect(file.headers["Strict-Transport-Security"] == "max-age=600")
        #expect(file.headers["X-Success"] == "yes")

        for target in ["/missing", "/old"] {
            let (_, answer) = pipeline.run(target)
            #expect(answer.status == (target == "/old" ? 302 : 404))
            #expect(answer.headers["X-Frame-Options"] == "DENY")
            #expect(answer.headers["Strict-Transport-Security"] == nil)
            #expect(answer.headers["X-Success"] == nil)
        }
        let (_, notModified) = pipeline.run("/a.txt", headers: [("If-None-Match", try #require(file.headers["ETag"]))])
        #expect(notModified.status == 304)
        #expect(notModified.headers["X-Frame-Options"] == "DENY")
        #expect(notModified.headers["X-Success"] == nil)
    }

    @Test("env=VAR and env=!VAR test the request's environment")
    func environmentConditions() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            RewriteEngine on
            RewriteRule ^/a - [E=marked:1]
            Header set X-Marked yes env=marked
            Header set X-Unmarked yes env=!marked
            """)
        tree.write("htdocs/b.txt", "b")
        let (_, marked) = pipeline.run("/a.txt")
        #expect(marked.headers["X-Marked"] == "yes")
        #expect(marked.headers["X-Unmarked"] == nil)
        let (_, unmarked) = pipeline.run("/b.txt")
        #expect(unmarked.headers["X-Marked"] == nil)
        #expect(unmarked.headers["X-Unmarked"] == "yes")
    }

    @Test("server lines run first, then <Directory>, then .htaccess")
    func mergeOrder() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/app/b.txt", "b")
        tree.write("htdocs/app/.htaccess", "Header append X-Order htaccess\n")
        let pipeline = try Self.pipeline(tree, """
            Header set X-Order server
            <Directory \(tree.htdocs)>
                AllowOverride FileInfo
            </Directory>
            <Directory \(tree.htdocs)/app>
                Header append X-Order directory
            </Directory>
            """)
        #expect(pipeline.run("/app/b.txt").1.headers["X-Order"] == "server, directory, htaccess")
        #expect(pipeline.run("/a.txt").1.headers["X-Order"] == "server")
    }

    @Test("an extension's head gets both tables, its error answer the always lines; RequestHeader runs before it")
    func blockingHandler() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/x.ext", "")
        let pipeline = try Self.pipeline(tree, """
            AddHandler fake-ext .ext
            Header always set X-Frame-Options DENY
            Header set Strict-Transport-Security max-age=600
            Header unset X-Powered-By
            RequestHeader set X-From-Proxy 1
            RequestHeader unset Cookie
            """, handlers: ["fake-ext": HeadEchoHandler()])

        let (context, response) = pipeline.run("/x.ext", headers: [("Cookie", "a=b")])
        #expect(context.headers["X-From-Proxy"] == "1")
        #expect(context.headers["Cookie"] == nil)
        guard case .handOff(let handler) = response.body else { Issue.record("not handed off"); return }
        let channel = FakeChannel()
        handler.run(Shared(context), channel: channel, pipeline: pipeline)
        #expect(channel.status == 200)
        #expect(channel.headers["X-Seen-From-Proxy"] == "1")
        #expect(channel.headers["X-Powered-By"] == nil)
        #expect(channel.headers["X-Frame-Options"] == "DENY")
        #expect(channel.headers["Strict-Transport-Security"] == "max-age=600")

        let (failing, failed) = pipeline.run("/x.ext?fail")
        guard case .handOff(let failer) = failed.body else { Issue.record("not handed off"); return }
        let errorChannel = FakeChannel()
        failer.run(Shared(failing), channel: errorChannel, pipeline: pipeline)
        let answer = try #require(errorChannel.response)
        #expect(answer.status == 500)
        #expect(answer.headers["X-Frame-Options"] == "DENY")
        #expect(answer.headers["Strict-Transport-Security"] == nil)
    }

    @Test("RequestHeader runs after the rewrite rules: their conditions see the header as sent, the access log sees it changed")
    func requestHeaderPhase() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            RewriteEngine on
            RewriteCond %{HTTP:X-From-Proxy} =1
            RewriteRule ^ - [E=sawit:1]
            RequestHeader set X-From-Proxy 1
            Header set X-Saw-It yes env=sawit
            """)
        let (context, response) = pipeline.run("/a.txt")
        #expect(context.headers["X-From-Proxy"] == "1")
        #expect(response.headers["X-Saw-It"] == nil)
        let record = AccessLogRecordBuilder.record(context, response: response, bytesSent: 1, connection: .close, serverPort: 80)
        #expect(record.requestHeaders.contains { $0.0 == "X-From-Proxy" && $0.1 == "1" })
        // Sent by the client, the rewrite condition sees it.
        #expect(pipeline.run("/a.txt", headers: [("X-From-Proxy", "1")]).1.headers["X-Saw-It"] == "yes")
    }

    @Test("a proxied request carries the RequestHeader lines upstream and its answer gets the Header lines")
    func proxied() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            RewriteEngine on
            RewriteRule ^/front(.*)$ http://127.0.0.1:9/app$1 [P]
            RequestHeader set X-From-Proxy 1
            Header unset X-Powered-By
            Header always set X-Frame-Options DENY
            """, handlers: [ProxyRequestHandler.name: ProxyRequestHandler()])
        let (_, response) = pipeline.run("/front/x")
        guard case .proxy(let plan) = response.body else { Issue.record("not proxied"); return }
        #expect(plan.upstream.target == "/app/x")
        #expect(plan.headers["X-From-Proxy"] == "1")
        let upstreamHead = UpstreamResponseHead(
            versionMinor: 1, status: 200, reason: "OK", headers: ["X-Powered-By": "upstream", "Content-Length": "5"])
        let head = try #require(plan.clientHead(upstreamHead))
        #expect(head.status == 200)
        #expect(head.headers["X-Powered-By"] == nil)
        #expect(head.headers["X-Frame-Options"] == "DENY")
        #expect(head.headers["Content-Length"] == "5")
    }

    @Test("RequestHeader early runs before the rewrite rules, which then see the change")
    func earlyRequestHeader() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            RequestHeader unset Proxy early
            RequestHeader set X-Early 1 early
            RewriteEngine on
            RewriteCond %{HTTP:Proxy} !^$
            RewriteRule ^ - [E=proxyseen:1]
            RewriteCond %{HTTP:X-Early} =1
            RewriteRule ^ - [E=earlyseen:1]
            Header set X-Proxy-Seen yes env=proxyseen
            Header set X-Early-Seen yes env=earlyseen
            """)
        let (context, response) = pipeline.run("/a.txt", headers: [("Proxy", "http://evil.example/")])
        #expect(context.headers["Proxy"] == nil)
        #expect(context.headers["X-Early"] == "1")
        #expect(response.headers["X-Proxy-Seen"] == nil)
        #expect(response.headers["X-Early-Seen"] == "yes")
    }

    @Test("no Header line: nothing is wrapped or changed")
    func nothingConfigured() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/x.ext", "")
        let pipeline = try Self.pipeline(tree, "AddHandler fake-ext .ext\n", handlers: ["fake-ext": HeadEchoHandler()])
        let (_, response) = pipeline.run("/x.ext")
        guard case .handOff(let handler) = response.body else { Issue.record("not handed off"); return }
        #expect(handler is HeadEchoRun)
    }
}

/// A handler that hands off to `HeadEchoRun`.
private struct HeadEchoHandler: RequestHandler {
    func handle(_ context: inout RequestContext, pipeline: Pipeline) -> Response { .handOff(HeadEchoRun()) }
}

/// Sends a head with X-Powered-By and the X-From-Proxy request header it saw; with the
/// query `fail`, answers the server's 500 instead, as an extension that fails does.
private struct HeadEchoRun: BlockingHandler {
    func run(_ context: Shared<RequestContext>, channel: any ResponseChannel, pipeline: Pipeline) {
        if context.value.query == "fail" {
            _ = channel.respond(pipeline.errorResponseAfterHandler(500, context.value))
        } else {
            _ = channel.sendHead(status: 200, reason: nil, headers: [
                "X-Powered-By": "fake", "X-Seen-From-Proxy": context.value.headers["X-From-Proxy"] ?? "-",
            ])
        }
        channel.finish(closeConnection: false)
    }
}
