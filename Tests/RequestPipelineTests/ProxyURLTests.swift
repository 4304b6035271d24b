import Testing
@testable import RequestPipeline

/// The proxy's pure parts: target URLs, redirects, Location mapping, heads and chunk sizes.
@Suite struct ProxyURLTests {
    @Test func httpTargetsParse() throws {
        let url = try #require(UpstreamURL.parse("HTTP://Example.COM:8080/a b/ü?q=1&r=\"x\"#frag"))
        #expect(url.host == "example.com")
        #expect(url.port == 8080)
        #expect(url.target == "/a%20b/%C3%BC?q=1&r=%22x%22")
        #expect(url.authority == "example.com:8080")
        #expect(url.key == "example.com:8080")

        let v6 = try #require(UpstreamURL.parse("http://[::1]:81/x"))
        #expect(v6.host == "::1")
        #expect(v6.isIPv6Literal)
        #expect(v6.authority == "[::1]:81")
        #expect(UpstreamURL.parse("http://[::1]/")?.authority == "[::1]")

        #expect(UpstreamURL.parse("http://h")?.target == "/")
        #expect(UpstreamURL.parse("http://h?x=1")?.target == "/?x=1")
        #expect(UpstreamURL.parse("http://h:80/p")?.authority == "h")
        #expect(UpstreamURL.parse("http://h:80/p")?.key == "h:80")
        #expect(UpstreamURL.parse("http://10.1.2.3:8000/%41")?.target == "/%41")
    }

    @Test func otherURLsDoNotParse() {
        for url in ["https://h/", "ftp://h/", "http://user@h/", "http://h:0/", "http://h:99999/", "http://h:8x/",
                    "http://[zz]/", "http://[::1/", "http:///x", "http://h h/", "/relative", "http:h/x", ""] {
            #expect(UpstreamURL.parse(url) == nil, "\(url)")
        }
    }

    @Test func redirectReferencesResolve() throws {
        let base = try #require(UpstreamURL.parse("http://h:81/a/b?x"))
        #expect(base.resolve("/c?d")?.target == "/c?d")
        #expect(base.resolve("c")?.target == "/a/c")
        #expect(base.resolve("?y")?.target == "/a/b?y")
        #expect(base.resolve("/c#frag")?.target == "/c")
        #expect(base.resolve("/c")?.authority == "h:81")
        #expect(base.resolve("//other:82/z")?.authority == "other:82")
        #expect(base.resolve("http://third/z")?.key == "third:80")
        #expect(base.resolve("https://h:81/secure") == nil)
    }

    @Test func locationsOfTheUpstreamMapToTheClientOrigin() throws {
        let url = try #require(UpstreamURL.parse("http://127.0.0.1:8080/app"))
        let origin = "http://www.example.test"
        #expect(url.clientFacing("http://127.0.0.1:8080/x?y=1", clientOrigin: origin)
            == "http://www.example.test/x?y=1")
        #expect(url.clientFacing("HTTP://127.0.0.1:8080", clientOrigin: origin) == "http://www.example.test/")
        #expect(url.clientFacing("http://127.0.0.1:8081/x", clientOrigin: origin) == "http://127.0.0.1:8081/x")
        #expect(url.clientFacing("https://127.0.0.1:8080/x", clientOrigin: origin) == "https://127.0.0.1:8080/x")
        #expect(url.clientFacing("/relative", clientOrigin: origin) == "/relative")
        let plain = try #require(UpstreamURL.parse("http://backend/"))
        #expect(plain.clientFacing("http://backend:80/p", clientOrigin: origin) == "http://www.example.test/p")
    }

    @Test func responseHeadsParse() throws {
        let text = "HTTP/1.1 200 Fine\r\nA: 1\r\nB:3  \r\n\r\n"
        let head = try #require(UpstreamResponseHead.parse(Array(text.utf8)))
        #expect(head.status == 200)
        #expect(head.reason == "Fine")
        #expect(head.headers["A"] == "1")
        #expect(head.headers["B"] == "3")
        let folded = Array("HTTP/1.1 200 Fine\r\nFolded: one\r\n  two\r\n\r\n".utf8)
        #expect(UpstreamResponseHead.parse(folded) == nil)
        #expect(UpstreamResponseHead.hasObsFold(folded))
        #expect(!UpstreamResponseHead.hasObsFold(Array(text.utf8)))
        #expect(UpstreamResponseHead.parse(Array("HTTP/1.0 404\n\n".utf8))?.status == 404)
        #expect(UpstreamResponseHead.parse(Array("HTTP/1.0 404\n\n".utf8))?.keepsConnection == false)
        for bad in ["HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
                    "HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "HTTP/1.1 200 OK\r\n folded first\r\n\r\n",
                    "ICY 200 OK\r\n\r\n"] {
            #expect(UpstreamResponseHead.parse(Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    @Test func bodyFramingFollowsRFC9112() throws {
        func framing(_ fields: String, status: String = "200 OK", method: String = "GET") -> ResponseBodyFraming? {
            UpstreamResponseHead.parse(Array("HTTP/1.1 \(status)\r\n\(fields)\r\n".utf8))?.bodyFraming(method: method)
        }
        #expect(framing("Content-Length: 12\r\n") == .length(12))
        #expect(framing("Content-Length: 12, 12\r\n") == .length(12))
        #expect(framing("Content-Length: 12\r\nContent-Length: 13\r\n") == nil)
        #expect(framing("Content-Length: -1\r\n") == nil)
        #expect(framing("Transfer-Encoding: gzip, chunked\r\nContent-Length: 5\r\n") == .chunked)
        #expect(framing("Transfer-Encoding: gzip\r\n") == .untilClose)
        #expect(framing("") == .untilClose)
        #expect(framing("Content-Length: 12\r\n", method: "HEAD") == ResponseBodyFraming.none)
        #expect(framing("Content-Length: 12\r\n", status: "304 Not Modified") == ResponseBodyFraming.none)
        #expect(framing("", status: "204 No Content") == ResponseBodyFraming.none)
    }

    @Test func chunkSizes() {
        #expect(ProxyResponseRelay.chunkSize(Array("1a".utf8)) == 26)
        #expect(ProxyResponseRelay.chunkSize(Array("FF;name=v".utf8)) == 255)
        #expect(ProxyResponseRelay.chunkSize(Array("0 ".utf8)) == 0)
        #expect(ProxyResponseRelay.chunkSize(Array("".utf8)) == nil)
        #expect(ProxyResponseRelay.chunkSize(Array("1 2".utf8)) == nil)
        #expect(ProxyResponseRelay.chunkSize(Array("-1".utf8)) == nil)
        #expect(ProxyResponseRelay.chunkSize(Array("1000000000000000".utf8)) == nil)
    }

    @Test func requestHeadDropsBodyFieldsWhenARedirectLeavesTheBodyBehind() throws {
        let url = try #require(UpstreamURL.parse("http://up:81/next"))
        let headers: HeaderFields = [
            "Host": "front.example:8080", "Content-Type": "text/plain", "Content-Length": "3", "Accept": "*/*",
            "X-Bad": "a\r\nInjected: 1",
        ]
        let text = String(decoding: ProxyRequestHead.make(
            method: "GET", url: url, headers: headers, clientAddress: "192.0.2.1", serverName: nil, body: .none,
            droppedBody: true), as: UTF8.self)
        #expect(text == "GET /next HTTP/1.1\r\nHost: up:81\r\nAccept: */*\r\nX-Forwarded-For: 192.0.2.1\r\n"
            + "X-Forwarded-Host: front.example:8080\r\nX-Forwarded-Server: front.example\r\n\r\n")
    }
}
