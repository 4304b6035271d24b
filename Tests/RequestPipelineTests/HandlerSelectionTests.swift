import Testing
@testable import RequestPipeline

/// A handler that answers 200 and leaves a note saying it ran, and what it saw.
struct RecordingHandler: RequestHandler {
    let name: String

    func handle(_ context: inout RequestContext, pipeline: Pipeline) -> Response {
        context.notes["handled-by"] = name
        return Response(status: 200, headers: ["X-Handler": name], body: .bytes(Array("handled by \(name)".utf8)))
    }
}

/// mod_mime's AddHandler / SetHandler and the handler table.
@Suite("HandlerSelection")
struct HandlerSelectionTests {
    static func makeTree() -> PipelineTree {
        let tree = PipelineTree()
        tree.write("htdocs/x.dll", "MZ")
        tree.write("htdocs/a.dll.txt", "a")
        tree.write("htdocs/a.txt.dll", "a")
        tree.write("htdocs/plain.txt", "plain")
        tree.write("htdocs/UPPER.DLL", "MZ")
        tree.write("htdocs/scripts/s.txt", "s")
        return tree
    }

    static let handlers: [String: any RequestHandler] = [
        "isapi-handler": RecordingHandler(name: "isapi-handler"),
        "other-handler": RecordingHandler(name: "other-handler"),
    ]

    static func pipeline(_ tree: PipelineTree, _ extra: String,
                         handlers: [String: any RequestHandler] = handlers) throws -> Pipeline {
        try tree.pipeline("DocumentRoot \(tree.root)/htdocs\n" + extra, handlers: handlers)
    }

