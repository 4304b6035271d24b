import Testing
import ServerConfig
@testable import RequestPipeline

/// TRACE as Apache's core answers it: the request echoed as message/http before any
/// handler (an extension's URL too), 405 under `TraceEnable Off`, 413 for a body unless
/// `TraceEnable extended`.
@Suite struct TraceTests {
    static func pipeline(_ tree: PipelineTree, _ extra: String = "") throws -> Pipeline {
        tree.write("htdocs/a.txt", "a\n")
        tree.write("htdocs/scripts/x.dll", "MZ")
        return try tree.pipeline("DocumentRoot \(tree.root)/htdocs\nAddHandler isapi-handler .dll\n" + extra,
                                 handlers: ["isapi-handler": RecordingHandler(name: "isapi-handler")])
    }

    @Test(arguments: ["/a.txt", "/scripts/x.dll?q=1", "/missing"])
    func theRequestIsEchoedAsMessageHTTP(_ target: String) throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let (_, response) = try Self.pipeline(tree).run(target, method: "TRACE", headers: [("X-A", "b"), ("Cookie", "c=d")])
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == "message/http")
        #expect(response.headers["X-Handler"] == nil, "no handler runs")
        #expect(response.bodyText == "TRACE \(target) HTTP/1.1\r\nHost: www.example.test\r\nX-A: b\r\nCookie: c=d\r\n\r\n")
    }

    @Test func traceEnableOffAnswers405AndOptionsLeavesTraceOut() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, "TraceEnable Off\n")
        let (_, response) = pipeline.run("/a.txt", method: "TRACE")
        #expect(response.status == 405)
        #expect(response.headers["Allow"] == "GET,HEAD,POST,OPTIONS")
        #expect(pipeline.run("/a.txt", method: "OPTIONS").1.headers["Allow"] == "GET,HEAD,POST,OPTIONS")
    }

    @Test func aBodyIs413UnlessExtended() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        #expect(try Self.pipeline(tree).run("/a.txt", method: "TRACE", contentLength: 5).1.status == 413)
        let extended = try Self.pipeline(tree, "TraceEnable extended\n").run("/a.txt", method: "TRACE", contentLength: 5).1
        guard case .handOff(let handler) = extended.body else {
            Issue.record("TraceEnable extended with a body: \(extended.status), not handed to the pool")
            return
        }
        #expect(handler is TraceEcho)
    }

    @Test func aVirtualHostInheritsOrOverrides() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let configuration = try tree.configuration("""
            DocumentRoot \(tree.root)/htdocs
            TraceEnable Off
            <VirtualHost *:80>
              ServerName on.test
              TraceEnable On
            </VirtualHost>
            <VirtualHost *:80>
              ServerName inherits.test
            </VirtualHost>
            """)
        #expect(configuration.virtualHosts.map(\.effectiveTraceEnable) == [.on, .off])
        #expect(configuration.mainHost.effectiveTraceEnable == .off)
    }

    @Test func aBadValueIsAConfigurationError() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        #expect(throws: ConfigError.self) { try tree.configuration("TraceEnable maybe\n") }
    }
}
