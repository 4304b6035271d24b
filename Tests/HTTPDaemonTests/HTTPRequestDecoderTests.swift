import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import HTTPDaemon

@Suite struct HTTPRequestDecoderTests {
    // MARK: Heads

    @Test func simpleGet() throws {
        let requests = try decode("GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n")
        try #require(requests.count == 1)
        let request = try #require(requests.first)
        #expect(request.head.method == .GET)
        #expect(request.head.uri == "/index.html?q=1")
        #expect(request.head.version == .http1_1)
        #expect(headers(request.head) == ["Host=example.com", "Accept=*/*"])
        #expect(request.head.isKeepAlive)
        #expect(request.body == "" && request.bodyParts == 0)
        #expect(request.ended)
    }

    @Test func headerValuesTrimmedAndNamesKeptAsSent() throws {
        let requests = try decode(
            "GET / HTTP/1.1\r\nhOsT:example.com  \r\nX-A: \t a  b \t \r\nX-Empty:\r\nX-Spaces:   \r\n\r\n")
        #expect(headers(requests[0].head) == ["hOsT=example.com", "X-A=a  b", "X-Empty=", "X-Spaces="])
    }

    @Test func methodsAreCaseSensitiveTokens() throws {
        let requests = try decode(
            "get / HTTP/1.1\r\nHost: a\r\n\r\nPOST / HTTP/1.1\r\nHost: a\r\n\r\nHEAD / HTTP/1.1\r\nHost: a\r\n\r\n"
                + "M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\nOPTIONS http://a/b HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(requests.map(\.head.method) == [.RAW(value: "get"), .POST, .HEAD, .RAW(value: "M-SEARCH"), .OPTIONS])
        #expect(requests.map(\.head.uri) == ["/", "/", "/", "*", "http://a/b"])
    }

    @Test func versions() throws {
        let requests = try decode(
            "GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.2\r\nHost: a\r\n\r\n"
                + "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        #expect(requests.map(\.head.version) == [.http1_0, .http1_0, .http1_1, .http1_1])
        #expect(requests.map(\.head.isKeepAlive) == [false, true, true, false])
    }

    /// HTTP/2.0 in HTTP/1 framing is served as HTTP/1.1, as Apache serves it.
    @Test func http20IsServedAsHTTP11() throws {
        let requests = try decode("GET / HTTP/2.0\r\nHost: a\r\n\r\nGET / HTTP/2.1\r\nHost: a\r\n\r\n")
        #expect(requests.map(\.head.version) == [.http1_1, .http1_1])
    }

    @Test func obsTextAndEmptyHostAreAccepted() throws {
        let requests = try decode("GET /caf\u{e9} HTTP/1.1\r\nHost:\r\nX-Name: na\u{ef}ve\r\n\r\n")
        #expect(requests[0].head.uri == "/caf\u{e9}")
        #expect(headers(requests[0].head) == ["Host=", "X-Name=na\u{ef}ve"])
    }

    @Test func hostForms() throws {
        let hosts = ["example.com", "example.com:8080", "[::1]:8080", "192.0.2.1", "xn--bcher-kva.example", "a_b.local."]
        let raw = hosts.map { "GET / HTTP/1.1\r\nHost: \($0)\r\n\r\n" }.joined()
        #expect(try decode(raw).map { $0.head.headers["Host"].first } == hosts)
    }

    @Test func bareLFLineEndingsAreAcceptedWhenUnsafe() throws {
        let requests = try decode(
            "GET / HTTP/1.1\nHost: a\r\nX: y\n\nPOST / HTTP/1.1\nHost: a\nContent-Length: 2\n\nok", limits: .unsafe)
        try #require(requests.count == 2)
        #expect(headers(requests[0].head) == ["Host=a", "X=y"])
        #expect(requests[1].body == "ok" && requests[1].ended)
    }

    @Test func leadingEmptyLinesAreSkipped() throws {
        let requests = try decode(
            "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n" + String(repeating: "\r\n", count: 10) + "GET /2 HTTP/1.0\r\n\r\n\r\n")
        #expect(requests.map(\.head.uri) == ["/", "/2"])
        #expect(rejection(String(repeating: "\r\n", count: 11) + "GET / HTTP/1.1\r\nHost: a\r\n\r\n") == 400)
    }

    // MARK: Pipelining and delivery

    static let pipelined =
        "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
        + "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world"
        + "PUT /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        + "GET /4 HTTP/1.0\r\nContent-Length: 0\r\n\r\n"

    private static func checkPipelined(_ requests: [DecodedRequest]) {
        #expect(requests.map(\.head.uri) == ["/1", "/2", "/3", "/4"])
        #expect(requests.map(\.body) == ["", "hello world", "hello", ""])
        #expect(requests.allSatisfy { $0.ended })
    }

    @Test func pipelinedRequestsInOneBuffer() throws {
        Self.checkPipelined(try decode(Self.pipelined))
    }

    @Test func byteAtATimeDelivery() throws {
        Self.checkPipelined(try decode(Self.pipelined.utf8.map { String(decoding: [$0], as: UTF8.self) }))
        let chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "3;ext=\"q;\\\"x\"\r\nabc\r\nA\r\n0123456789\r\n0\r\nT: v\r\n\r\n"
        let requests = try decode(chunked.utf8.map { String(decoding: [$0], as: UTF8.self) })
        try #require(requests.count == 1)
        #expect(requests[0].body == "abc0123456789" && requests[0].ended)
    }

    @Test func contentLengthBodyIsEmittedAsItArrives() throws {
        let harness = DecoderHarness()
        #expect(harness.write("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhel") == nil)
        var parts = try harness.readParts()
        try #require(parts.count == 2)
        guard case .head(let head) = parts[0] else {
            Issue.record("expected head")
            return
        }
        #expect(head.method == .POST && head.headers["Content-Length"] == ["11"])
        #expect(parts[1] == .body(ByteBuffer(string: "hel")))

        #expect(harness.write("lo") == nil)
        #expect(try harness.readParts() == [.body(ByteBuffer(string: "lo"))])
        #expect(harness.write("") == nil)
        #expect(try harness.readParts() == [])
        #expect(harness.write(" worldGET / HTTP/1.1\r\nHost: b\r\n\r\n") == nil)
        parts = try harness.readParts()
        try #require(parts.count == 4)
        #expect(parts[0] == .body(ByteBuffer(string: " world")))
        #expect(parts[1] == .end(nil))
        #expect(parts[3] == .end(nil))
        #expect(harness.finish() == nil)
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() throws {
        let raw = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip , \r\nTransfer-Encoding: , Chunked\r\n\r\n"
        #expect(rejection(raw) == 501)

        let requests = try decode([
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , CHUNKED \r\n\r\n",
            "5;a=b ; c = \"x;y\\\"z\" ;flag\r\nhel", "lo\r\n",
            "6\r\n world\r\n0000000000000000;last\r\nX-Trailer: t\r\nOther:y\r\n\r\n",
            "GET /next HTTP/1.1\r\nHost: a\r\n\r\n",
        ])
        try #require(requests.count == 2)
        #expect(requests[0].body == "hello world")
        #expect(requests[0].bodyParts == 3)
        #expect(requests[0].ended)
        #expect(headers(requests[0].head) == ["Host=a", "Transfer-Encoding=, CHUNKED"])
        #expect(requests[1].head.uri == "/next" && requests[1].ended)
    }

    @Test func chunkedBodyWithBareLFAndLargeChunkWhenUnsafe() throws {
        let data = String(repeating: "x", count: 0x1234)
        let requests = try decode(
            "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n1234\n\(data)\n0\n\n", limits: .unsafe)
        #expect(requests[0].body == data && requests[0].ended)
    }

    @Test func partsAreOnlyEmittedForRequestsBeforeTheError() throws {
        let harness = DecoderHarness()
        let error = harness.write("GET /ok HTTP/1.1\r\nHost: a\r\n\r\nGET /bad HTTP/1.1\r\nHost: a\r\nBad\r\n\r\n")
        #expect(error?.status == 400)
        let requests = group(try harness.readParts())
        #expect(requests.map(\.head.uri) == ["/ok"])
        #expect(requests[0].ended)
    }

    // MARK: End of input

    @Test func cleanEOFBetweenRequestsIsNotAnError() throws {
        let harness = DecoderHarness()
        #expect(harness.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n\r\n") == nil)
        #expect(harness.finish() == nil)
        #expect(DecoderHarness().finish() == nil)
    }

    /// Apache closes without an answer when not even a request line arrived.
    @Test(arguments: ["G", "GET / HTTP/1.1", "GET / HTTP/1.0\r\r", "\r\n"])
    func eofBeforeARequestLineIsAClose(raw: String) throws {
        let harness = DecoderHarness()
        #expect(harness.write(raw) == nil)
        #expect(harness.finish() == nil)
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Long",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhel",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n",
    ])
    func eofInsideARequestIs400(raw: String) throws {
        let harness = DecoderHarness()
        #expect(harness.write(raw) == nil)
        #expect(harness.finish()?.status == 400)
    }

    // MARK: Errors

    static let errorCases: [(String, Int)] = [
        // Request line.
        ("GET\r\n\r\n", 400),
        ("GET / \r\n\r\n", 400),
        ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400),
        (" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET /a\u{01}b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET /a\u{7F} HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET / HTTP/1\r\nHost: a\r\n\r\n", 400),
        ("GET / http/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET / HTTP/1.1x\r\nHost: a\r\n\r\n", 400),
        ("GET / HTTP/11.1\r\nHost: a\r\n\r\n", 400),
        // HTTP/0.9 written out is 400, as in Apache; HTTP/2.0 without Host is an HTTP/1.1
        // request without Host (later versions are served as HTTP/1.1).
        ("GET / HTTP/0.9\r\nHost: a\r\n\r\n", 400),
        ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400),
        ("GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505),
        ("GET / HTTP/9.9\r\nHost: a\r\n\r\n", 505),
        // Line endings.
        ("GET / HTTP/1.1\rHost: a\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n", 400),
        // Field lines.
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX(y): x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u{0}b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u{1B}b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u{7F}\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\r\n b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n\tHost: a\r\n\r\n", 400),
        // Host.
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", 400),
        ("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", 400),
        // Transfer-Encoding.
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, chunked\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: x;q=1\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;x=1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chun ked\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        // Content-Length.
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\nhello", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 5\r\n\r\nhello", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\nhello", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\nhello", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400),
        // Chunked framing.
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\ng\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 5\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"b\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\rX", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n folded\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer: x\r\n\r\n", 400),
    ]

