import Foundation
import Logging
import Testing
@testable import RequestPipeline

/// A pipeline with the file cache: httpd.ini files are read when the configuration is
/// loaded and when the watcher says they changed, never by a request; a static file is
/// answered from the cache with the validators it had.
@Suite struct FileCachePipelineTests {
    func pipeline(_ tree: PipelineTree, _ cache: FileCache, config: String = "") throws -> Pipeline {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return Pipeline(configuration: try tree.configuration("DocumentRoot htdocs\n" + config),
                        fileCache: cache, logger: logger)
    }

    /// A pipeline with the file cache serving htdocs/a.txt, `.txt` typed text/plain.
    func textFilePipeline(_ tree: PipelineTree, config: String) throws -> Pipeline {
        tree.write("htdocs/a.txt", "alpha\n")
        tree.write("conf/mime.types", "text/plain txt\n")
        return try pipeline(tree, FileCache(), config: "TypesConfig conf/mime.types\n" + config)
    }

    func body(_ response: Response) -> String? {
        guard case .file(_, let segments) = response.body, case .bytes(let bytes)? = segments.first else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func httpdIniIsReadAtLoadAndWhenTheWatcherHearsOfIt() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/a.txt", "alpha\n")
        tree.write("htdocs/b.txt", "bravo\n")
        tree.write("conf/httpd.ini", "[ISAPI_Rewrite]\nRewriteRule /page /a.txt\n")
        let cache = FileCache()
        let pipeline = try pipeline(tree, cache)
        // Loaded with the configuration: gone from disk, the rules still apply (no request looks).
        try FileManager.default.removeItem(atPath: tree.root + "/conf/httpd.ini")
        #expect(body(pipeline.process(TestRequest.make("/page")).1) == "alpha\n")
        // A site httpd.ini that appears is not probed for by requests either...
        tree.write("htdocs/httpd.ini", "[ISAPI_Rewrite]\nRewriteRule /page /b.txt\n")
        #expect(body(pipeline.process(TestRequest.make("/page")).1) == "alpha\n")
        // ...but the watcher hears of both changes.
        Thread { cache.watchForever() }.start()
        defer { cache.stop() }
        tree.write("htdocs/httpd.ini", "[ISAPI_Rewrite]\nRewriteRule /page /b.txt\n")
        #expect(eventually { body(pipeline.process(TestRequest.make("/page")).1) == "bravo\n" })
    }

