import Foundation
import Logging
import Testing
@testable import RequestPipeline

/// `.htaccess` files in the pipeline: their directives take effect for their subtree,
/// a broken one answers 500 there only, and an edit applies to the next request.
@Suite("Htaccess")
struct HtaccessPipelineTests {
    static func makeTree() -> PipelineTree {
        let tree = PipelineTree()
        tree.write("htdocs/index.html", "index")
        tree.write("htdocs/ok.txt", "ok")
        return tree
    }

    /// A pipeline with `AllowOverride` for the document root, logging into `logs`.
    static func pipeline(_ tree: PipelineTree, overrides: String = "All", extra: String = "",
                         logs: ProxyLogs = ProxyLogs()) throws -> Pipeline {
        let text = """
            DocumentRoot \(tree.htdocs)
            <Directory \(tree.htdocs)>
            AllowOverride \(overrides)
            </Directory>
            \(extra)
            """
        return Pipeline(configuration: try tree.configuration(text),
                        logger: Logger(label: "htaccess-test") { _ in ProxyLogHandler(logs: logs) })
    }

    @Test("ErrorDocument, DirectoryIndex, AddType and Redirect in .htaccess apply below it only")
    func directivesTakeEffect() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        tree.write("htdocs/site/.htaccess", """
            ErrorDocument 404 "Not here"
            DirectoryIndex home.html
            AddType text/x-custom .cst
            Redirect permanent /site/old http://example.com/new
            """)
        tree.write("htdocs/site/home.html", "home")
        tree.write("htdocs/site/a.cst", "custom")
        tree.write("htdocs/b.cst", "custom")
        let pipeline = try Self.pipeline(tree)

        let (_, missing) = pipeline.run("/site/missing.html")
        #expect(missing.status == 404)
        #expect(missing.bodyText == "Not here")
        #expect(pipeline.run("/missing.html").1.bodyText?.contains("Not Found") == true)

        let (_, index) = pipeline.run("/site/")
        #expect(index.status == 200)
        #expect(index.filePath == tree.htdocs + "/site/home.html")

        #expect(pipeline.run("/site/a.cst").1.headers["Content-Type"] == "text/x-custom")
        #expect(pipeline.run("/b.cst").1.headers["Content-Type"] == nil)

        let (_, redirect) = pipeline.run("/site/old/x.html")
        #expect(redirect.status == 301)
        #expect(redirect.headers["Location"] == "http://example.com/new/x.html")
    }

    @Test("Require in .htaccess denies or grants by client address")
    func require() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        tree.write("htdocs/private/p.txt", "private")
        tree.write("htdocs/private/.htaccess", "Require ip 10.0.0.0/8\n")
        let pipeline = try Self.pipeline(tree, overrides: "AuthConfig")
        #expect(pipeline.run("/private/p.txt").1.status == 403)
        #expect(pipeline.run("/private/p.txt", remoteAddress: "10.1.2.3").1.status == 200)
        #expect(pipeline.run("/ok.txt").1.status == 200)
        // The file itself is never served.
        #expect(pipeline.run("/private/.htaccess", remoteAddress: "10.1.2.3").1.status == 403)
    }

    @Test("a broken .htaccess answers 500 for its subtree only, and logs file:line")
    func broken() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let path = tree.write("htdocs/broken/.htaccess", "Nonsense here\n")
        tree.write("htdocs/broken/x.txt", "x")
        tree.write("htdocs/broken/deeper/y.txt", "y")
        let logs = ProxyLogs()
        let pipeline = try Self.pipeline(tree, extra: "ErrorDocument 500 \"Server trouble\"", logs: logs)
        for target in ["/broken/x.txt", "/broken/", "/broken/deeper/y.txt", "/broken/missing"] {
            let (_, response) = pipeline.run(target)
            #expect(response.status == 500, "\(target)")
            #expect(response.bodyText == "Server trouble", "\(target)")
        }
        #expect(pipeline.run("/ok.txt").1.status == 200)
        #expect(logs.ids.first == "IS00528")
        #expect(logs.messages.first == "\(path):1: Invalid command 'Nonsense', perhaps misspelled or defined by a module not included in the server configuration")
    }

    @Test("a directive AllowOverride does not allow answers 500 with 'not allowed here'")
    func notAllowed() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let path = tree.write("htdocs/.htaccess", "AddType text/plain .x\nOptions +ExecCGI\n")
        let logs = ProxyLogs()
        let pipeline = try Self.pipeline(tree, overrides: "FileInfo", logs: logs)
        #expect(pipeline.run("/ok.txt").1.status == 500)
        #expect(logs.messages == ["\(path):2: Options not allowed here"])
    }

    @Test("an .htaccess that cannot be read answers 403")
    func unreadable() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        tree.mkdir("htdocs/odd/.htaccess")
        tree.write("htdocs/odd/x.txt", "x")
        let logs = ProxyLogs()
        let pipeline = try Self.pipeline(tree, logs: logs)
        #expect(pipeline.run("/odd/x.txt").1.status == 403)
        #expect(logs.ids == ["IS00529"])
        #expect(pipeline.run("/ok.txt").1.status == 200)
    }

    @Test("LimitRequestBody from .htaccess: 413 for a larger body")
    func limitRequestBody() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        tree.write("htdocs/up/.htaccess", "LimitRequestBody 10\n")
        tree.write("htdocs/up/x.txt", "x")
        let pipeline = try Self.pipeline(tree)
        #expect(pipeline.run("/up/x.txt", method: "POST", contentLength: 100).1.status == 413)
    }

    @Test("an edited .htaccess changes the next request; a deleted one stops applying")
    func edited() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        tree.write("htdocs/d/a.cst", "custom")
        tree.write("htdocs/d/.htaccess", "AddType text/x-one .cst\n")
        let pipeline = try Self.pipeline(tree)
        #expect(pipeline.run("/d/a.cst").1.headers["Content-Type"] == "text/x-one")

        try FileManager.default.removeItem(atPath: tree.root + "/htdocs/d/.htaccess")
        tree.write("htdocs/d/.htaccess", "AddType text/x-second .cst\n")
        #expect(pipeline.run("/d/a.cst").1.headers["Content-Type"] == "text/x-second")

        tree.write("htdocs/d/.htaccess", "Broken\n")
        #expect(pipeline.run("/d/a.cst").1.status == 500)

        try FileManager.default.removeItem(atPath: tree.root + "/htdocs/d/.htaccess")
        let (_, response) = pipeline.run("/d/a.cst")
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == nil)
    }
}
