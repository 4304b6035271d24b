import Foundation
import Testing
@testable import RequestPipeline

/// The default handler, Apache's way: validators, conditionals, ranges, directories,
/// methods, protected names, Require, body limits and media types.
@Suite("StaticFile")
struct StaticFileTests {
    static let indexBody = "<html>index</html>\n"  // 19 bytes

    static func makeTree() -> PipelineTree {
        let tree = PipelineTree()
        tree.write("conf/mime.types", """
            # test types
            text/html\t\thtml htm
            text/plain\t\ttxt
            image/png\t\tpng
            application/json\tjson

            """)
        tree.write("htdocs/index.html", indexBody)
        tree.write("htdocs/sub/a.txt", "a text file\n")
        tree.write("htdocs/img.png", "PNG")
        tree.write("htdocs/data.json", "{}")
        tree.write("htdocs/noext", "x")
        tree.mkdir("htdocs/empty")
        return tree
    }

    static func config(_ tree: PipelineTree, _ extra: String = "") -> String {
        "DocumentRoot \(tree.root)/htdocs\nTypesConfig conf/mime.types\n" + extra
    }

    static func pipeline(_ tree: PipelineTree, _ extra: String = "") throws -> Pipeline {
        try tree.pipeline(config(tree, extra))
    }

    /// Apache 2.4's default ETag for the fixed test mtime: `"<size hex>-<mtime µs hex>"`.
    static func etag(size: Int) -> String {
        "\"\(String(size, radix: 16))-\(String(PipelineTree.mtime * 1_000_000, radix: 16))\""
    }

    // MARK: 200 and validators

