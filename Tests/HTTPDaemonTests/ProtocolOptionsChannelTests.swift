import Testing

@testable import HTTPDaemon

/// `HttpProtocolOptions` through a whole connection (decoder, handler, pipeline):
/// Strict against Unsafe, HTTP/0.9, registered methods, absolute-form virtual hosts.
@Suite struct ProtocolOptionsChannelTests {
    static let smuggling = "GET /small.txt HTTP/1.1\r\nHost: a.example\r\nDummy: x\nContent-Length: 34\r\n\r\n"
        + "GET /index.html HTTP/1.1\r\nX: y\r\n\r\n"

    @Test func strictAnswersABareLFWith400AndCloses() throws {
        let connection = try ConnectionHarness()
        try connection.send(Self.smuggling)
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 400 Bad Request")
        #expect(response.header("Connection") == "close")
        #expect(try connection.hasNoOutput)
        #expect(!connection.isOpen)
    }

    @Test func unsafeAcceptsBareLF() throws {
        let connection = try ConnectionHarness("HttpProtocolOptions Unsafe\n")
        try connection.send("GET /small.txt HTTP/1.1\nHost: a.example\n\nGET /index.html HTTP/1.1\nHost: a.example\n\n")
        #expect(try connection.readResponse().statusLine == "HTTP/1.1 200 OK")
        #expect(try connection.readResponse().statusLine == "HTTP/1.1 200 OK")
        #expect(connection.isOpen)

        let strict = try ConnectionHarness("HttpProtocolOptions Strict\n")
        try strict.send("GET /small.txt HTTP/1.1\nHost: a.example\n\n")
        #expect(try strict.readResponse().statusLine == "HTTP/1.1 400 Bad Request")
        #expect(!strict.isOpen)
    }

    /// As Apache answers HTTP/0.9 (`assbackwards`): the body alone, an error page too,
    /// then the connection closes.
    @Test func http09IsAnsweredWithTheBodyAloneUnlessRequire10() throws {
        let allowed = try ConnectionHarness()
        try allowed.send("GET /small.txt\r\n")
        #expect(try allowed.unreadOutput() == ConnectionHarness.smallText)
        #expect(!allowed.isOpen)

        let missing = try ConnectionHarness()
        try missing.send("GET /missing.html\r\n")
        let page = try missing.unreadOutput()
        #expect(page.hasPrefix("<!DOCTYPE HTML") && page.contains("404 Not Found"), "\(page.debugDescription)")
        #expect(!missing.isOpen)

        let required = try ConnectionHarness("HttpProtocolOptions Require1.0\n")
        try required.send("GET /small.txt\r\n")
        #expect(try required.readResponse().statusLine == "HTTP/1.1 400 Bad Request")
        #expect(!required.isOpen)
    }

    @Test func registeredMethodsAnswer501() throws {
        // Refused by the parser: the connection closes.
        let registered = try ConnectionHarness("HttpProtocolOptions RegisteredMethods\n")
        try registered.send("BREW /small.txt HTTP/1.1\r\nHost: a.example\r\n\r\n")
        #expect(try registered.readResponse().statusLine == "HTTP/1.1 501 Not Implemented")
        #expect(!registered.isOpen)

        // Let through: the static handler answers 501 as Apache's does, and the connection goes on.
        let lenient = try ConnectionHarness()
        try lenient.send("BREW /small.txt HTTP/1.1\r\nHost: a.example\r\n\r\n")
        #expect(try lenient.readResponse().statusLine == "HTTP/1.1 501 Not Implemented")
        #expect(lenient.isOpen)
    }

    static let virtualHosts = """
        <VirtualHost *:8080>
        ServerName a.example
        DocumentRoot htdocs/a
        </VirtualHost>
        <VirtualHost *:8080>
        ServerName b.example
        DocumentRoot htdocs/b
        </VirtualHost>

        """

    /// RFC 9112 §3.2.2: the absolute-form target's host, not Host, picks the virtual host,
    /// and a redirect to the same server names it.
    @Test func absoluteFormHostSelectsTheVirtualHost() throws {
        let files = ["htdocs/a/which.txt": "a\n", "htdocs/b/which.txt": "bbbb\n", "htdocs/b/dir/index.html": "b\n"]
        let connection = try ConnectionHarness(Self.virtualHosts, files: files)
        try connection.send("GET http://b.example/which.txt HTTP/1.1\r\nHost: a.example\r\n\r\n")
        let chosen = try connection.readResponse()
        #expect(chosen.statusLine == "HTTP/1.1 200 OK")
        #expect(chosen.header("Content-Length") == "5")

        try connection.send("GET http://B.example:8080/dir?x=1 HTTP/1.1\r\nHost: a.example\r\n\r\n")
        let redirect = try connection.readResponse()
        #expect(redirect.statusLine == "HTTP/1.1 301 Moved Permanently")
        #expect(redirect.header("Location") == "http://b.example:8080/dir/?x=1")

        try connection.send("GET /which.txt HTTP/1.1\r\nHost: a.example\r\n\r\n")
        #expect(try connection.readResponse().header("Content-Length") == "2")

        try connection.send("GET http://a.example::80/which.txt HTTP/1.1\r\nHost: a.example\r\n\r\n")
        #expect(try connection.readResponse().statusLine == "HTTP/1.1 400 Bad Request")
        #expect(!connection.isOpen)
    }
}
