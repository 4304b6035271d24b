import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import RequestPipeline
import ServerConfig
import Testing

@testable import HTTPDaemon

private let host = "Host: www.example.test\r\n"
private let serverBanner = "isapid/\(ServerSoftware.version) (Linux)"

/// A request's Connection field asking for keep-alive: answered with Keep-Alive and
/// `Connection: Keep-Alive`, as Apache answers it (an HTTP/1.1 request without it gets neither).
private let keepAliveToken = "Connection: keep-alive\r\n"

private func get(_ path: String, _ extra: String = "", version: String = "1.1") -> String {
    "GET \(path) HTTP/\(version)\r\n\(host)\(extra)\r\n"
}

/// Apache's built-in 404 page.
private let notFoundPage = """
    <!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
    <html><head>
    <title>404 Not Found</title>
    </head><body>
    <h1>Not Found</h1>
    <p>The requested URL was not found on this server.<br />
    </p>
    </body></html>

    """

/// A whole small file, read into the buffer that follows the head (FileBody).
private let smallFileBody: [WireChunk] = [.bytes(Array(ConnectionHarness.smallText.utf8))]

@Suite struct ConnectionHandlerTests {
    // MARK: Responses

    @Test func getSmallFile() throws {
        let connection = try ConnectionHarness()
        try connection.send(get("/small.txt"))
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(response.headerNames == ["Date", "Server", "Last-Modified", "ETag", "Accept-Ranges", "Content-Type",
                                         "Content-Length"])
        #expect(response.header("Date")?.hasSuffix(" GMT") == true)
        #expect(response.header("Server") == serverBanner)
        #expect(response.header("Last-Modified") == ConnectionHarness.mtimeHTTPDate)
        let etag = try #require(response.header("ETag"))
        #expect(etag.hasPrefix("\"") && etag.hasSuffix("\"") && etag.count > 2, "a strong ETag: \(etag)")
        #expect(response.header("Accept-Ranges") == "bytes")
        #expect(response.header("Content-Type") == "text/plain")
        #expect(response.header("Content-Length") == "13")
        #expect(response.header("Keep-Alive") == nil, "an HTTP/1.1 request that did not ask gets none, as from Apache")
        #expect(response.header("Connection") == nil)
        #expect(response.body == smallFileBody)
        #expect(try connection.hasNoOutput)
        #expect(connection.isOpen)
    }

    @Test func directoryIndexIsServedThroughItsInternalRedirect() throws {
        let connection = try ConnectionHarness()
        try connection.send(get("/"))
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(response.header("Content-Type") == "text/html")
        #expect(response.body == [.bytes(Array(ConnectionHarness.indexHTML.utf8))])
    }

    @Test func notFoundPageIsSentAsBytes() throws {
        let connection = try ConnectionHarness()
        try connection.send(get("/missing.html"))
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 404 Not Found")
        #expect(response.headerNames == ["Date", "Server", "Content-Type", "Content-Length"])
        #expect(response.header("Content-Type") == "text/html; charset=iso-8859-1")
        #expect(response.header("Content-Length") == String(notFoundPage.utf8.count))
        #expect(response.body.count == 1)
        #expect(response.bodyText == notFoundPage)
        #expect(try connection.hasNoOutput)
        // A 404 does not end the connection.
        #expect(connection.isOpen)
        try connection.send(get("/small.txt"))
        #expect(try connection.readResponse().statusLine == "HTTP/1.1 200 OK")
    }

    @Test func headHasContentLengthButNoBody() throws {
        let connection = try ConnectionHarness()
        try connection.send("HEAD /small.txt HTTP/1.1\r\n\(host)\r\n")
        let response = try connection.readResponse(bodyless: true)
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(response.header("Content-Length") == "13")
        #expect(response.header("Content-Type") == "text/plain")
        #expect(response.header("ETag") != nil)
        #expect(response.header("Keep-Alive") == nil)
        #expect(try connection.unreadOutput() == "")
        // The next request is answered normally.
        try connection.send("HEAD /missing HTTP/1.1\r\n\(host)\r\n")
        let missing = try connection.readResponse(bodyless: true)
        #expect(missing.statusLine == "HTTP/1.1 404 Not Found")
        #expect(missing.header("Content-Length") == String(notFoundPage.utf8.count))
        #expect(try connection.unreadOutput() == "")
        #expect(connection.isOpen)
    }