    @Test("a file: 200 with the whole file, type, ETag and Last-Modified")
    func wholeFile() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let (context, response) = try Self.pipeline(tree).run("/index.html")
        #expect(response.status == 200)
        #expect(response.filePath == tree.htdocs + "/index.html")
        #expect(response.fileSegments == [.slice(offset: 0, length: 19)])
        #expect(response.bodyLength == 19)
        #expect(response.headers["Content-Type"] == "text/html")
        #expect(response.headers["ETag"] == Self.etag(size: 19))
        #expect(response.headers["Last-Modified"] == PipelineTree.mtimeHTTPDate)
        #expect(response.headers["Accept-Ranges"] == "bytes")
        #expect(!response.isServerGenerated)
        #expect(context.filePath == tree.htdocs + "/index.html")
        #expect(context.pathInfo == "")
        #expect(context.handler == nil)
        #expect(context.path == "/index.html")
        #expect(context.redirectCount == 0)
    }

    @Test("Content-Type by extension from TypesConfig, case-insensitive; none for unknown extensions",
          arguments: [("/sub/a.txt", "text/plain"), ("/img.png", "image/png"), ("/data.json", "application/json"),
                      ("/INDEX.HTML", "text/html")])
    func contentTypes(target: String, type: String) throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        tree.write("htdocs/INDEX.HTML", "upper")
        let (_, response) = try Self.pipeline(tree).run(target)
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == type)
    }

    @Test("no Content-Type for a file without a known extension")
    func noContentType() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let (_, response) = try Self.pipeline(tree).run("/noext")
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == nil)
    }

    @Test("a file modified within the last second gets a weak ETag")
    func weakETag() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let path = tree.write("htdocs/fresh.txt", "fresh")
        try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: path)
        let (_, response) = try Self.pipeline(tree).run("/fresh.txt")
        #expect(response.status == 200)
        #expect(response.headers["ETag"]?.hasPrefix("W/\"5-") == true)
    }

    @Test("If-None-Match with the file's ETag: 304")
    func ifNoneMatch() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree)
        let tag = pipeline.run("/index.html").1.headers["ETag"]!
        #expect(tag == Self.etag(size: 19))
        for value in [tag, "\"other\", \(tag)", "*", "W/\(tag)"] {
            let (_, response) = pipeline.run("/index.html", headers: [("If-None-Match", value)])
            #expect(response.status == 304, "If-None-Match: \(value)")
            #expect(response.isEmptyBody)
            #expect(response.headers["ETag"] == tag)
            #expect(response.headers["Last-Modified"] == PipelineTree.mtimeHTTPDate)
            #expect(response.headers["Content-Type"] == nil)
        }
        #expect(pipeline.run("/index.html", headers: [("If-None-Match", "\"other\"")]).1.status == 200)
        #expect(pipeline.run("/index.html", method: "HEAD", headers: [("If-None-Match", tag)]).1.status == 304)
    }

    @Test("If-Modified-Since equal to Last-Modified (or later): 304; earlier: 200")
    func ifModifiedSince() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree)
        let lastModified = pipeline.run("/index.html").1.headers["Last-Modified"]!
        #expect(pipeline.run("/index.html", headers: [("If-Modified-Since", lastModified)]).1.status == 304)
        #expect(pipeline.run("/index.html", headers: [("If-Modified-Since", "Mon, 14 Sep 2020 00:00:00 GMT")]).1.status == 304)
        #expect(pipeline.run("/index.html", headers: [("If-Modified-Since", "Sun, 13 Sep 2020 12:26:39 GMT")]).1.status == 200)
        #expect(pipeline.run("/index.html", headers: [("If-Modified-Since", "not a date")]).1.status == 200)
        // A date in the future cannot come from this server: ignored.
        #expect(pipeline.run("/index.html", headers: [("If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT")]).1.status == 200)
    }

    @Test("If-Match that does not match: 412")
    func ifMatchFails() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree)
        #expect(pipeline.run("/index.html", headers: [("If-Match", "\"nope\"")]).1.status == 412)
        #expect(pipeline.run("/index.html", headers: [("If-Match", Self.etag(size: 19))]).1.status == 200)
    }

    // MARK: Ranges

    @Test("Range: bytes=0-3: 206 with Content-Range and one slice")
    func singleRange() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let (_, response) = try Self.pipeline(tree).run("/index.html", headers: [("Range", "bytes=0-3")])
        #expect(response.status == 206)
        #expect(response.headers["Content-Range"] == "bytes 0-3/19")
        #expect(response.headers["Content-Type"] == "text/html")
        #expect(response.filePath == tree.htdocs + "/index.html")
        #expect(response.fileSegments == [.slice(offset: 0, length: 4)])
        #expect(response.bodyLength == 4)
    }

    @Test("Range: bytes=-5 and bytes=15-: the last bytes")
    func suffixRanges() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree)
        for range in ["bytes=-5", "bytes=14-", "bytes=14-100"] {
            let (_, response) = pipeline.run("/index.html", headers: [("Range", range)])
            #expect(response.status == 206, "\(range)")
            #expect(response.headers["Content-Range"] == "bytes 14-18/19", "\(range)")
            #expect(response.fileSegments == [.slice(offset: 14, length: 5)], "\(range)")
        }
    }

    @Test("two ranges: multipart/byteranges")
    func multipleRanges() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let (_, response) = try Self.pipeline(tree).run("/index.html", headers: [("Range", "bytes=0-1,10-12")])
        #expect(response.status == 206)
        #expect(response.headers["Content-Type"]?.hasPrefix("multipart/byteranges; boundary=") == true)
        #expect(response.headers["Content-Range"] == nil)
        let slices = response.fileSegments?.filter { if case .slice = $0 { return true } else { return false } }
        #expect(slices == [.slice(offset: 0, length: 2), .slice(offset: 10, length: 3)])
    }

    @Test("Range: bytes=999999-: 416 with Content-Range bytes */size")
    func unsatisfiableRange() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let (_, response) = try Self.pipeline(tree).run("/index.html", headers: [("Range", "bytes=999999-")])
        #expect(response.status == 416)
        #expect(response.headers["Content-Range"] == "bytes */19")
        #expect(response.filePath == nil)
        #expect(response.bodyText?.contains("416 Range Not Satisfiable") == true)
    }

    @Test("Range on HEAD, or with a stale If-Range: the whole file")
    func rangeIgnored() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree)
        #expect(pipeline.run("/index.html", method: "HEAD", headers: [("Range", "bytes=0-3")]).1.status == 200)
        let (_, stale) = pipeline.run("/index.html", headers: [("Range", "bytes=0-3"), ("If-Range", "\"old\"")])
        #expect(stale.status == 200)
        #expect(stale.fileSegments == [.slice(offset: 0, length: 19)])
        let (_, fresh) = pipeline.run("/index.html", headers: [("Range", "bytes=0-3"), ("If-Range", Self.etag(size: 19))])
        #expect(fresh.status == 206)
    }

    // MARK: Directories

    @Test("a directory without its slash: 301 to the slash on the Host the client used")
    func directorySlash() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree)
        let (_, response) = pipeline.run("/sub")
        #expect(response.status == 301)
        #expect(response.headers["Location"] == "http://www.example.test/sub/")
        #expect(response.bodyText?.contains("<a href=\"http://www.example.test/sub/\">here</a>") == true)
        #expect(pipeline.run("/sub?a=b").1.headers["Location"] == "http://www.example.test/sub/?a=b")
        tree.mkdir("htdocs/a dir")
        #expect(pipeline.run("/a%20dir").1.headers["Location"] == "http://www.example.test/a%20dir/")
    }

    @Test("a directory with its slash and an index.html: the index, by internal redirect")
    func directoryIndex() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        tree.write("htdocs/sub/index.html", "sub index")
        let pipeline = try Self.pipeline(tree)
        for (target, file, path) in [("/", "/index.html", "/index.html"), ("/sub/", "/sub/index.html", "/sub/index.html")] {
            let (context, response) = pipeline.run(target)
            #expect(response.status == 200)
            #expect(response.filePath == tree.htdocs + file)
            #expect(response.headers["Content-Type"] == "text/html")
            #expect(context.path == path)
            #expect(context.originalPath == target)
            #expect(context.redirectCount == 1)
        }
        let (context, _) = pipeline.run("/sub/?x=1")
        #expect(context.query == "x=1")
    }

    @Test("DirectoryIndex names are tried in order")
    func directoryIndexOrder() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        tree.write("htdocs/sub/default.htm", "default")
        let pipeline = try Self.pipeline(tree, "DirectoryIndex index.html default.htm\n")
        #expect(pipeline.run("/sub/").1.filePath == tree.htdocs + "/sub/default.htm")
    }

    /// The index URL is the directory's URL path escaped again: `%`, `?` and `#` in a
    /// directory name must not turn into an escape, a query or a fragment.
    @Test("DirectoryIndex in a directory whose name needs escaping",
          arguments: [("100%", "/100%25/"), ("what?", "/what%3F/"), ("a#b", "/a%23b/"), ("a b", "/a%20b/")])
    func directoryIndexEscaped(directory: String, target: String) throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        tree.write("htdocs/\(directory)/index.html", "inside")
        let (context, response) = try Self.pipeline(tree).run(target)
        #expect(response.status == 200)
        #expect(response.filePath == tree.htdocs + "/\(directory)/index.html")
        #expect(context.path == "/\(directory)/index.html")
    }

    @Test("a directory without an index: 403")
    func directoryWithoutIndex() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree)
        let (_, response) = pipeline.run("/empty/")
        #expect(response.status == 403)
        #expect(response.isServerGenerated)
        #expect(response.headers["Content-Type"] == "text/html; charset=iso-8859-1")
        #expect(response.bodyText?.contains("<title>403 Forbidden</title>") == true)
        #expect(pipeline.run("/sub/").1.status == 403)
        #expect(try Self.pipeline(tree, "DirectoryIndex disabled\n").run("/").1.status == 403)
    }

    // MARK: 404 and PATH_INFO

    @Test("a missing file: 404")
    func missing() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree)
        for target in ["/missing.html", "/nodir/missing.html", "/sub/missing/"] {
            let (_, response) = pipeline.run(target)
            #expect(response.status == 404, "\(target)")
            #expect(response.bodyText?.contains("The requested URL was not found on this server.") == true)
        }
    }

    @Test("PATH_INFO on a static file: 404")
    func pathInfoOnStaticFile() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let (context, response) = try Self.pipeline(tree).run("/index.html/extra")
        #expect(response.status == 404)
        #expect(context.filePath == tree.htdocs + "/index.html")
        #expect(context.pathInfo == "/extra")
    }

    // MARK: Methods

    @Test("PUT or DELETE to a static file: 405 with Allow; POST is served as GET, as Apache serves it")
    func methodNotAllowed() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree)
        #expect(pipeline.run("/index.html", method: "POST").1.status == 200)
        for method in ["PUT", "DELETE"] {
            let (_, response) = pipeline.run("/index.html", method: method)
            #expect(response.status == 405)
            // TRACE with them while TraceEnable is not Off, as Apache's make_allow lists it.
            #expect(response.headers["Allow"] == "GET,HEAD,POST,OPTIONS,TRACE")
            #expect(response.bodyText?.contains("The requested method \(method) is not allowed for this URL.") == true)
        }
    }

    @Test("HEAD: 200 with the GET headers")
    func head() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let (_, response) = try Self.pipeline(tree).run("/index.html", method: "HEAD")
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == "text/html")
        #expect(response.headers["ETag"] == Self.etag(size: 19))
        #expect(response.bodyLength == 19)
    }

    @Test("OPTIONS on a file: 200 with Allow (TRACE with it); OPTIONS *: 200 without, as Apache; * with another method: 400")
    func options() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree)
        let (_, file) = pipeline.run("/index.html", method: "OPTIONS")
        #expect(file.status == 200)
        #expect(file.headers["Allow"] == "GET,HEAD,POST,OPTIONS,TRACE")
        let (_, star) = pipeline.run("*", method: "OPTIONS")
        #expect(star.status == 200)
        #expect(star.headers["Allow"] == nil)
        #expect(pipeline.run("*").1.status == 400)
    }

    // MARK: Access

    @Test("protected names: 403 for .ht*, 404 for the rewrite files, even with Require all granted",
          arguments: [".htaccess", ".htpasswd", ".ht", "httpd.ini", "HTTPD.INI", "httpd.parse.errors", "x.isrwhlp"],
          ["", "sub/"])
    func protectedNames(name: String, directory: String) throws {
        let status = name.hasPrefix(".ht") ? 403 : 404
        let tree = Self.makeTree()
        defer { tree.remove() }
        tree.write("htdocs/\(directory)\(name)", "protected")
        let pipeline = try Self.pipeline(tree, """
            <Directory "\(tree.root)/htdocs">
                Require all granted
            </Directory>
            """)
        let (_, response) = pipeline.run("/\(directory)\(name)")
        #expect(response.status == status)
        #expect(response.filePath == nil)
        #expect(pipeline.run("/\(directory)\(name)/extra").1.status == status)
        #expect(pipeline.run("/\(directory)\(name)", method: "HEAD").1.status == status)
    }

    @Test("names that only look protected are served", arguments: ["htaccess.txt", "my.htaccess", "httpd.ini.txt"])
    func almostProtectedNames(name: String) throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        tree.write("htdocs/\(name)", "fine")
        #expect(try Self.pipeline(tree).run("/\(name)").1.status == 200)
    }

    @Test("Require all denied in a <Directory>: 403, and only there")
    func requireAllDenied() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            <Directory "\(tree.root)/htdocs/sub">
                Require all denied
            </Directory>
            """)
        #expect(pipeline.run("/sub/a.txt").1.status == 403)
        #expect(pipeline.run("/sub/").1.status == 403)
        #expect(pipeline.run("/sub/missing").1.status == 403)
        #expect(pipeline.run("/index.html").1.status == 200)
    }

    @Test("Require ip 10.0.0.0/8 denies 127.0.0.1 and grants 10.1.2.3")
    func requireIP() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            <Directory "\(tree.root)/htdocs">
                Require ip 10.0.0.0/8
            </Directory>
            """)
        #expect(pipeline.run("/index.html").1.status == 403)
        #expect(pipeline.run("/index.html", remoteAddress: "11.0.0.1").1.status == 403)
        #expect(pipeline.run("/index.html", remoteAddress: "10.1.2.3").1.status == 200)
        #expect(pipeline.run("/index.html", remoteAddress: "::ffff:10.1.2.3").1.status == 200)
    }

    @Test("Require in a <Files> section")
    func requireInFiles() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            <Files "*.png">
                Require all denied
            </Files>
            """)
        #expect(pipeline.run("/img.png").1.status == 403)
        #expect(pipeline.run("/index.html").1.status == 200)
    }

    // MARK: LimitRequestBody

    @Test("Content-Length above LimitRequestBody: 413; at the limit: on")
    func limitRequestBody() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, "LimitRequestBody 10\n")
        let (_, tooLarge) = pipeline.run("/index.html", method: "POST", contentLength: 11)
        #expect(tooLarge.status == 413)
        #expect(tooLarge.bodyText?.contains("413 Content Too Large") == true)
        #expect(pipeline.run("/index.html", contentLength: 11).1.status == 413)
        #expect(pipeline.run("/index.html", method: "POST", contentLength: 10).1.status == 200)
        #expect(pipeline.run("/index.html", contentLength: 10).1.status == 200)
        #expect(try Self.pipeline(tree).run("/index.html", contentLength: 11).1.status == 200)
    }

    @Test("LimitRequestBody in a <Directory> applies below it only")
    func limitRequestBodyPerDirectory() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            <Directory "\(tree.root)/htdocs/sub">
                LimitRequestBody 10
            </Directory>
            """)
        #expect(pipeline.run("/sub/a.txt", contentLength: 11).1.status == 413)
        #expect(pipeline.run("/index.html", contentLength: 11).1.status == 200)
    }

    // MARK: AddDefaultCharset

    /// Apache 2.4 adds the charset to text/plain and text/html only (core's
    /// ap_make_content_type), never to other types.
    @Test("AddDefaultCharset utf-8: text/html and text/plain get the charset, other types do not",
          arguments: [("/index.html", "text/html; charset=utf-8"), ("/sub/a.txt", "text/plain; charset=utf-8"),
                      ("/img.png", "image/png"), ("/data.json", "application/json")])
    func addDefaultCharset(target: String, type: String) throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let (_, response) = try Self.pipeline(tree, "AddDefaultCharset utf-8\n").run(target)
        #expect(response.headers["Content-Type"] == type)
    }

    @Test("AddDefaultCharset On is iso-8859-1; Off and unset add nothing")
    func addDefaultCharsetOnOff() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        #expect(try Self.pipeline(tree, "AddDefaultCharset On\n").run("/index.html").1.headers["Content-Type"]
                == "text/html; charset=iso-8859-1")
        #expect(try Self.pipeline(tree, "AddDefaultCharset Off\n").run("/index.html").1.headers["Content-Type"] == "text/html")
        #expect(try Self.pipeline(tree).run("/index.html").1.headers["Content-Type"] == "text/html")
    }

    @Test("AddType and ForceType beat TypesConfig")
    func addTypeAndForceType() throws {
        let tree = Self.makeTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            AddType text/x-custom .json
            <Directory "\(tree.root)/htdocs/sub">
                ForceType application/octet-stream
            </Directory>
            """)
        #expect(pipeline.run("/data.json").1.headers["Content-Type"] == "text/x-custom")
        #expect(pipeline.run("/sub/a.txt").1.headers["Content-Type"] == "application/octet-stream")
    }
}
