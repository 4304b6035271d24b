import Testing
@testable import ISAPIHost

@Suite struct ResponseHeadParserTests {
    static func parse(_ status: String, _ block: String, defaultStatus: Int? = nil) -> Result<ResponseHeadParser.Parsed, ResponseHeadParser.Failure> {
        ResponseHeadParser.parse(status: Array(status.utf8), headerBlock: Array(block.utf8), defaultStatus: defaultStatus)
    }

    @Test(arguments: [
        ("200 OK", "Content-Type: text/plain\r\n\r\n", 200, "OK"),
        ("HTTP/1.1 404 Not Found", "Content-Type: text/html\r\n\r\n", 404, "Not Found"),
        ("", "Status: 503 Busy\r\nRetry-After: 5\r\n\r\n", 503, "Busy"),
        ("", "HTTP/1.0 201 Created\r\nX: y\r\n\r\n", 201, "Created"),
        ("", "401 Unauthorized\r\nWWW-Authenticate: Basic\r\n\r\n", 401, "Unauthorized"),
        ("302", "", 302, nil),
    ] as [(String, String, Int, String?)])
    func statuses(_ status: String, _ block: String, _ code: Int, _ reason: String?) throws {
        let parsed = try Self.parse(status, block).get()
        #expect(parsed.head.status == code)
        #expect(parsed.head.reason == reason)
    }

    @Test func headersKeepOrderAndBodyFollowsTheBlankLine() throws {
        let block = "Content-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nbody bytes"
        let parsed = try Self.parse("200 OK", block).get()
        #expect(parsed.head.headers.map(\.name) == ["Content-Type", "Set-Cookie", "Set-Cookie"])
        #expect(parsed.head.headers.map(\.value) == ["text/plain", "a=1", "b=2"])
        #expect(String(decoding: Array(block.utf8)[parsed.bodyStart...], as: UTF8.self) == "body bytes")
    }

    @Test func locationWithoutStatusIs302AndDwHttpStatusCodeIsHonoured() throws {
        #expect(try Self.parse("", "Location: http://x/\r\n\r\n").get().head.status == 302)
        #expect(try Self.parse("", "Content-Type: text/plain\r\n\r\n", defaultStatus: 404).get().head.status == 404)
        #expect(try Self.parse("", "", defaultStatus: nil).get().head.status == 200)
    }

    @Test func bareLFAndMissingFinalBlankLineAreTolerated() throws {
        let parsed = try Self.parse("200 OK", "A: 1\nB: 2").get()
        #expect(parsed.head.headers.count == 2)
        #expect(parsed.bodyStart == 9)
    }

    @Test(arguments: [
        ("", "Not a header line\r\n\r\n"),
        ("", "Bad Name: x\r\n\r\n"),
        ("", "X: a\rInjected: b\r\n\r\n"),
        ("", "X: a\u{0}b\r\n\r\n"),
        ("abc", ""),
        ("99 Too Small", ""),
        ("", "Status: nope\r\n\r\n"),
        // CR/LF in the status: "\r\n" is one Character in Swift, so a check on Characters
        // for "\r" or "\n" alone let it through, and it went out in the status line.
        ("200 OK\r\nX-Injected: a", ""),
        ("HTTP/1.1 200 OK\r\nX-Injected: a", ""),
        ("200 OK\nX-Injected: a", ""),
        ("200 OK\u{1B}[2J", ""),
    ])
    func malformed(_ status: String, _ block: String) {
        #expect(throws: ResponseHeadParser.Failure.self) { try Self.parse(status, block).get() }
    }

    @Test(arguments: [
        ("Content-Type: text/html\r\n\r\n<html>", true),
        ("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n", true),
        ("Hello", false),
        ("HTTP/1.0 200 OK", false),
        ("Hello world\r\n\r\n", false),
        ("Content-Type: text/html\r\n", false),
        ("X-Bad: a\rInjected: b\r\n\r\n", true),
        ("Name: x\r\nnot a header\r\n\r\n", true),
        ("\r\nbody", false),
        ("<html>\n<body>hi</body>\n</html>\n", false),
    ])
    func firstWriteClientDetection(_ data: String, _ isHead: Bool) {
        #expect(ResponseHeadParser.looksLikeHeaderBlock(Array(data.utf8)) == isHead)
    }
}
