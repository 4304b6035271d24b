import NIOHTTP1
import Testing

@testable import HTTPDaemon
import ServerConfig

/// `HttpProtocolOptions` in the decoder: bare LF, absolute-form hosts, HTTP/0.9,
/// registered methods; and malformed chunked bodies.
@Suite struct HTTPRequestStrictnessTests {
    private static func limits(
        _ conformance: HTTPProtocolOptions.Conformance = .strict, methods: HTTPProtocolOptions.Methods = .lenient,
        http09: HTTPProtocolOptions.HTTP09 = .allow
    ) -> HTTPRequestLimits {
        var limits = HTTPRequestLimits()
        limits.protocolOptions = HTTPProtocolOptions(conformance: conformance, methods: methods, http09: http09)
        return limits
    }

    static let next = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n"
    static let chunkedHead = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"

    // MARK: Bare LF

    /// Every place a line can end in a bare LF: 400 under Strict, accepted under Unsafe.
    static let bareLFCases: [String] = [
        "GET / HTTP/1.1\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\n",
        "GET / HTTP/1.1\r\nHost: a\r\nDummy: x\nContent-Length: 3\r\n\r\nabc",
        "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        chunkedHead + "3\nabc\r\n0\r\n\r\n",
        chunkedHead + "3\r\nabc\n0\r\n\r\n",
        chunkedHead + "3;x=y\nabc\r\n0\r\n\r\n",
        chunkedHead + "3\r\nabc\r\n0\n\r\n",
        chunkedHead + "3\r\nabc\r\n0\r\nX-T: y\n\r\n",
        chunkedHead + "3\r\nabc\r\n0\r\n\n",
    ]

    @Test(arguments: bareLFCases)
    func bareLFIs400WhenStrict(raw: String) {
        #expect(rejection(raw + Self.next) == 400, "\(raw.debugDescription)")
        let harness = DecoderHarness()
        var error: HTTPRequestError?
        for byte in raw.utf8 where error == nil {
            error = harness.write(String(decoding: [byte], as: UTF8.self))
        }
        #expect(error?.status == 400, "byte at a time: \(raw.debugDescription)")
    }

    @Test(arguments: bareLFCases)
    func bareLFIsAcceptedWhenUnsafe(raw: String) throws {
        let requests = try decode(raw + Self.next, limits: Self.limits(.unsafe))
        #expect(requests.map(\.head.uri) == ["/", "/next"])
        #expect(requests.allSatisfy { $0.ended })
    }

    /// The smuggling shape: behind a front end that splits on CRLF only, `Dummy: x\nContent-Length: 23`
    /// is one field; read with bare LF it is a Content-Length hiding a second request.
    @Test func smugglingShapeIsOneRejectedRequestWhenStrict() throws {
        let hidden = "GET /hidden HTTP/1.1\r\n\r\n"
        let raw = "GET / HTTP/1.1\r\nHost: a\r\nDummy: x\nContent-Length: \(hidden.utf8.count)\r\n\r\n" + hidden
        let harness = DecoderHarness()
        #expect(harness.write(raw)?.status == 400)
        #expect(try harness.readParts().isEmpty)
    }

    // MARK: Malformed chunked bodies

    static let malformedChunked: [String] = [
        "3\r\nfoo\r\n\r\n",  // an empty line where the next chunk-size belongs
        "5\r\nABCDE0\r\n",  // more data than the size said
        "2 erfrferferf\r\n",  // garbage after the size
        "2;\r\nab\r\n",  // an extension without a name
        "2;a=\"b\r\nab\r\n",  // an unbalanced quoted extension value
        "2;a=\"b\\\"\r\nab\r\n",  // a quote escaped away: still unbalanced
        "2;a=b c\r\nab\r\n",  // two words as a value
        "2;=b\r\nab\r\n",  // a value without a name
        "fffffffffffffffff\r\n",  // 17 significant hex digits: overflow
        "8000000000000000\r\n",  // over Int64.max
        " 2\r\nab\r\n",  // leading whitespace (Apache: 400)
        "\t2\r\nab\r\n",
        "0x2\r\nab\r\n",
        "+2\r\nab\r\n",
        "2\r\nabc\r\n",
        "2\r\nab\r\r\n",
    ]