    @Test("AddHandler for a handler nobody registered: 500")
    func unregistered() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, "AddHandler isapi-handler .dll\n", handlers: [:])
        let (context, response) = pipeline.run("/x.dll")
        #expect(response.status == 500)
        #expect(response.bodyText?.contains("<title>500 Internal Server Error</title>") == true)
        #expect(context.handler == "isapi-handler")
        #expect(pipeline.run("/plain.txt").1.status == 200)
    }

    @Test("the registered handler runs for /x.dll")
    func registered() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let (context, response) = try Self.pipeline(tree, "AddHandler isapi-handler .dll\n").run("/x.dll")
        #expect(response.status == 200)
        #expect(response.headers["X-Handler"] == "isapi-handler")
        #expect(context.notes["handled-by"] == "isapi-handler")
        #expect(context.handler == "isapi-handler")
        #expect(context.filePath == tree.htdocs + "/x.dll")
        #expect(context.pathInfo == "")
        #expect(context.fileStatus?.isRegularFile == true)
    }

    @Test("the handler gets PATH_INFO for /x.dll/path/info")
    func pathInfo() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, "AddHandler isapi-handler .dll\n")
        let (context, response) = pipeline.run("/x.dll/path/info?q=1")
        #expect(response.status == 200)
        #expect(context.notes["handled-by"] == "isapi-handler")
        #expect(context.filePath == tree.htdocs + "/x.dll")
        #expect(context.pathInfo == "/path/info")
        #expect(context.query == "q=1")
        #expect(pipeline.run("/x.dll/").0.pathInfo == "/")
        #expect(pipeline.run("/x.dll/a%20b/").0.pathInfo == "/a b/")
    }

    @Test("the handler runs for any method; the static handler would say 405")
    func anyMethod() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, "AddHandler isapi-handler .dll\n")
        #expect(pipeline.run("/x.dll", method: "POST", contentLength: 3).1.status == 200)
        #expect(pipeline.run("/x.dll", method: "PUT").1.status == 200)
    }

    @Test("extensions and handler names are case-insensitive")
    func caseInsensitive() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, "AddHandler ISAPI-Handler .DLL\n")
        #expect(pipeline.run("/x.dll").0.notes["handled-by"] == "isapi-handler")
        #expect(pipeline.run("/UPPER.DLL").0.notes["handled-by"] == "isapi-handler")
        let withoutDot = try Self.pipeline(tree, "AddHandler isapi-handler dll\n")
        #expect(withoutDot.run("/x.dll").0.notes["handled-by"] == "isapi-handler")
    }

    @Test("SetHandler None in a <Files> turns the handler off: the file is served")
    func setHandlerNone() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            AddHandler isapi-handler .dll
            <Files "x.dll">
                SetHandler None
            </Files>
            """)
        let (context, response) = pipeline.run("/x.dll")
        #expect(response.status == 200)
        #expect(response.filePath == tree.htdocs + "/x.dll")
        #expect(context.notes["handled-by"] == nil)
        #expect(context.handler == nil)
        // Other .dll files keep the handler.
        #expect(pipeline.run("/a.txt.dll").0.notes["handled-by"] == "isapi-handler")
    }

    @Test("SetHandler in a <Directory> beats AddHandler; default-handler serves the file")
    func setHandler() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            AddHandler other-handler .dll
            <Directory "\(tree.root)/htdocs/scripts">
                SetHandler isapi-handler
            </Directory>
            <Files "plain.txt">
                SetHandler default-handler
            </Files>
            """)
        #expect(pipeline.run("/scripts/s.txt").0.notes["handled-by"] == "isapi-handler")
        #expect(pipeline.run("/scripts/missing").0.notes["handled-by"] == "isapi-handler")
        #expect(pipeline.run("/x.dll").0.notes["handled-by"] == "other-handler")
        let (context, response) = pipeline.run("/plain.txt")
        #expect(response.filePath == tree.htdocs + "/plain.txt")
        #expect(context.notes["handled-by"] == nil)
        #expect(context.handler == "default-handler")
    }

    /// mod_mime: every extension counts and the last one that maps to a handler wins,
    /// so `a.dll.txt` is still an extension when only `.dll` has a handler.
    @Test("multiple extensions: the last mapped one wins",
          arguments: [("AddHandler isapi-handler .dll", "/a.dll.txt", "isapi-handler"),
                      ("AddHandler isapi-handler .dll", "/a.txt.dll", "isapi-handler"),
                      ("AddHandler isapi-handler .dll\nAddHandler other-handler .txt", "/a.dll.txt", "other-handler"),
                      ("AddHandler isapi-handler .dll\nAddHandler other-handler .txt", "/a.txt.dll", "isapi-handler")])
    func multipleExtensions(config: String, target: String, handler: String) throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let (context, response) = try Self.pipeline(tree, config + "\n").run(target)
        #expect(response.status == 200)
        #expect(context.notes["handled-by"] == handler)
    }

    /// RemoveHandler takes the extension's mapping away; it does not make the extension
    /// cancel a handler an earlier extension chose.
    @Test("RemoveHandler for a later extension leaves the earlier one's handler")
    func removeHandler() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            AddHandler isapi-handler .dll
            AddHandler other-handler .txt
            <Directory "\(tree.root)/htdocs">
                RemoveHandler .txt
            </Directory>
            """)
        #expect(pipeline.run("/a.dll.txt").0.notes["handled-by"] == "isapi-handler")
        #expect(pipeline.run("/plain.txt").0.notes["handled-by"] == nil)
        #expect(pipeline.run("/plain.txt").1.filePath == tree.htdocs + "/plain.txt")
    }

    @Test("no handler mapped: the static handler, which refuses PUT")
    func noHandler() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, "")
        let (context, response) = pipeline.run("/x.dll")
        #expect(response.status == 200)
        #expect(response.filePath == tree.htdocs + "/x.dll")
        #expect(context.handler == nil)
        #expect(pipeline.run("/x.dll", method: "PUT").1.status == 405)
    }

    @Test("access checks run before the handler")
    func accessBeforeHandler() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            AddHandler isapi-handler .dll
            <Files "x.dll">
                Require all denied
            </Files>
            """)
        let (context, response) = pipeline.run("/x.dll")
        #expect(response.status == 403)
        #expect(context.notes["handled-by"] == nil)
    }

    @Test("a handler's own error answer is not replaced by ErrorDocument")
    func handlerErrorsAreKept() throws {
        struct FailingHandler: RequestHandler {
            func handle(_ context: inout RequestContext, pipeline: Pipeline) -> Response {
                Response(status: 404, body: .bytes(Array("from the handler".utf8)))
            }
        }
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, "AddHandler isapi-handler .dll\nErrorDocument 404 \"Custom text\"\n",
                                         handlers: ["isapi-handler": FailingHandler()])
        let (_, response) = pipeline.run("/x.dll")
        #expect(response.status == 404)
        #expect(response.bodyText == "from the handler")
    }
}