    @Test(arguments: errorCases)
    func rejectsWithStatus(raw: String, status: Int) {
        #expect(rejection(raw) == status, "\(raw.debugDescription)")
    }

    @Test(arguments: errorCases)
    func rejectsWithStatusByteAtATime(raw: String, status: Int) {
        let harness = DecoderHarness()
        var error: HTTPRequestError?
        for byte in raw.utf8 where error == nil {
            error = harness.write(String(decoding: [byte], as: UTF8.self))
        }
        #expect(error?.status == status, "\(raw.debugDescription)")
    }

    // MARK: Limits

    @Test func requestLineLimit() throws {
        let line = "GET /" + String(repeating: "a", count: 100) + " HTTP/1.1"  // 114 bytes
        let raw = line + "\r\nHost: a\r\n\r\n"
        var limits = HTTPRequestLimits.unsafe  // bare LF lines count without their LF too
        limits.maxRequestLine = line.utf8.count
        #expect(try decode(raw, limits: limits).count == 1)
        #expect(try decode(line + "\nHost: a\n\n", limits: limits).count == 1)
        limits.maxRequestLine = line.utf8.count - 1
        #expect(rejection(raw, limits: limits) == 414)
        #expect(rejection(line + "\nHost: a\n\n", limits: limits) == 414)
    }

