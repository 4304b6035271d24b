import Foundation
import Testing

/// HTTP/1.1 over real sockets: static files, connection management, request limits, logs.
@Suite struct ServingTests {
    private static func get(_ path: String, _ extra: String = "") -> String {
        "GET \(path) HTTP/1.1\r\nHost: localhost\r\n\(extra)\r\n"
    }

    @Test func getRootServesIndexWithStandardHeaders() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard())
        let response = try daemon.get("/")
        #expect(response.version == "HTTP/1.1")
        #expect(response.status == 200)
        #expect(response.bodyText == TestConfig.indexBody)
        #expect(response.header("Content-Length") == String(TestConfig.indexBody.utf8.count))
        #expect(response.header("Server")?.hasPrefix("isapid") == true, "Server: \(response.header("Server") ?? "-")")
        let date = try #require(response.header("Date"))
        #expect(date.hasSuffix(" GMT"), "Date: \(date)")
        #expect(response.header("Content-Type")?.hasPrefix("text/html") == true)
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard())
        let client = try daemon.connect()
        for path in ["/a.txt", "/b.txt", "/c.txt"] {
            try client.send(Self.get(path))
            let responses = client.readResponses(1)
            try #require(responses.count == 1, "no answer to \(path) on the kept-alive connection")
            #expect(responses[0].status == 200)
            #expect(responses[0].bodyText == daemon.root.read("htdocs" + path))
            #expect(responses[0].header("Connection")?.lowercased() != "close")
        }
        #expect(!client.peerClosed)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard())
        let client = try daemon.connect()
        try client.send(Self.get("/a.txt") + Self.get("/b.txt") + Self.get("/c.txt"))
        let responses = client.readResponses(3)
        try #require(responses.count == 3, "received \(client.bufferText.debugDescription)")
        for (response, path) in zip(responses, ["/a.txt", "/b.txt", "/c.txt"]) {
            #expect(response.status == 200)
            #expect(response.bodyText == daemon.root.read("htdocs" + path), "answer for \(path)")
        }
        #expect(client.buffer.isEmpty)
    }

    /// TRACE echoes the request as Apache's core does (TraceEnable On, its default); with
    /// a body it is 413, and `TraceEnable extended` echoes the body too (streamed from
    /// the pool).
    @Test func traceEchoesTheRequest() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard())
        let client = try daemon.connect()
        try client.send("TRACE /a.txt HTTP/1.1\r\nHost: localhost\r\nX-Probe: 1\r\n\r\n"
            + "TRACE /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n\r\nbody")
        let responses = client.readResponses(2, methods: ["TRACE", "TRACE"])
        try #require(responses.count == 2, "received \(client.bufferText.debugDescription)")
        #expect(responses[0].status == 200)
        #expect(responses[0].header("Content-Type") == "message/http")
        #expect(responses[0].bodyText == "TRACE /a.txt HTTP/1.1\r\nHost: localhost\r\nX-Probe: 1\r\n\r\n")
        #expect(responses[1].status == 413)

        let extended = try DaemonProcess.start(TestConfig.standard("TraceEnable extended"))
        let echo = try extended.connect()
        try echo.send("TRACE /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n\r\nbody")
        let echoed = echo.readResponses(1, methods: ["TRACE"])
        try #require(echoed.count == 1, "received \(echo.bufferText.debugDescription)")
        #expect(echoed[0].status == 200)
        #expect(echoed[0].bodyText == "TRACE /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n\r\nbody")
    }

    @Test func headHasHeadersButNoBody() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard())
        let client = try daemon.connect()
        // HEAD then GET pipelined: a body after the HEAD answer would desynchronise the GET.
        try client.send("HEAD /b.txt HTTP/1.1\r\nHost: localhost\r\n\r\n" + Self.get("/a.txt", "Connection: close\r\n"))
        let responses = client.readResponses(2, methods: ["HEAD", "GET"])
        try #require(responses.count == 2, "received \(client.bufferText.debugDescription)")
        let body = daemon.root.read("htdocs/b.txt")
        #expect(responses[0].status == 200)
        #expect(responses[0].header("Content-Length") == String(body.utf8.count))
        #expect(responses[0].body.isEmpty)
        #expect(responses[1].status == 200)
        #expect(responses[1].bodyText == "alpha document\n")
        #expect(client.waitForClose(timeout: 2))
        #expect(client.buffer.isEmpty, "extra bytes: \(client.bufferText.debugDescription)")
    }

    @Test func connectionCloseClosesAfterTheResponse() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard())
        let client = try daemon.connect()
        try client.send(Self.get("/a.txt", "Connection: close\r\n"))
        let responses = client.readResponses(1)
        try #require(responses.count == 1)
        #expect(responses[0].status == 200)
        #expect(responses[0].header("Connection")?.lowercased() == "close")
        #expect(client.waitForClose(timeout: 2))
        #expect(client.buffer.isEmpty)
    }

    @Test func ifNoneMatchWithTheETagGives304() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard())
        let client = try daemon.connect()
        try client.send(Self.get("/a.txt"))
        let first = try #require(client.readResponses(1).first)
        #expect(first.status == 200)
        let etag = try #require(first.header("ETag"))
        try client.send(Self.get("/a.txt", "If-None-Match: \(etag)\r\n"))
        let second = try #require(client.readResponses(1).first)
        #expect(second.status == 304)
        #expect(second.body.isEmpty)
        #expect(second.header("ETag") == etag)
        // No body bytes were sent after the 304: the next answer parses cleanly.
        try client.send(Self.get("/c.txt"))
        let third = try #require(client.readResponses(1).first)
        #expect(third.status == 200)
        #expect(third.bodyText == "charlie\n")
    }

    @Test func rangeGivesPartialContent() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard())
        let response = try daemon.get("/digits.txt", headers: ["Range: bytes=0-4"])
        #expect(response.status == 206)
        #expect(response.bodyText == "01234")
        #expect(response.header("Content-Length") == "5")
        #expect(response.header("Content-Range") == "bytes 0-4/16")
    }

    @Test func directoryWithoutSlashRedirects() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard())
        let response = try daemon.get("/sub")
        #expect(response.status == 301)
        let location = try #require(response.header("Location"))
        #expect(location.hasSuffix("/sub/"), "Location: \(location)")
    }

    @Test func missingFileGives404() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard())
        let response = try daemon.get("/does-not-exist.html")
        #expect(response.status == 404)
        #expect(response.header("Content-Length") == String(response.body.count))
    }

    @Test func malformedRequestLineGives400AndClosesOnlyThatConnection() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard())
        let bystander = try daemon.connect()
        let bad = try daemon.connect()
        try bad.send("GARBAGE\r\n\r\n")
        let responses = bad.readResponses(1)
        try #require(responses.count == 1, "received \(bad.bufferText.debugDescription)")
        #expect(responses[0].status == 400)
        #expect(bad.waitForClose(timeout: 2))

        try bystander.send(Self.get("/a.txt"))
        let other = try #require(bystander.readResponses(1).first)
        #expect(other.status == 200)
        #expect(other.bodyText == "alpha document\n")
    }

    /// mod_logio's `%O`: every byte the client received, head included; `%b` the body.
    @Test func logIOCountsEveryByteSent() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard("CustomLog logs/io_log \"%r %b %O\""))
        let client = try daemon.connect()
        try client.send("GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        #expect(client.waitForClose(timeout: 5))
        let received = client.buffer.count
        #expect(eventually(timeout: 5) { daemon.root.read("logs/io_log").contains("\n") })
        #expect(daemon.root.read("logs/io_log") == "GET /a.txt HTTP/1.1 15 \(received)\n")
    }

    /// As Apache: a later version over HTTP/1 is answered as HTTP/1.1.
    @Test func http2RequestLineIsAnsweredAsHTTP11() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard())
        let response = try daemon.request("GET /a.txt HTTP/2.0\r\nHost: localhost\r\n\r\n")
        #expect(response.status == 200)
        #expect(response.version == "HTTP/1.1")
        #expect(response.bodyText == "alpha document\n")
    }

    @Test func overlongRequestTargetGives414() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard())
        let target = "/" + String(repeating: "a", count: 8999)
        let response = try daemon.request("GET \(target) HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(response.status == 414)
    }

    @Test func tooManyHeaderFieldsGive431() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard())
        // Host plus 100 more: 101 fields, one over the default LimitRequestFields 100.
        let fields = (1...100).map { "X-Field-\($0): value\($0)\r\n" }.joined()
        let response = try daemon.request("GET / HTTP/1.1\r\nHost: localhost\r\n\(fields)\r\n")
        #expect(response.status == 431)

        // Exactly 100 fields (Host, 98 more, Connection) are allowed.
        let ninetyEight = (1...98).map { "X-Field-\($0): value\($0)\r\n" }.joined()
        let allowed = try daemon.request("GET / HTTP/1.1\r\nHost: localhost\r\n\(ninetyEight)Connection: close\r\n\r\n")
        #expect(allowed.status == 200)
    }

    @Test func bodyOverLimitRequestBodyGives413() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard("LimitRequestBody 10"))
        let body = String(repeating: "x", count: 20)
        let response = try daemon.request(
            "POST /index.html HTTP/1.1\r\nHost: localhost\r\nContent-Length: 20\r\n\r\n\(body)", method: "POST")
        #expect(response.status == 413)
    }

    @Test func expectContinueGets100BeforeTheFinalResponse() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard("Redirect seeother /form /a.txt"))
        let client = try daemon.connect()
        try client.send("POST /form HTTP/1.1\r\nHost: localhost\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n")
        // The client waits for 100 Continue before it sends the body.
        let interim = client.readResponses(1, timeout: 3)
        try #require(interim.count == 1, "no 100 Continue; received \(client.bufferText.debugDescription)")
        #expect(interim[0].status == 100)
        #expect(interim[0].version == "HTTP/1.1")
        try client.send("hello=world")
        let final = try #require(client.readResponses(1, methods: ["POST"]).first)
        #expect(final.status == 303)
        #expect(final.header("Location")?.hasSuffix("/a.txt") == true)
        // The body was consumed: the connection is still in step.
        try client.send(Self.get("/c.txt"))
        let next = try #require(client.readResponses(1).first)
        #expect(next.status == 200)
        #expect(next.bodyText == "charlie\n")
    }

    @Test func chunkedBodyToAStaticFileDoesNotDesynchronise() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard())
        let client = try daemon.connect()
        let chunked = "POST /index.html HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        try client.send(chunked + Self.get("/a.txt"))
        let responses = client.readResponses(2, methods: ["POST", "GET"], timeout: 3)
        // POST is served as GET (as Apache): the chunked body is read and skipped, and the
        // next request is read in step.
        try #require(responses.count == 2, "received \(client.bufferText.debugDescription)")
        #expect(responses[0].status == 200)
        #expect(responses[0].bodyText == TestConfig.indexBody)
        #expect(responses[1].status == 200)
        #expect(responses[1].bodyText == "alpha document\n")
        // Nothing else: chunk data must never be answered as a request of its own.
        _ = client.waitForClose(timeout: 0.3)
        #expect(client.buffer.isEmpty, "extra bytes: \(client.bufferText.debugDescription)")
    }

    @Test func chunkedBodyIsReadAndTheConnectionStaysInStep() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard("Redirect seeother /form /a.txt"))
        let client = try daemon.connect()
        let chunked = "POST /form HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
        try client.send(chunked + Self.get("/c.txt", "Connection: close\r\n"))
        let responses = client.readResponses(2, methods: ["POST", "GET"], timeout: 3)
        try #require(responses.count == 2, "received \(client.bufferText.debugDescription)")
        #expect(responses[0].status == 303)
        #expect(responses[1].status == 200)
        #expect(responses[1].bodyText == "charlie\n")
        #expect(client.waitForClose(timeout: 2))
        #expect(client.buffer.isEmpty)
    }

    @Test func eachRequestWritesOneCombinedAccessLogLine() throws {
        let daemon = try DaemonProcess.start(TestConfig.standard())
        let client = try daemon.connect()
        try client.send(
            "GET /index.html HTTP/1.1\r\nHost: localhost\r\nReferer: http://referer.test/\r\nUser-Agent: e2e-agent/1.0\r\n\r\n"
                + Self.get("/missing.html")
                + "HEAD /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        let responses = client.readResponses(3, methods: ["GET", "GET", "HEAD"])
        try #require(responses.count == 3, "received \(client.bufferText.debugDescription)")
        #expect(client.waitForClose(timeout: 2))

        #expect(eventually(timeout: 2) { daemon.accessLogLines.count >= 3 }, "access log: \(daemon.accessLog)")
        usleep(200_000)  // a fourth line would be a duplicate
        let lines = daemon.accessLogLines
        #expect(lines.count == 3, "access log: \(daemon.accessLog)")

        let size = TestConfig.indexBody.utf8.count
        let index = try #require(lines.first { $0.contains("\"GET /index.html HTTP/1.1\"") })
        #expect(index.contains("\"GET /index.html HTTP/1.1\" 200 \(size) "), "line: \(index)")
        let combined = try Regex(
            #"^127\.0\.0\.1 - - \[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "GET /index\.html HTTP/1\.1" 200 "#
                + "\(size)" + #" "http://referer\.test/" "e2e-agent/1\.0"$"#)
        #expect(index.wholeMatch(of: combined) != nil, "not combined format: \(index)")

        #expect(lines.contains { $0.contains("\"GET /missing.html HTTP/1.1\" 404 ") && $0.hasSuffix("\"-\" \"-\"") },
                "access log: \(daemon.accessLog)")
        #expect(lines.contains { $0.contains("\"HEAD /a.txt HTTP/1.1\" 200 ") }, "access log: \(daemon.accessLog)")
    }
}
