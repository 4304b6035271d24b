import Foundation
import Logging
import Testing
@testable import RequestPipeline

/// The constant part of a static file's answer (validators, Accept-Ranges, type) is built
/// and encoded once per file version; any change to the fields, or to the file, is seen.
@Suite struct StaticHeadFieldsTests {
    func pipeline(_ tree: PipelineTree, _ cache: FileCache) throws -> Pipeline {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        tree.write("conf/mime.types", "text/plain txt\n")
        return Pipeline(configuration: try tree.configuration("DocumentRoot htdocs\nTypesConfig conf/mime.types\n"),
                        fileCache: cache, logger: logger)
    }

    /// What ResponseHeadContext writes for fields without an encoding.
    func encoding(_ headers: HeaderFields) -> String {
        headers.map { "\($0.name): \($0.value)\r\n" }.joined()
    }

    @Test func aFilesFieldsAreEncodedOnceAndFollowTheFile() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/a.txt", "alpha\n")
        let cache = FileCache()
        let pipeline = try pipeline(tree, cache)
        _ = pipeline.process(TestRequest.make("/a.txt"))
        let first = pipeline.process(TestRequest.make("/a.txt")).1
        #expect(first.status == 200)
        #expect(first.headers.map(\.name) == ["Last-Modified", "ETag", "Accept-Ranges", "Content-Type"])
        #expect(first.headers["Content-Type"] == "text/plain")
        let encoded = try #require(first.headers.encoded)
        #expect(String(decoding: encoded, as: UTF8.self) == encoding(first.headers))

        // Replaced by a longer file: new validators, encoded anew.
        Thread { cache.watchForever() }.start()
        defer { cache.stop() }
        tree.write("htdocs/a.txt", "alpha, longer\n")
        #expect(eventually { pipeline.process(TestRequest.make("/a.txt")).1.headers["ETag"] != first.headers["ETag"] })
        let second = pipeline.process(TestRequest.make("/a.txt")).1
        #expect(second.headers["ETag"] != first.headers["ETag"])
        #expect(second.headers.encoded.map { String(decoding: $0, as: UTF8.self) } == encoding(second.headers))
    }

    @Test func everyChangeOfTheFieldsDropsTheirEncoding() {
        let fields = HeaderFields([(name: "A", value: "1"), (name: "B", value: "2")]).encodingOnce()
        #expect(fields.encoded.map { String(decoding: $0, as: UTF8.self) } == "A: 1\r\nB: 2\r\n")
        var added = fields
        added.add("C", "3")
        #expect(added.encoded == nil)
        var set = fields
        set.set("A", "9")
        #expect(set.encoded == nil)
        var removed = fields
        removed.remove("b")
        #expect(removed.encoded == nil)
        #expect(removed.map(\.name) == ["A"])
        // Removing a field that is not there changes nothing.
        var unchanged = fields
        unchanged.remove("X-Absent")
        #expect(unchanged.encoded == fields.encoded)
        #expect(unchanged.count == 2)
    }
}