    @Test func requestLineLimitIsDetectedWithoutALineEnd() {
        var limits = HTTPRequestLimits()
        limits.maxRequestLine = 20
        let prefix = "GET /" + String(repeating: "a", count: 15)  // 20 bytes
        #expect(DecoderHarness(limits: limits).write(prefix) == nil)
        #expect(DecoderHarness(limits: limits).write(prefix + "\r") == nil)
        #expect(DecoderHarness(limits: limits).write(prefix + "b")?.status == 414)
        // A CR inside the line is no line end: the line goes on, and over the limit.
        #expect(DecoderHarness(limits: limits).write(prefix + "\rb")?.status == 414)
        #expect(DecoderHarness(limits: limits).write("GET /\rb HTTP/1.1\r\n")?.status == 400)
        let harness = DecoderHarness(limits: limits)
        var error: HTTPRequestError?
        var written = 0
        for byte in (prefix + String(repeating: "x", count: 1000)).utf8 where error == nil {
            error = harness.write(String(decoding: [byte], as: UTF8.self))
            written += 1
        }
        #expect(error?.status == 414)
        #expect(written == 21)
    }

    @Test func headerFieldSizeLimit() throws {
        let field = "X-Long: " + String(repeating: "v", count: 92)  // 100 bytes
        let raw = "GET / HTTP/1.1\r\nHost: a\r\n" + field + "\r\n\r\n"
        var limits = HTTPRequestLimits()
        limits.maxHeaderFieldSize = 100
        #expect(try decode(raw, limits: limits).count == 1)
        limits.maxHeaderFieldSize = 99
        #expect(rejection(raw, limits: limits) == 431)

        let head = "GET / HTTP/1.1\r\nHost: a\r\n"
        #expect(DecoderHarness(limits: limits).write(head + String(repeating: "v", count: 99) + "\r") == nil)
        #expect(DecoderHarness(limits: limits).write(head + String(repeating: "v", count: 100))?.status == 431)
    }

