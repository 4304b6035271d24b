import Testing
@testable import RequestPipeline

/// `ErrorDocument`: a message, a remote URL, or a local URL served by internal redirect.
@Suite("ErrorDocument")
struct ErrorDocumentTests {
    static let errorPage = "<p>custom not found</p>\n"

    static func makeTree() -> PipelineTree {
        let tree = PipelineTree()
        tree.write("htdocs/index.html", "index")
        tree.write("htdocs/errors/404.html", errorPage)
        tree.write("htdocs/errors/403.html", "custom forbidden")
        tree.write("htdocs/private/p.txt", "private")
        return tree
    }

    static func pipeline(_ tree: PipelineTree, _ extra: String) throws -> Pipeline {
        try tree.pipeline("DocumentRoot \(tree.root)/htdocs\n" + extra)
    }

    @Test("ErrorDocument 404 \"Custom text\": 404 with that text")
    func text() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, "ErrorDocument 404 \"Custom text\"\n")
        let (_, response) = pipeline.run("/missing.html")
        #expect(response.status == 404)
        #expect(response.bodyText == "Custom text")
        #expect(response.headers["Content-Type"] == "text/html; charset=iso-8859-1")
        // Only 404 is replaced.
        let (_, other) = pipeline.run("/index.html", method: "PUT")
        #expect(other.status == 405)
        #expect(other.bodyText?.contains("Method Not Allowed") == true)
    }

    @Test("ErrorDocument 404 http://example.com/e: 302 to it")
    func remote() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let (_, response) = try Self.pipeline(tree, "ErrorDocument 404 http://example.com/e\n").run("/missing.html")
        #expect(response.status == 302)
        #expect(response.headers["Location"] == "http://example.com/e")
    }

    @Test("ErrorDocument 404 /errors/404.html: 404 with that file, and the REDIRECT_ variables")
    func local() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, "ErrorDocument 404 /errors/404.html\n")
        let (context, response) = pipeline.run("/missing.html?a=1&b=2")
        #expect(response.status == 404)
        #expect(response.filePath == tree.htdocs + "/errors/404.html")
        #expect(response.bodyLength == Int64(Self.errorPage.utf8.count))
        #expect(response.headers["Accept-Ranges"] == nil)
        #expect(context.environment["REDIRECT_STATUS"] == "404")
        #expect(context.environment["REDIRECT_URL"] == "/missing.html")
        #expect(context.environment["REDIRECT_QUERY_STRING"] == "a=1&b=2")
        #expect(context.path == "/errors/404.html")
        #expect(context.originalPath == "/missing.html")
        #expect(context.originalQuery == "a=1&b=2")
        #expect(context.redirectCount == 1)

        let (noQuery, _) = pipeline.run("/nodir/missing")
        #expect(noQuery.environment["REDIRECT_URL"] == "/nodir/missing")
        #expect(noQuery.environment["REDIRECT_QUERY_STRING"] == nil)
    }

    @Test("an ErrorDocument internal redirect serves a POST's error page with GET")
    func localFromPost() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, "ErrorDocument 404 /errors/404.html\n")
        let (context, response) = pipeline.run("/missing.html", method: "POST")
        #expect(response.status == 404)
        #expect(response.filePath == tree.htdocs + "/errors/404.html")
        #expect(context.method == "GET")
        #expect(context.request.method == "POST")
        let (head, headResponse) = pipeline.run("/missing.html", method: "HEAD")
        #expect(headResponse.status == 404)
        #expect(head.method == "HEAD")
    }

    @Test("ErrorDocument for 403 from Require, set in the denied <Directory>")
    func forbidden() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            <Directory "\(tree.root)/htdocs/private">
                Require all denied
                ErrorDocument 403 /errors/403.html
            </Directory>
            """)
        let (context, response) = pipeline.run("/private/p.txt")
        #expect(response.status == 403)
        #expect(response.filePath == tree.htdocs + "/errors/403.html")
        #expect(context.environment["REDIRECT_STATUS"] == "403")
        #expect(context.environment["REDIRECT_URL"] == "/private/p.txt")
    }

    @Test("an ErrorDocument that is itself missing: the built-in page with both errors")
    func missingDocument() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let (_, response) = try Self.pipeline(tree, "ErrorDocument 404 /errors/nothere.html\n").run("/missing.html")
        #expect(response.status == 404)
        #expect(response.filePath == nil)
        let body = try #require(response.bodyText)
        #expect(body.contains("<title>404 Not Found</title>"))
        #expect(body.contains("The requested URL was not found on this server."))
        #expect(body.contains("Additionally, a 404 Not Found error was encountered while trying to use an ErrorDocument to handle the request."))
        #expect(response.headers["Content-Type"] == "text/html; charset=iso-8859-1")
    }

    @Test("an ErrorDocument that is forbidden: the built-in page with both errors")
    func forbiddenDocument() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            ErrorDocument 404 /errors/404.html
            <Directory "\(tree.root)/htdocs/errors">
                Require all denied
            </Directory>
            """)
        let (_, response) = pipeline.run("/missing.html")
        #expect(response.status == 404)
        #expect(response.bodyText?.contains("Additionally, a 403 Forbidden error was encountered") == true)
    }

    @Test("ErrorDocument for a URI the normalizer refuses")
    func normalizerErrors() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, "ErrorDocument 404 \"Custom text\"\nErrorDocument 400 \"Bad one\"\n")
        #expect(pipeline.run("/a%2fb").1.bodyText == "Custom text")
        #expect(pipeline.run("/../x").1.bodyText == "Bad one")
        #expect(pipeline.run("/../x").1.status == 400)
    }

    @Test("ErrorDocument default restores the built-in page below a directory")
    func builtIn() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            ErrorDocument 404 "Custom text"
            <Directory "\(tree.root)/htdocs/private">
                ErrorDocument 404 default
            </Directory>
            """)
        #expect(pipeline.run("/missing").1.bodyText == "Custom text")
        #expect(pipeline.run("/private/missing").1.bodyText?.contains("<title>404 Not Found</title>") == true)
    }

    @Test("an ErrorDocument whose own URL gets the same error is not applied to itself again")
    func selfReferencing() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let (_, response) = try Self.pipeline(tree, "ErrorDocument 404 /nothere.html\n").run("/missing.html")
        #expect(response.status == 404)
        #expect(response.bodyText?.contains("Additionally, a 404 Not Found error was encountered") == true)
    }
}