    @Test(arguments: malformedChunked)
    func malformedChunkedBodyIs400(body: String) {
        #expect(rejection(Self.chunkedHead + body + "0\r\n\r\n" + Self.next) == 400, "\(body.debugDescription)")
        #expect(rejection(Self.chunkedHead + body + "0\r\n\r\n" + Self.next, limits: Self.limits(.unsafe)) == 400,
                "Unsafe: \(body.debugDescription)")
    }

    /// What Apache accepts around the size, and leading zeros in any number.
    @Test func chunkSizeWhitespaceAndLeadingZeros() throws {
        let body = "2 \r\nab\r\n1\t;x=y\r\nc\r\n000000000000000000001\r\nd\r\n00\r\n\r\n"
        let requests = try decode(Self.chunkedHead + body + Self.next)
        #expect(requests.map(\.body) == ["abcd", ""])
    }

    // MARK: Absolute-form targets

    static let validAbsoluteForm: [(target: String, host: String)] = [
        ("http://example.com/a", "example.com"),
        ("HTTP://Example.COM:8080/a?b", "example.com:8080"),
        ("https://example.com", "example.com"),
        ("http://example.com?q", "example.com"),
        ("http://example.com:/a", "example.com"),
        ("http://example.com./a", "example.com"),
        ("http://local_host/a", "local_host"),
        ("http://-a/a", "-a"),
        ("http://127.0.0.1:80/a", "127.0.0.1:80"),
        ("http://256.1.1.1/a", "256.1.1.1"),
        ("http://[::1]/a", "[::1]"),
        ("http://[::1]:8080/a", "[::1]:8080"),
        ("http://[2001:DB8::1]/a", "[2001:db8::1]"),
        ("http://[1:2:3:4:5:6:7:8]/a", "[1:2:3:4:5:6:7:8]"),
        ("http://[::ffff:192.0.2.1]/a", "[::ffff:192.0.2.1]"),
        ("http://[1::]/a", "[1::]"),
        ("http://[v1.x:y]/a", "[v1.x:y]"),
        ("http://xn--bcher-kva.example/a", "xn--bcher-kva.example"),
    ]

    @Test(arguments: validAbsoluteForm)
    func validAbsoluteFormReplacesHost(target: String, host: String) throws {
        let requests = try decode("GET \(target) HTTP/1.1\r\nHost: other.example\r\n\r\n")
        try #require(requests.count == 1)
        #expect(requests[0].head.uri == target)
        #expect(requests[0].head.headers["Host"] == [host])
    }

    @Test func absoluteFormAddsHostToAnHTTP10RequestWithoutOne() throws {
        let requests = try decode("GET http://example.com:81/a HTTP/1.0\r\nX: y\r\n\r\n")
        #expect(headers(requests[0].head) == ["X=y", "Host=example.com:81"])
        // HTTP/1.1 still needs a Host field, as in Apache.
        #expect(rejection("GET http://example.com/a HTTP/1.1\r\n\r\n") == 400)
    }

    static let malformedAbsoluteForm: [String] = [
        "http://localhost::80/a", "http://[4712::abcd::]/a", "http://foo@host/a", "http://user:pw@host/a", "http://",
        "http:///a", "http://:80/a", "http://host:8a/a", "http://host:65536/a", "http://host:99999999999999999999/a",
        "http://[::1/a", "http://::1/a", "http://[::g]/a", "http://[1:2:3:4:5:6:7:8:9]/a", "http://[1:2:3]/a",
        "http://[12345::]/a", "http://[:1]/a", "http://[1:]/a", "http://[::1%25eth0]/a", "http://[::1]x/a",
        "http://[]/a", "http://[v.x]/a", "http://local..host/a", "http://.host/a", "http://a%41/a", "http://a!b/a",
        "http://a\\b/a", "http://123/a", "http://1.2.3/a", "http://01.2.3.4/a", "http://a.1b/a", "ftp://host/a",
        "https://host::1/a",
    ]

    @Test(arguments: malformedAbsoluteForm)
    func malformedAbsoluteFormIs400WhenStrict(target: String) throws {
        #expect(rejection("GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n") == 400, "\(target)")
        // Unsafe: served as today (the pipeline maps what it can), Host left alone.
        let requests = try decode("GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n", limits: Self.limits(.unsafe))
        #expect(requests.map { $0.head.headers["Host"] } == [["a"]])
    }

    @Test func otherTargetFormsAreLeftAlone() throws {
        let requests = try decode(
            "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\nCONNECT a.example:443 HTTP/1.1\r\nHost: a\r\n\r\n"
                + "GET http:/x HTTP/1.1\r\nHost: a\r\n\r\nGET /http://x/ HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(requests.map(\.head.uri) == ["*", "a.example:443", "http:/x", "/http://x/"])
        #expect(requests.allSatisfy { $0.head.headers["Host"] == ["a"] })
    }

    // MARK: HTTP/0.9

    @Test func http09IsReadWhenAllowed() throws {
        let requests = try decode("GET /a.txt\r\n" + Self.next)
        #expect(requests.map(\.head.uri) == ["/a.txt", "/next"])
        // Handed on as 0.9: the connection answers it with the body alone.
        #expect(requests[0].head.version == HTTPVersion(major: 0, minor: 9) && requests[0].head.method == .GET)
        #expect(requests[0].head.headers.isEmpty && !requests[0].head.isKeepAlive && requests[0].ended)
        // Only GET, as in Apache.
        #expect(rejection("POST /a.txt\r\n") == 400)
        #expect(rejection("HEAD /a.txt\r\n") == 400)
    }

    @Test func http09Is400WhenRequired10() {
        let limits = Self.limits(http09: .require10)
        #expect(rejection("GET /a.txt\r\n", limits: limits) == 400)
        #expect(rejection("GET /a.txt\r\n\r\n", limits: limits) == 400)
        #expect(rejection("GET /a.txt HTTP/1.0\r\n\r\n", limits: limits) == nil)
    }

    // MARK: Methods

    @Test func unregisteredMethodsAre501WhenRegisteredMethods() throws {
        let limits = Self.limits(methods: .registered)
        let registered = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH", "PROPFIND", "MKCOL",
                          "VERSION-CONTROL", "BASELINE-CONTROL", "MERGE", "LOCK", "UNLOCK", "REPORT"]
        let raw = registered.map { "\($0) / HTTP/1.1\r\nHost: a\r\n\r\n" }.joined()
        #expect(try decode(raw, limits: limits).map(\.head.method.rawValue) == registered)
        for method in ["FOO", "get", "SEARCH", "PURGE", "M-SEARCH", "BREW"] {
            #expect(rejection("\(method) / HTTP/1.1\r\nHost: a\r\n\r\n", limits: limits) == 501, "\(method)")
        }
        #expect(try decode("FOO / HTTP/1.1\r\nHost: a\r\n\r\n").map(\.head.method) == [.RAW(value: "FOO")])
    }
}