    @Test func headerFieldCountLimit() throws {
        var limits = HTTPRequestLimits()
        limits.maxHeaderFields = 5
        let fields = (1...4).map { "X-\($0): \($0)\r\n" }.joined()
        #expect(try decode("GET / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n", limits: limits).count == 1)
        #expect(rejection("GET / HTTP/1.1\r\nHost: a\r\n" + fields + "X-5: 5\r\n\r\n", limits: limits) == 431)
        // The default allows 100.
        let hundred = (1...99).map { "X-\($0): \($0)\r\n" }.joined()
        #expect(try decode("GET / HTTP/1.1\r\nHost: a\r\n" + hundred + "\r\n").count == 1)
        #expect(rejection("GET / HTTP/1.1\r\nHost: a\r\n" + hundred + "X: y\r\n\r\n") == 431)
    }

    @Test func trailerFieldLimits() throws {
        var limits = HTTPRequestLimits()
        limits.maxHeaderFields = 3
        limits.maxHeaderFieldSize = 40
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n"
        let three = "A: 1\r\nB: 2\r\nC: " + String(repeating: "c", count: 37) + "\r\n"
        #expect(try decode(head + three + "\r\n", limits: limits)[0].ended)
        #expect(rejection(head + three + "D: 4\r\n\r\n", limits: limits) == 431)
        #expect(rejection(head + "C: " + String(repeating: "c", count: 38) + "\r\n\r\n", limits: limits) == 431)
        #expect(rejection(head + String(repeating: "c", count: 41), limits: limits) == 431)
    }

    @Test func chunkLineLengthIsBounded() {
        var limits = HTTPRequestLimits()
        limits.maxHeaderFieldSize = 50
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(rejection(head + "5;" + String(repeating: "e", count: 100), limits: limits) == 400)
        #expect(DecoderHarness(limits: limits).write(head + "5;" + String(repeating: "e", count: 48)) == nil)
    }
}
