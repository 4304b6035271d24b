import Foundation
import Testing
import ServerConfig
@testable import RequestPipeline

/// The CGI environment as Apache builds it, after the request has been mapped.
@Suite struct CGIEnvironmentTests {
    /// Captures the context the handler sees for `/app.cgi...`.
    final class Capture: RequestHandler, @unchecked Sendable {
        var context: RequestContext?
        func handle(_ context: inout RequestContext, pipeline: Pipeline) -> Response {
            self.context = context
            return Response(status: 200)
        }
    }

    static func environment(_ target: String, headers: [(String, String)] = [], method: String = "GET",
                            extraConfig: String = "") throws -> CGIEnvironment {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/app.cgi", "x")
        let capture = Capture()
        let text = "DocumentRoot \(tree.htdocs)\nServerName canonical.test\nServerAdmin ops@example.test\nAddHandler capture .cgi\n" + extraConfig
        let pipeline = try tree.pipeline(text, handlers: ["capture": capture])
        _ = pipeline.process(TestRequest.make(target, method: method, headers: headers))
        let context = try #require(capture.context)
        return CGIEnvironment(context, configuration: pipeline.configuration)
    }

    @Test func scriptPathInfoAndQuery() throws {
        let env = try Self.environment("/app.cgi/a/b%20c?q=1&r=%41")
        #expect(env["SCRIPT_NAME"] == "/app.cgi")
        #expect(env["PATH_INFO"] == "/a/b c")
        #expect(env["PATH_TRANSLATED"]?.hasSuffix("/htdocs/a/b c") == true)
        #expect(env["QUERY_STRING"] == "q=1&r=%41")
        #expect(env["REQUEST_URI"] == "/app.cgi/a/b%20c?q=1&r=%41")
        #expect(env["SCRIPT_FILENAME"]?.hasSuffix("/htdocs/app.cgi") == true)
        #expect(env["REQUEST_METHOD"] == "GET")
        #expect(env["SERVER_PROTOCOL"] == "HTTP/1.1")
        #expect(env["GATEWAY_INTERFACE"] == "CGI/1.1")
        #expect(env["SERVER_ADMIN"] == "ops@example.test")
    }

    @Test func noPathInfoMeansNoPathVariables() throws {
        let env = try Self.environment("/app.cgi")
        #expect(env["PATH_INFO"] == nil)
        #expect(env["PATH_TRANSLATED"] == nil)
        #expect(env["QUERY_STRING"] == "")
        #expect(env["CONTENT_LENGTH"] == nil)
    }

    @Test func headersBecomeHTTPVariablesInOrderAndMerged() throws {
        let env = try Self.environment("/app.cgi", headers: [
            ("User-Agent", "probe/1"), ("X-Multi", "a"), ("X-Multi", "b"), ("Content-Type", "text/plain"),
            ("Content-Length", "0"), ("Authorization", "Basic x"), ("Proxy", "http://evil"), ("X_Under", "dropped"),
            ("Accept-Language", "en"),
        ])
        #expect(env["HTTP_HOST"] == TestRequest.host)
        #expect(env["HTTP_USER_AGENT"] == "probe/1")
        #expect(env["HTTP_X_MULTI"] == "a, b")
        #expect(env["CONTENT_TYPE"] == "text/plain")
        #expect(env["CONTENT_LENGTH"] == "0")
        #expect(env["HTTP_CONTENT_TYPE"] == nil)
        #expect(env["HTTP_AUTHORIZATION"] == nil)
        #expect(env["HTTP_PROXY"] == nil)
        #expect(env.variables.contains { $0.name.contains("UNDER") } == false)
        let httpNames = env.variables.map(\.name).filter { $0.hasPrefix("HTTP_") }
        #expect(httpNames == ["HTTP_HOST", "HTTP_USER_AGENT", "HTTP_X_MULTI", "HTTP_ACCEPT_LANGUAGE"])
        #expect(env["http_user_agent"] == "probe/1", "lookups ignore case, as APR tables do")
    }

    @Test func serverNameAndPortFollowTheHostHeader() throws {
        let named = try Self.environment("/app.cgi", headers: [])
        #expect(named["SERVER_NAME"] == TestRequest.host)
        #expect(named["SERVER_PORT"] == "80")
        #expect(named["SERVER_ADDR"] == "127.0.0.1")
        #expect(named["REMOTE_ADDR"] == "127.0.0.1")
        #expect(named["REMOTE_PORT"] == "40000")
        #expect(named["SERVER_SOFTWARE"]?.hasPrefix("isapid/") == true)
    }

    @Test func errorDocumentRedirectVariablesAreIncluded() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/err.cgi", "x")
        let capture = Capture()
        let pipeline = try tree.pipeline(
            "DocumentRoot \(tree.htdocs)\nAddHandler capture .cgi\nErrorDocument 404 /err.cgi\n", handlers: ["capture": capture])
        _ = pipeline.process(TestRequest.make("/missing?x=1"))
        let env = CGIEnvironment(try #require(capture.context), configuration: pipeline.configuration)
        #expect(env["REDIRECT_STATUS"] == "404")
        #expect(env["REDIRECT_URL"] == "/missing")
        #expect(env["REDIRECT_QUERY_STRING"] == "x=1")
    }

    @Test(arguments: [
        ("User-Agent", "HTTP_USER_AGENT"), ("x-lower-case", "HTTP_X_LOWER_CASE"), ("Accept2", "HTTP_ACCEPT2"),
    ])
    func headerNames(_ header: String, _ variable: String) {
        #expect(CGIEnvironment.variableName(forHeader: header) == variable)
    }

    @Test(arguments: ["X_Under", "X.Dot", "Authorization", "proxy-authorization", "Proxy", "Bad Name"])
    func droppedHeaderNames(_ header: String) {
        #expect(CGIEnvironment.variableName(forHeader: header) == nil)
    }
}
