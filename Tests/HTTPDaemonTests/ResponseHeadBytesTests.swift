@testable import HTTPDaemon
import NIOCore
import RequestPipeline
import Testing

/// Response heads as bytes: the status line, Date and Server, the response's fields in
/// order, Content-Length, then the connection's keep-alive or close.
@Suite struct ResponseHeadBytesTests {
    struct Case: Sendable, CustomStringConvertible {
        var status: Int
        var reason: String? = nil
        var headers: [(String, String)] = []
        var contentLength: Int64? = nil
        var keepAlive = true
        var remaining: Int? = nil
        /// The request's Connection field has the keep-alive token.
        var asked = true
        var expected: String
        var description: String { "\(status) keepAlive=\(keepAlive) asked=\(asked)" }
    }

    static let cases = [
        Case(status: 200, headers: [("Content-Type", "text/plain"), ("ETag", "\"1-2\"")], contentLength: 13, remaining: 99,
             expected: "HTTP/1.1 200 OK\r\nDate: DATE\r\nServer: isapid/test\r\nContent-Type: text/plain\r\nETag: \"1-2\"\r\nContent-Length: 13\r\nKeep-Alive: timeout=5, max=99\r\nConnection: Keep-Alive\r\n\r\n"),
        // Kept alive without being asked (an HTTP/1.1 client's default): nothing announced, as from Apache.
        Case(status: 200, contentLength: 2, remaining: 99, asked: false,
             expected: "HTTP/1.1 200 OK\r\nDate: DATE\r\nServer: isapid/test\r\nContent-Length: 2\r\n\r\n"),
        Case(status: 404, contentLength: 210, keepAlive: false,
             expected: "HTTP/1.1 404 Not Found\r\nDate: DATE\r\nServer: isapid/test\r\nContent-Length: 210\r\nConnection: close\r\n\r\n"),
        Case(status: 302, reason: "Found It", headers: [("Location", "http://x/é")], contentLength: 0,
             expected: "HTTP/1.1 302 Found It\r\nDate: DATE\r\nServer: isapid/test\r\nLocation: http://x/é\r\nContent-Length: 0\r\nKeep-Alive: timeout=5\r\nConnection: Keep-Alive\r\n\r\n"),
        Case(status: 304, headers: [("ETag", "\"a\"")], remaining: 1,
             expected: "HTTP/1.1 304 Not Modified\r\nDate: DATE\r\nServer: isapid/test\r\nETag: \"a\"\r\nKeep-Alive: timeout=5, max=1\r\nConnection: Keep-Alive\r\n\r\n"),
        Case(status: 599, contentLength: 0, keepAlive: false,
             expected: "HTTP/1.1 599 Server Error\r\nDate: DATE\r\nServer: isapid/test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    ]

    @Test(arguments: cases)
    func encode(_ test: Case) throws {
        let harness = try ConnectionHarness()
        let context = ResponseHeadContext(daemon: harness.daemon, serverHeader: "isapid/test", keepAliveTimeout: 5,
                                          remainingRequests: test.remaining, answersKeepAlive: test.asked,
                                          writesHead: true)
        var headers = HeaderFields()
        for (name, value) in test.headers { headers.add(name, value) }
        var buffer = ByteBuffer()
        context.encode(status: test.status, reason: test.reason, headers: headers, contentLength: test.contentLength,
                       keepAlive: test.keepAlive, into: &buffer)
        let text = String(buffer: buffer)
        let date = harness.daemon.dateHeader()
        #expect(text == test.expected.replacingOccurrences(of: "DATE", with: date)
                || text == test.expected.replacingOccurrences(of: "DATE", with: harness.daemon.dateHeader()))
    }
}