    @Test func exactHeadBytes() throws {
        let connection = try ConnectionHarness("ServerTokens Prod\n")
        try connection.send(get("/nothing"))
        let output = try connection.unreadOutput()
        // Date is the only header whose value is not known in advance.
        let dateLine = try #require(output.split(separator: "\r\n").first { $0.hasPrefix("Date: ") })
        #expect(output == """
            HTTP/1.1 404 Not Found\r
            \(dateLine)\r
            Server: isapid\r
            Content-Type: text/html; charset=iso-8859-1\r
            Content-Length: \(notFoundPage.utf8.count)\r
            \r
            \(notFoundPage)
            """)
    }

    // MARK: Pipelining and persistence

    @Test func pipelinedRequestsAreAnsweredInOrderOneAfterTheOther() throws {
        let connection = try ConnectionHarness()
        connection.stallSocket()
        try connection.send(get("/small.txt", keepAliveToken) + get("/missing.html", keepAliveToken))

        // Only the first answer is written while its write has not completed.
        let first = try connection.readResponse()
        #expect(first.statusLine == "HTTP/1.1 200 OK")
        #expect(first.body == smallFileBody)
        #expect(first.header("Keep-Alive") == "timeout=5, max=100")
        #expect(first.header("Connection") == "Keep-Alive")
        #expect(try connection.hasNoOutput)
        #expect(connection.gate.held.count == 1)

        // Reading from the socket pauses meanwhile.
        let readsBefore = connection.gate.readsForwarded
        connection.channel.read()
        #expect(connection.gate.readsForwarded == readsBefore)

        connection.gate.release()
        connection.channel.embeddedEventLoop.run()
        let second = try connection.readResponse()
        #expect(second.statusLine == "HTTP/1.1 404 Not Found")
        #expect(second.bodyText == notFoundPage)
        #expect(second.header("Keep-Alive") == "timeout=5, max=99")
        #expect(try connection.hasNoOutput)
        #expect(connection.gate.held.count == 1)
        #expect(connection.gate.readsForwarded == readsBefore)

        // Once the second is written too, the paused read goes on.
        connection.gate.release()
        connection.channel.embeddedEventLoop.run()
        #expect(connection.gate.readsForwarded == readsBefore + 1)
        #expect(connection.isOpen)
    }

    @Test func pipelinedRequestsWithBodiesWaitTheirTurn() throws {
        let connection = try ConnectionHarness()
        connection.stallSocket()
        try connection.send(get("/small.txt")
            + "GET /small.txt HTTP/1.1\r\n\(host)Content-Length: 4\r\n\r\nbody"
            + "GET /index.html HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        #expect(try connection.readResponse().statusLine == "HTTP/1.1 200 OK")
        #expect(try connection.hasNoOutput)

        connection.gate.release()
        connection.channel.embeddedEventLoop.run()
        let second = try connection.readResponse()
        #expect(second.statusLine == "HTTP/1.1 200 OK")
        #expect(second.header("Keep-Alive") == nil)
        #expect(second.header("Connection") == nil)
        #expect(try connection.hasNoOutput)

        connection.gate.release()
        connection.channel.embeddedEventLoop.run()
        let third = try connection.readResponse()
        #expect(third.statusLine == "HTTP/1.1 200 OK")
        #expect(third.body == [.bytes(Array(ConnectionHarness.indexHTML.utf8))])
        connection.gate.release()
        connection.channel.embeddedEventLoop.run()
        #expect(try connection.hasNoOutput)
        #expect(connection.isOpen)
    }

    @Test func threePipelinedRequestsWithoutHeldWrites() throws {
        let connection = try ConnectionHarness()
        try connection.send(get("/small.txt", keepAliveToken) + get("/missing", keepAliveToken)
            + "HEAD /index.html HTTP/1.1\r\n\(host)\(keepAliveToken)\r\n")
        let first = try connection.readResponse()
        let second = try connection.readResponse()
        let third = try connection.readResponse(bodyless: true)
        #expect(first.statusLine == "HTTP/1.1 200 OK")
        #expect(first.body == smallFileBody)
        #expect(second.statusLine == "HTTP/1.1 404 Not Found")
        #expect(third.statusLine == "HTTP/1.1 200 OK")
        #expect(third.header("Content-Type") == "text/html")
        #expect([first, second, third].map { $0.header("Keep-Alive") }
            == ["timeout=5, max=100", "timeout=5, max=99", "timeout=5, max=98"])
        #expect(try connection.hasNoOutput)
        #expect(connection.isOpen)
    }

    /// An answer the channel takes under its write watermark is not waited for: the next
    /// pipelined request is answered at once, as NIOHTTP1's pipeline handler and Apache's
    /// core output filter do.
    @Test func anAnswerUnderTheWatermarkIsNotWaitedFor() throws {
        let connection = try ConnectionHarness()
        connection.gate.holding = true
        try connection.send(get("/small.txt") + get("/index.html"))
        #expect(try connection.readResponse().body == smallFileBody)
        #expect(try connection.readResponse().body == [.bytes(Array(ConnectionHarness.indexHTML.utf8))])
        #expect(connection.gate.held.isEmpty)
        #expect(connection.isOpen)
    }

    /// A close between requests lets the last answer, handed over without waiting, drain
    /// first; a request that comes meanwhile is not answered.
    @Test func anIdleCloseWaitsForTheLastAnswerToDrain() throws {
        let connection = try ConnectionHarness("Timeout 30\nKeepAliveTimeout 5\n")
        connection.gate.holding = true
        try connection.send(get("/small.txt"))
        #expect(try connection.readResponse().statusLine == "HTTP/1.1 200 OK")
        connection.advance(seconds: 6)
        #expect(connection.isOpen, "closed before the last answer drained")
        #expect(connection.gate.held.count == 1)
        try connection.send(get("/index.html"))
        #expect(try connection.hasNoOutput)
        connection.gate.release()
        connection.channel.embeddedEventLoop.run()
        #expect(!connection.isOpen)
        #expect(try connection.hasNoOutput)
    }

    /// The drain before a close is bounded by Timeout, as any write is.
    @Test func aDrainThatOutlastsTimeoutCloses() throws {
        let connection = try ConnectionHarness("Timeout 10\nKeepAliveTimeout 5\n")
        connection.gate.holding = true
        try connection.send(get("/small.txt"))
        _ = try connection.readResponse()
        // KeepAliveTimeout ends at 5 s, the drain's Timeout at 15 s.
        connection.advance(seconds: 6)
        #expect(connection.isOpen)
        connection.advance(seconds: 8)
        #expect(connection.isOpen)
        connection.advance(seconds: 2)
        #expect(!connection.isOpen)
    }

    @Test func connectionCloseIsHonoured() throws {
        let connection = try ConnectionHarness()
        try connection.send(get("/small.txt", "Connection: close\r\n"))
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(response.header("Connection") == "close")
        #expect(response.header("Keep-Alive") == nil)
        #expect(response.body == smallFileBody)
        #expect(!connection.isOpen)
    }

    @Test func requestPipelinedAfterConnectionCloseIsNotAnswered() throws {
        let connection = try ConnectionHarness()
        try connection.send(get("/small.txt", "Connection: close\r\n") + get("/index.html"))
        let response = try connection.readResponse()
        #expect(response.header("Connection") == "close")
        #expect(try connection.hasNoOutput)
        #expect(!connection.isOpen)
    }

    @Test func connectionStaysOpenUntilTheResponseIsWritten() throws {
        let connection = try ConnectionHarness()
        connection.stallSocket()
        try connection.send(get("/small.txt", "Connection: close\r\n"))
        #expect(try connection.readResponse().header("Connection") == "close")
        #expect(connection.isOpen)
        connection.gate.release()
        connection.channel.embeddedEventLoop.run()
        #expect(!connection.isOpen)
    }

    @Test func http10WithoutKeepAliveCloses() throws {
        let connection = try ConnectionHarness()
        try connection.send("GET /small.txt HTTP/1.0\r\n\r\n")
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(response.header("Connection") == "close")
        #expect(response.header("Keep-Alive") == nil)
        #expect(response.body == smallFileBody)
        #expect(!connection.isOpen)
    }

    @Test func http10WithKeepAliveStaysOpen() throws {
        let connection = try ConnectionHarness()
        try connection.send("GET /small.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(response.header("Connection") == "Keep-Alive")
        #expect(response.header("Keep-Alive") == "timeout=5, max=100")
        #expect(response.body == smallFileBody)
        #expect(connection.isOpen)
        try connection.send("GET /missing HTTP/1.0\r\n\r\n")
        let second = try connection.readResponse()
        #expect(second.statusLine == "HTTP/1.1 404 Not Found")
        #expect(second.header("Connection") == "close")
        #expect(!connection.isOpen)
    }

    @Test func keepAliveOffClosesAfterEveryResponse() throws {
        let connection = try ConnectionHarness("KeepAlive Off\n")
        try connection.send(get("/small.txt"))
        let response = try connection.readResponse()
        #expect(response.header("Connection") == "close")
        #expect(response.header("Keep-Alive") == nil)
        #expect(!connection.isOpen)
    }

    /// Apache's count (ap_set_keepalive): MaxKeepAliveRequests answers kept alive, the
    /// first announcing `max=` MaxKeepAliveRequests, then one more that closes.
    @Test func maxKeepAliveRequestsEndsTheConnection() throws {
        let connection = try ConnectionHarness("MaxKeepAliveRequests 2\n")
        for remaining in [2, 1] {
            try connection.send(get("/small.txt", keepAliveToken))
            let response = try connection.readResponse()
            #expect(response.header("Keep-Alive") == "timeout=5, max=\(remaining)")
            #expect(response.header("Connection") == "Keep-Alive")
            #expect(connection.isOpen)
        }
        try connection.send(get("/small.txt", keepAliveToken))
        let last = try connection.readResponse()
        #expect(last.statusLine == "HTTP/1.1 200 OK")
        #expect(last.header("Connection") == "close")
        #expect(last.header("Keep-Alive") == nil)
        #expect(last.body == smallFileBody)
        #expect(!connection.isOpen)
    }

    /// Without the keep-alive token the same count holds, with nothing announced.
    @Test func maxKeepAliveRequestsEndsTheConnectionOfAClientThatDidNotAsk() throws {
        let connection = try ConnectionHarness("MaxKeepAliveRequests 2\n")
        for _ in 0..<2 {
            try connection.send(get("/small.txt"))
            let response = try connection.readResponse()
            #expect(response.header("Keep-Alive") == nil)
            #expect(response.header("Connection") == nil)
            #expect(connection.isOpen)
        }
        try connection.send(get("/small.txt"))
        #expect(try connection.readResponse().header("Connection") == "close")
        #expect(!connection.isOpen)
    }

    @Test func maxKeepAliveRequestsZeroIsUnlimited() throws {
        let connection = try ConnectionHarness("MaxKeepAliveRequests 0\nKeepAliveTimeout 7\n")
        for _ in 0..<3 {
            try connection.send(get("/small.txt", keepAliveToken))
            let response = try connection.readResponse()
            #expect(response.header("Keep-Alive") == "timeout=7")
            #expect(response.header("Connection") == "Keep-Alive")
        }
        #expect(connection.isOpen)
    }

    @Test func requestBodyIsDiscardedBeforeTheNextRequest() throws {
        let connection = try ConnectionHarness()
        try connection.send("GET /small.txt HTTP/1.1\r\n\(host)Content-Length: 5\r\n\r\nab")
        // The answer waits for the whole body.
        #expect(try connection.hasNoOutput)
        try connection.send("cde" + get("/missing"))
        let first = try connection.readResponse()
        #expect(first.statusLine == "HTTP/1.1 200 OK")
        #expect(first.body == smallFileBody)
        let second = try connection.readResponse()
        #expect(second.statusLine == "HTTP/1.1 404 Not Found")
        #expect(connection.isOpen)
    }

    @Test func errorAnswerToARequestWithABodyClosesTheConnection() throws {
        let connection = try ConnectionHarness()
        // PUT to a static file is 405, answered at once: the unread body ends the connection.
        try connection.send("PUT /small.txt HTTP/1.1\r\n\(host)Content-Length: 10\r\n\r\n")
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 405 Method Not Allowed")
        #expect(response.header("Allow") == "GET,HEAD,POST,OPTIONS,TRACE")
        #expect(response.header("Connection") == "close")
        #expect(!connection.isOpen)
    }

    // MARK: Decoder errors

    struct BadRequest: Sendable, CustomTestStringConvertible {
        let directives: String
        let request: String
        let statusLine: String
        var testDescription: String { statusLine }
    }

    @Test(arguments: [
        BadRequest(directives: "", request: "BAD\r\n\r\n", statusLine: "HTTP/1.1 400 Bad Request"),
        BadRequest(directives: "", request: "GET /index.html HTTP/1.1\r\n\r\n", statusLine: "HTTP/1.1 400 Bad Request"),
        BadRequest(directives: "LimitRequestLine 20\n", request: get("/a-rather-long-path.html"),
                   statusLine: "HTTP/1.1 414 URI Too Long"),
        BadRequest(directives: "LimitRequestFields 2\n",
                   request: get("/index.html", "Accept: */*\r\nUser-Agent: test\r\n"),
                   statusLine: "HTTP/1.1 431 Request Header Fields Too Large"),
        BadRequest(directives: "LimitRequestFieldSize 20\n", request: get("/index.html", "X-Long: \(String(repeating: "x", count: 30))\r\n"),
                   statusLine: "HTTP/1.1 431 Request Header Fields Too Large"),
        BadRequest(directives: "", request: "GET /index.html HTTP/0.9\r\n\(host)\r\n",
                   statusLine: "HTTP/1.1 400 Bad Request"),
        BadRequest(directives: "", request: "POST /index.html HTTP/1.1\r\n\(host)Transfer-Encoding: gzip, chunked\r\n\r\n",
                   statusLine: "HTTP/1.1 501 Not Implemented"),
    ])
    func decoderErrorsAreAnsweredAndClose(_ bad: BadRequest) throws {
        let connection = try ConnectionHarness(bad.directives)
        try connection.send(bad.request)
        let response = try connection.readResponse()
        #expect(response.statusLine == bad.statusLine)
        #expect(response.header("Connection") == "close")
        #expect(response.header("Keep-Alive") == nil)
        #expect(response.header("Content-Type") == "text/html; charset=iso-8859-1")
        let status = bad.statusLine.split(separator: " ", maxSplits: 1)[1]
        #expect(response.bodyText?.contains("<title>\(status)</title>") == true)
        #expect(try connection.hasNoOutput)
        #expect(!connection.isOpen)
    }

    /// A head rejected after a valid request line: a HEAD gets no body, and the access log
    /// shows the request line (as Apache's does; before, "-" and a body were sent).
    @Test func aRejectedHeadKeepsItsRequestLine() throws {
        let connection = try ConnectionHarness("CustomLog logs/access_log \"%r %>s %b\"\n")
        try connection.send("HEAD /index.html HTTP/1.1\r\n\(host)Fo@: 1\r\n\r\n")
        let response = try connection.readResponse(bodyless: true)
        #expect(response.statusLine == "HTTP/1.1 400 Bad Request")
        #expect(try connection.hasNoOutput, "a body was sent to a HEAD")
        #expect(!connection.isOpen)
        #expect(connection.accessLog() == "HEAD /index.html HTTP/1.1 400 -\n")
    }

    @Test func decoderErrorAfterAGoodRequestAnswersBothThenCloses() throws {
        let connection = try ConnectionHarness()
        try connection.send(get("/small.txt") + "GET / HTTP/1.1 extra\r\n\r\n")
        let first = try connection.readResponse()
        #expect(first.statusLine == "HTTP/1.1 200 OK")
        let second = try connection.readResponse()
        #expect(second.statusLine == "HTTP/1.1 400 Bad Request")
        #expect(second.header("Connection") == "close")
        #expect(!connection.isOpen)
    }

    @Test func tooLongRequestLineIsRejectedBeforeItEnds() throws {
        let connection = try ConnectionHarness("LimitRequestLine 20\n")
        try connection.send("GET /" + String(repeating: "a", count: 30))
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 414 URI Too Long")
        #expect(!connection.isOpen)
    }

    // MARK: Request bodies

    @Test func expectContinueIsAnsweredBeforeTheBody() throws {
        let connection = try ConnectionHarness()
        try connection.send("GET /small.txt HTTP/1.1\r\n\(host)Expect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        #expect(try connection.unreadOutput() == "HTTP/1.1 100 Continue\r\n\r\n")
        let interim = try connection.readResponse()
        #expect(interim.statusLine == "HTTP/1.1 100 Continue")
        #expect(interim.headers.isEmpty)
        #expect(try connection.hasNoOutput)

        try connection.send("hel")
        #expect(try connection.hasNoOutput)
        try connection.send("lo")
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(response.header("Keep-Alive") == nil)
        #expect(response.header("Connection") == nil)
        #expect(response.body == smallFileBody)
        #expect(try connection.hasNoOutput)
        #expect(connection.isOpen)
    }

    @Test func expectContinueWithAChunkedBody() throws {
        let connection = try ConnectionHarness()
        try connection.send("GET /small.txt HTTP/1.1\r\n\(host)Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(try connection.readResponse().statusLine == "HTTP/1.1 100 Continue")
        #expect(try connection.hasNoOutput)
        try connection.send("5\r\nhello\r\n0\r\n\r\n")
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(response.body == smallFileBody)
        #expect(connection.isOpen)
    }

    @Test func noContinueForAnHTTP10Client() throws {
        let connection = try ConnectionHarness()
        try connection.send("GET /small.txt HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        // RFC 9110 §15.2: a server must not send a 1xx response to an HTTP/1.0 client.
        #expect(try connection.hasNoOutput)
        try connection.send("hello")
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(!connection.isOpen)
    }

    @Test func unknownExpectationIs417() throws {
        let connection = try ConnectionHarness()
        try connection.send(get("/small.txt", "Expect: something-else\r\n"))
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 417 Expectation Failed")
        #expect(connection.isOpen)
    }

    @Test func declaredBodyOverLimitRequestBodyIs413() throws {
        let connection = try ConnectionHarness("LimitRequestBody 10\n")
        try connection.send("GET /small.txt HTTP/1.1\r\n\(host)Expect: 100-continue\r\nContent-Length: 11\r\n\r\n")
        // No 100 Continue: the answer is final at once.
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 413 Content Too Large")
        #expect(response.header("Connection") == "close")
        #expect(response.header("Content-Type") == "text/html; charset=iso-8859-1")
        let rest = try connection.unreadOutput()
        #expect(rest == "")
        #expect(!connection.isOpen)
    }

    @Test func bodyAtLimitRequestBodyIsAccepted() throws {
        let connection = try ConnectionHarness("LimitRequestBody 10\n")
        try connection.send("GET /small.txt HTTP/1.1\r\n\(host)Content-Length: 10\r\n\r\n0123456789")
        #expect(try connection.readResponse().statusLine == "HTTP/1.1 200 OK")
        #expect(connection.isOpen)
    }

    @Test func chunkedBodyOverLimitRequestBodyIs413() throws {
        let connection = try ConnectionHarness("LimitRequestBody 10\n")
        try connection.send("GET /small.txt HTTP/1.1\r\n\(host)Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(try connection.readResponse().statusLine == "HTTP/1.1 100 Continue")
        try connection.send("6\r\nhello \r\n")
        #expect(try connection.hasNoOutput)
        try connection.send("6\r\nworld!\r\n")
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 413 Content Too Large")
        #expect(response.header("Connection") == "close")
        #expect(try connection.hasNoOutput)
        #expect(!connection.isOpen)
    }

    // MARK: Timeouts

    @Test func keepAliveTimeoutClosesAnIdleConnection() throws {
        let connection = try ConnectionHarness("Timeout 30\nKeepAliveTimeout 5\n")
        try connection.send(get("/small.txt"))
        #expect(try connection.readResponse().statusLine == "HTTP/1.1 200 OK")
        connection.advance(milliseconds: 4_900)
        #expect(connection.isOpen)
        connection.advance(milliseconds: 200)
        #expect(!connection.isOpen)
        // Closed silently.
        #expect(try connection.hasNoOutput)
    }

    @Test func keepAliveTimeoutCountsFromTheLastResponse() throws {
        let connection = try ConnectionHarness("Timeout 30\nKeepAliveTimeout 5\n")
        try connection.send(get("/small.txt"))
        _ = try connection.readResponse()
        connection.advance(seconds: 4)
        try connection.send(get("/small.txt"))
        _ = try connection.readResponse()
        connection.advance(seconds: 4)
        #expect(connection.isOpen)
        connection.advance(seconds: 2)
        #expect(!connection.isOpen)
    }

    @Test func firstRequestWaitsForTimeoutNotKeepAliveTimeout() throws {
        let connection = try ConnectionHarness("Timeout 30\nKeepAliveTimeout 5\n")
        connection.advance(seconds: 29)
        #expect(connection.isOpen)
        connection.advance(seconds: 2)
        #expect(!connection.isOpen)
        #expect(try connection.hasNoOutput)
    }

    @Test func halfSentHeadTimesOutWith408() throws {
        let connection = try ConnectionHarness("Timeout 10\nKeepAliveTimeout 5\n")
        try connection.send("GET /small.txt HTTP/1.1\r\n\(host)")
        connection.advance(seconds: 9)
        #expect(connection.isOpen)
        #expect(try connection.hasNoOutput)
        connection.advance(seconds: 2)
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 408 Request Timeout")
        #expect(response.header("Connection") == "close")
        #expect(response.bodyText?.contains("<title>408 Request Timeout</title>") == true)
        #expect(!connection.isOpen)
    }

    @Test func halfSentSecondHeadGetsTimeoutNotKeepAliveTimeout() throws {
        let connection = try ConnectionHarness("Timeout 10\nKeepAliveTimeout 2\n")
        try connection.send(get("/small.txt"))
        _ = try connection.readResponse()
        connection.advance(seconds: 1)
        try connection.send("GET /small.txt HTTP/1.1\r\n")
        connection.advance(seconds: 5)
        #expect(connection.isOpen)
        connection.advance(seconds: 6)
        #expect(try connection.readResponse().statusLine == "HTTP/1.1 408 Request Timeout")
        #expect(!connection.isOpen)
    }

    @Test func stalledBodyClosesAfterTimeout() throws {
        // 3,000 bytes at once and 3,000 more 9 s later: well above 500 bytes a second, so
        // only the stall (Timeout without a byte) ends the connection.
        let connection = try ConnectionHarness("Timeout 10\n")
        let part = String(repeating: "x", count: 3000)
        try connection.send("GET /small.txt HTTP/1.1\r\n\(host)Content-Length: 10000\r\n\r\n\(part)")
        connection.advance(seconds: 9)
        try connection.send(part)
        connection.advance(seconds: 9)
        #expect(connection.isOpen)
        connection.advance(seconds: 2)
        #expect(!connection.isOpen)
        #expect(try connection.unreadOutput() == "")
    }

    @Test func tricklingBodyGets408AfterTimeout() throws {
        // A byte every 2 s never stalls for Timeout, but is far below 500 bytes a second:
        // the body must have come by Timeout (+ 1 s per 500 bytes).
        let connection = try ConnectionHarness("Timeout 10\n")
        try connection.send("GET /small.txt HTTP/1.1\r\n\(host)Content-Length: 100\r\n\r\n")
        for _ in 0..<4 {
            connection.advance(seconds: 2)
            try connection.send("x")
        }
        connection.advance(seconds: 1)
        #expect(connection.isOpen)
        connection.advance(seconds: 2)
        #expect(!connection.isOpen)
        #expect(try connection.readResponse().statusLine == "HTTP/1.1 408 Request Timeout")
    }

    @Test func bodyAtTheMinimumRateMayTakeLongerThanTimeout() throws {
        // 600 bytes a second for 20 s: the deadline moves on with every 500 bytes.
        let connection = try ConnectionHarness("Timeout 10\n")
        try connection.send("GET /small.txt HTTP/1.1\r\n\(host)Content-Length: 12000\r\n\r\n")
        for _ in 0..<20 {
            connection.advance(seconds: 1)
            try connection.send(String(repeating: "x", count: 600))
        }
        #expect(try connection.readResponse().statusLine == "HTTP/1.1 200 OK")
        #expect(connection.isOpen)
    }

    @Test func stalledWriteClosesAfterTimeout() throws {
        let connection = try ConnectionHarness("Timeout 10\n")
        connection.stallSocket()
        try connection.send(get("/small.txt"))
        _ = try connection.readResponse()
        connection.advance(seconds: 9)
        #expect(connection.isOpen)
        connection.advance(seconds: 2)
        #expect(!connection.isOpen)
    }

    // MARK: Graceful shutdown

    /// A connection whose first request has not arrived yet is not dropped by a graceful
    /// stop: the request its client is sending gets its answer, and the connection closes.
    @Test func shutdownAnswersTheFirstRequestOfAFreshConnection() throws {
        let connection = try ConnectionHarness()
        connection.daemon.beginShutdown()
        connection.channel.pipeline.fireUserInboundEventTriggered(ShutdownRequested())
        connection.channel.embeddedEventLoop.run()
        #expect(connection.isOpen)
        #expect(try connection.hasNoOutput)

        try connection.send(get("/small.txt"))
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(response.header("Connection") == "close")
        connection.channel.embeddedEventLoop.run()
        #expect(!connection.isOpen)
    }

    /// One that never sends it is closed by the first-request timeout, as any other.
    @Test func shutdownClosesAFreshConnectionThatSendsNothingAtItsTimeout() throws {
        let connection = try ConnectionHarness()
        connection.daemon.beginShutdown()
        connection.channel.pipeline.fireUserInboundEventTriggered(ShutdownRequested())
        connection.channel.embeddedEventLoop.run()
        #expect(connection.isOpen)
        connection.advance(seconds: 3600)
        #expect(!connection.isOpen)
    }

    @Test func shutdownClosesAKeptAliveConnectionBetweenRequests() throws {
        let connection = try ConnectionHarness()
        try connection.send(get("/small.txt"))
        _ = try connection.readResponse()
        #expect(connection.isOpen)
        connection.daemon.beginShutdown()
        connection.channel.pipeline.fireUserInboundEventTriggered(ShutdownRequested())
        connection.channel.embeddedEventLoop.run()
        #expect(!connection.isOpen)
    }

    /// A stop, and then the client's end of input, while the last answer still drains:
    /// neither cuts it short.
    @Test func shutdownLetsTheLastAnswerDrain() throws {
        let connection = try ConnectionHarness()
        connection.gate.holding = true
        try connection.send(get("/small.txt"))
        _ = try connection.readResponse()
        connection.daemon.beginShutdown()
        connection.channel.pipeline.fireUserInboundEventTriggered(ShutdownRequested())
        connection.channel.embeddedEventLoop.run()
        #expect(connection.isOpen, "closed before the last answer drained")
        #expect(connection.gate.held.count == 1)
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        connection.channel.embeddedEventLoop.run()
        #expect(connection.isOpen)
        connection.gate.release()
        connection.channel.embeddedEventLoop.run()
        #expect(!connection.isOpen)
    }

    @Test func shutdownLetsTheResponseBeingWrittenFinish() throws {
        let connection = try ConnectionHarness()
        connection.stallSocket()
        try connection.send(get("/small.txt") + get("/index.html"))
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(response.body == smallFileBody)

        connection.daemon.beginShutdown()
        connection.channel.pipeline.fireUserInboundEventTriggered(ShutdownRequested())
        connection.channel.embeddedEventLoop.run()
        #expect(connection.isOpen)

        connection.gate.release()
        connection.channel.embeddedEventLoop.run()
        // The pipelined request is not started.
        #expect(try connection.hasNoOutput)
        #expect(!connection.isOpen)
    }

    @Test func shutdownWhileReadingABodyAnswersWithConnectionClose() throws {
        let connection = try ConnectionHarness()
        try connection.send("GET /small.txt HTTP/1.1\r\n\(host)Content-Length: 5\r\n\r\nhe")
        connection.daemon.beginShutdown()
        connection.channel.pipeline.fireUserInboundEventTriggered(ShutdownRequested())
        connection.channel.embeddedEventLoop.run()
        #expect(connection.isOpen)
        #expect(try connection.hasNoOutput)

        try connection.send("llo")
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(response.body == smallFileBody)
        // The server closes after this answer, so it says so.
        #expect(response.header("Connection") == "close")
        #expect(response.header("Keep-Alive") == nil)
        #expect(!connection.isOpen)
    }

    @Test func requestAfterShutdownBeganIsAnsweredWithConnectionClose() throws {
        let connection = try ConnectionHarness()
        connection.daemon.beginShutdown()
        try connection.send(get("/small.txt"))
        let response = try connection.readResponse()
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(response.header("Connection") == "close")
        #expect(!connection.isOpen)
    }

    // MARK: Logging

    @Test func accessLogHasOneLinePerRequest() throws {
        let connection = try ConnectionHarness(#"CustomLog logs/access_log "%h %p \"%r\" %>s %b %k""# + "\n")
        try connection.send(get("/small.txt") + get("/missing") + "HEAD /small.txt HTTP/1.1\r\n\(host)Connection: close\r\n\r\n")
        _ = try connection.readResponse()
        _ = try connection.readResponse()
        _ = try connection.readResponse(bodyless: true)
        #expect(!connection.isOpen)
        connection.logFiles.flushAll()
        let log = try String(contentsOfFile: connection.root + "/logs/access_log", encoding: .utf8)
        #expect(log == """
            192.0.2.7 8080 "GET /small.txt HTTP/1.1" 200 13 0
            192.0.2.7 8080 "GET /missing HTTP/1.1" 404 \(notFoundPage.utf8.count) 1
            192.0.2.7 8080 "HEAD /small.txt HTTP/1.1" 200 - 2

            """)
    }

    @Test func badRequestsAreLoggedToTheErrorLog() throws {
        let connection = try ConnectionHarness("LogLevel info\n")
        try connection.send("BAD\r\n\r\n")
        _ = try connection.readResponse()
        let log = connection.errorLog()
        #expect(log.contains("[client 192.0.2.7:40000] IS00566: Bad request: invalid request line"))
    }
}
