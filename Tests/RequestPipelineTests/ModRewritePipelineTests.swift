import Foundation
import Testing
@testable import RequestPipeline

/// mod_rewrite inside the pipeline: server rules before mapping, per-directory rules
/// (in `<Directory>` and `.htaccess`) after the access checks, re-injection, and
/// Apache's merge of rules between directories.
@Suite struct ModRewritePipelineTests {
    func run(_ pipeline: Pipeline, _ target: String, headers: [(String, String)] = []) -> (RequestContext, Response) {
        pipeline.process(TestRequest.make(target, headers: headers))
    }

    /// WordPress's stock .htaccess (Tests/Fixtures/wordpress.htaccess).
    static let wordPress = try! String(
        contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/wordpress.htaccess").standardized, encoding: .utf8)

    @Test func wordPressRoutesPrettyLinksAndLeavesFilesAlone() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/index.php", "front controller")
        tree.write("htdocs/wp-content/style.css", "css")
        tree.write("htdocs/.htaccess", Self.wordPress)
        let pipeline = try tree.pipeline("""
            DocumentRoot htdocs
            <Directory "\(tree.htdocs)">
                AllowOverride All
                Require all granted
            </Directory>
            """)
        let (routed, response) = run(pipeline, "/2024/05/hello-world/")
        #expect(response.status == 200)
        #expect(routed.filePath == tree.htdocs + "/index.php")
        #expect(routed.environment["REDIRECT_URL"] == nil || routed.redirectCount == 1)
        #expect(routed.redirectCount == 1)
        // One X-Rewrite-URL with the URL as sent, as ISAPI_Rewrite 3 sets it.
        #expect(routed.headers.values("X-Rewrite-URL") == ["/2024/05/hello-world/"])
        let (file, _) = run(pipeline, "/wp-content/style.css")
        #expect(file.filePath == tree.htdocs + "/wp-content/style.css")
        #expect(file.redirectCount == 0)
    }

    @Test func serverRulesMapUnderTheDocumentRootWithoutAliases() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/new/a.txt", "new a")
        tree.write("aliased/new/a.txt", "aliased")
        let pipeline = try tree.pipeline("""
            DocumentRoot htdocs
            Alias /new "\(tree.root)/aliased/new"
            RewriteEngine On
            RewriteRule ^/old/(.*)$ /new/$1
            RewriteRule ^/pt/(.*)$ /new/$1 [PT]
            """)
        let (plain, _) = run(pipeline, "/old/a.txt")
        #expect(plain.filePath == tree.htdocs + "/new/a.txt")
        // Apache's r->uri stays what was requested.
        #expect(plain.path == "/old/a.txt")
        let (passed, _) = run(pipeline, "/pt/a.txt")
        #expect(passed.filePath == tree.root + "/aliased/new/a.txt")
    }

    @Test func subdirectoryRewriteDirectivesReplaceTheParentsRulesUnlessInherited() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/target.txt", "t")
        // Inherited rules see the path relative to the inheriting directory, as in Apache.
        tree.write("htdocs/.htaccess", "RewriteEngine On\nRewriteRule x$ /target.txt\n")
        tree.write("htdocs/sub/.htaccess", "RewriteEngine On\n")
        tree.write("htdocs/plain/.htaccess", "Options +FollowSymLinks\n")
        tree.write("htdocs/inherit/.htaccess", "RewriteOptions Inherit\n")
        let pipeline = try tree.pipeline("""
            DocumentRoot htdocs
            <Directory "\(tree.htdocs)">
                AllowOverride All
            </Directory>
            """)
        #expect(run(pipeline, "/a/x").0.filePath == tree.htdocs + "/target.txt")
        #expect(run(pipeline, "/sub/x").1.status == 404)
        // Without any Rewrite directive the parent's rules stay, with the parent's prefix.
        #expect(run(pipeline, "/plain/x").0.filePath == tree.htdocs + "/target.txt")
        #expect(run(pipeline, "/inherit/x").0.filePath == tree.htdocs + "/target.txt")
    }

    @Test func perDirectoryRulesNeedFollowSymLinks() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/a.txt", "a")
        let pipeline = try tree.pipeline("""
            DocumentRoot htdocs
            <Directory "\(tree.htdocs)">
                Options -FollowSymLinks
                RewriteEngine On
                RewriteRule ^a\\.txt$ b.txt
            </Directory>
            """)
        #expect(run(pipeline, "/a.txt").1.status == 403)
    }

    @Test func loopsEndAt500AndEndStopsThem() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/a.txt", "a")
        tree.write("htdocs/loop/.htaccess", "RewriteEngine On\nRewriteRule ^(.*)$ /loop/x$1\n")
        tree.write("htdocs/end/.htaccess", "RewriteEngine On\nRewriteRule ^(.*)$ /end/x$1 [END]\n")
        let pipeline = try tree.pipeline("""
            DocumentRoot htdocs
            <Directory "\(tree.htdocs)">
                AllowOverride All
            </Directory>
            """)
        #expect(run(pipeline, "/loop/a").1.status == 500)
        let (ended, response) = run(pipeline, "/end/a")
        #expect(response.status == 404)
        #expect(ended.path == "/end/xa")
    }

    @Test func flagsReachTheResponse() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/data.bin", "data")
        let pipeline = try tree.pipeline("""
            DocumentRoot htdocs
            RewriteEngine On
            RewriteRule ^/typed$ /data.bin [T=text/plain,E=SEEN:yes,CO=visit:1:localhost]
            RewriteRule ^/gone - [G]
            """)
        let (context, response) = run(pipeline, "/typed")
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"]?.hasPrefix("text/plain") == true)
        #expect(context.environment["SEEN"] == "yes")
        #expect(response.headers["Set-Cookie"]?.hasPrefix("visit=1; path=/; domain=localhost") == true)
        #expect(run(pipeline, "/gone").1.status == 410)
    }
}

/// ISAPI_Rewrite 3's additions to the Apache syntax.
@Suite struct ISAPIRewrite3DirectiveTests {
    @Test func rewriteHeaderRewriteProxyAndCompatibility2() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/a.txt", "a")
        let pipeline = try tree.pipeline("""
            DocumentRoot htdocs
            RewriteEngine On
            RewriteHeader User-Agent: ^.*bot.*$ robot [NC]
            RewriteCond %{HTTP:User-Agent} ^robot$
            RewriteHeader X-Seen-By-Rules .* yes
            RewriteProxy ^/api/(.*)$ http://127.0.0.1:9/$1
            """, handlers: [ProxyRequestHandler.name: RecordingHandler(name: "proxy")])
        let (context, _) = pipeline.process(TestRequest.make("/a.txt", headers: [("User-Agent", "GoogleBot/2.1")]))
        #expect(context.headers["User-Agent"] == "robot")
        #expect(context.headers["X-Seen-By-Rules"] == "yes")
        let (proxied, _) = pipeline.process(TestRequest.make("/api/v1?x=1"))
        #expect(proxied.proxyTarget?.url == "http://127.0.0.1:9/v1?x=1")

        let version2 = try tree.pipeline("""
            DocumentRoot htdocs
            RewriteEngine On
            RewriteCompatibility2 On
            RewriteRule ^/old\\?id=(\\d+)$ /a.txt?n=$1
            """)
        let (rewritten, response) = version2.process(TestRequest.make("/old?id=7"))
        #expect(response.status == 200)
        #expect(rewritten.path == "/a.txt")
        #expect(rewritten.query == "n=7")
        #expect(rewritten.headers["X-Rewrite-URL"] == "/old?id=7")
    }
}