    @Test func aStaticAnswerComesFromTheCacheWithItsValidators() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/a.txt", "alpha\n")
        let pipeline = try pipeline(tree, FileCache())
        let (_, first) = pipeline.process(TestRequest.make("/a.txt"))
        #expect(first.status == 200)
        #expect(body(first) == "alpha\n")
        #expect(first.headers["Last-Modified"] == PipelineTree.mtimeHTTPDate)
        let etag = try #require(first.headers["ETag"])
        #expect(!etag.hasPrefix("W/"))
        let (_, second) = pipeline.process(TestRequest.make("/a.txt", headers: [("If-None-Match", etag)]))
        #expect(second.status == 304)
    }

    /// One file reached under two URLs with different ForceType and AddType: each answer
    /// has its own type, whatever the cache remembered from the other.
    @Test func aRememberedContentTypeHoldsOnlyWhereItCannotDiffer() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let pipeline = try textFilePipeline(tree, config: """
            Alias /forced \(tree.htdocs)
            Alias /added \(tree.htdocs)
            <Location /forced>
                ForceType text/x-forced
            </Location>
            <Location /added>
                AddType text/x-added .txt
            </Location>
            """)
        func type(_ target: String) -> String? { pipeline.process(TestRequest.make(target)).1.headers["Content-Type"] }
        for _ in 0..<2 {
            #expect(type("/a.txt") == "text/plain")
            #expect(type("/forced/a.txt") == "text/x-forced")
            #expect(type("/added/a.txt") == "text/x-added")
        }
    }

    /// The type and handler remembered for a path are mod_mime's; mod_rewrite's [T=] and
    /// [H=] on one request still win over them, before and after the path is cached, and
    /// the next plain request gets the remembered ones again.
    @Test func rewriteFlagsBeatTheRememberedTypeAndHandler() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let pipeline = try textFilePipeline(tree, config: """
            RewriteEngine On
            RewriteRule ^/typed$ /a.txt [T=text/x-rewritten]
            RewriteRule ^/handled$ /a.txt [H=no-such-handler]
            """)
        func answer(_ target: String) -> Response { pipeline.process(TestRequest.make(target)).1 }
        for _ in 0..<2 {
            #expect(answer("/a.txt").headers["Content-Type"] == "text/plain")
            #expect(answer("/typed").headers["Content-Type"] == "text/x-rewritten")
            #expect(answer("/handled").status == 500)
            #expect(answer("/a.txt").status == 200)
        }
    }

    /// Where no change event comes (no watcher here; NFS in life), a path's cached
    /// mapping is held to FileCacheValid as the file cache's own entries are: an
    /// `.htaccess` made after the path was first served is obeyed within the bound.
    @Test func aCachedMappingHoldsNoLongerThanFileCacheValid() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/a.txt", "alpha\n")
        let pipeline = try pipeline(tree, FileCache(validSeconds: 1), config: """
            <Directory \(tree.htdocs)>
                AllowOverride All
            </Directory>
            """)
        #expect(pipeline.process(TestRequest.make("/a.txt")).1.status == 200)
        tree.write("htdocs/.htaccess", "Require all denied\n")
        #expect(eventually(timeout: 5) { pipeline.process(TestRequest.make("/a.txt")).1.status == 403 })
    }

    /// The file a URL leads to is kept with its mapping too: without a change event, an
    /// edited file is answered within the bound, and a file that came where there was
    /// none (a 404 kept with the mapping) is found.
    @Test func theFileKeptWithAMappingHoldsNoLongerThanFileCacheValid() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/a.txt", "alpha\n")
        let pipeline = try pipeline(tree, FileCache(validSeconds: 1), config: "")
        func length(_ target: String) -> Int64? { pipeline.process(TestRequest.make(target)).1.bodyLength }
        #expect(length("/a.txt") == 6)
        #expect(pipeline.process(TestRequest.make("/b.txt")).1.status == 404)
        tree.write("htdocs/a.txt", "alpha, edited\n")
        tree.write("htdocs/b.txt", "beta\n")
        #expect(eventually(timeout: 5) { length("/a.txt") == 14 })
        #expect(eventually(timeout: 5) { pipeline.process(TestRequest.make("/b.txt")).1.status == 200 })
    }

    /// The file content the cached mappings keep alive is held to the file cache's budget
    /// too: an entry keeps its file's bytes after the file cache let them go.
    @Test func theMappingsKeepNoMoreContentThanTheFileCachesBudget() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        for name in ["a", "b", "c", "d"] { tree.write("htdocs/\(name).txt", "ten bytes\n") }
        let pipeline = try pipeline(tree, FileCache(contentBudget: 16), config: "")
        let mappings = try #require(pipeline.mappedPaths)
        #expect(pipeline.process(TestRequest.make("/a.txt")).1.status == 200)
        #expect(mappings.keptContentBytes == 10)
        for name in ["b", "c", "d", "a"] {
            #expect(pipeline.process(TestRequest.make("/\(name).txt")).1.status == 200)
            #expect(mappings.keptContentBytes <= 16)
        }
    }

    /// Phase 6's verdict on a file is kept with the path's mapping; a file replaced by a
    /// symbolic link where FollowSymLinks is off is refused once the watcher hears of it.
    @Test func aFileReplacedByALinkIsRefusedWithoutFollowSymLinks() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/a.txt", "alpha\n")
        let target = tree.write("elsewhere.txt", "beta\n")
        let cache = FileCache()
        let pipeline = try pipeline(tree, cache, config: """
            <Directory \(tree.htdocs)>
                Options None
            </Directory>
            """)
        Thread { cache.watchForever() }.start()
        defer { cache.stop() }
        for _ in 0..<2 { #expect(pipeline.process(TestRequest.make("/a.txt")).1.status == 200) }
        try FileManager.default.removeItem(atPath: tree.htdocs + "/a.txt")
        try FileManager.default.createSymbolicLink(atPath: tree.htdocs + "/a.txt", withDestinationPath: target)
        #expect(eventually { pipeline.process(TestRequest.make("/a.txt")).1.status == 403 })
    }
}
