import Testing
@testable import RequestPipeline

/// The proxy's pure parts: target URLs, redirects, Location mapping, body framing, request heads.
@Suite struct ProxyURLTests {
    @Test func httpTargetsParse() throws {
        let url = try #require(UpstreamURL.parse("HTTP://Example.COM:8080/a b/ü?q=1&r=\"x\"#frag"))
        #expect(url.host == "example.com")
        #expect(url.port == 8080)
        #expect(url.target == "/a%20b/%C3%BC?q=1&r=%22x%22")
        #expect(url.authority == "example.com:8080")
        #expect(url.key == "http://example.com:8080")

        let v6 = try #require(UpstreamURL.parse("http://[::1]:81/x"))
        #expect(v6.host == "::1")
        #expect(v6.isIPv6Literal)
        #expect(v6.authority == "[::1]:81")
        #expect(UpstreamURL.parse("http://[::1]/")?.authority == "[::1]")

        #expect(UpstreamURL.parse("http://h")?.target == "/")
        #expect(UpstreamURL.parse("http://h?x=1")?.target == "/?x=1")
        #expect(UpstreamURL.parse("http://h:80/p")?.authority == "h")
        #expect(UpstreamURL.parse("http://h:80/p")?.key == "http://h:80")
        let secure = try #require(UpstreamURL.parse("HTTPS://h/x"))
        #expect(secure.isHTTPS)
        #expect(secure.port == 443)
        #expect(secure.authority == "h")
        #expect(UpstreamURL.parse("https://h:8443/")?.authority == "h:8443")
        #expect(UpstreamURL.parse("http://10.1.2.3:8000/%41")?.target == "/%41")
    }

    @Test func otherURLsDoNotParse() {
        for url in ["ftp://h/", "http://user@h/", "http://h:0/", "http://h:99999/", "http://h:8x/",
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
        #expect(base.resolve("http://third/z")?.key == "http://third:80")
        #expect(base.resolve("https://h:81/secure")?.key == "https://h:81")
        #expect(base.resolve("ftp://h/x") == nil)
        #expect(try #require(UpstreamURL.parse("https://s/a")).resolve("//t/b")?.key == "https://t:443")
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

    @Test func bodyFramingFollowsRFC9112() throws {
        func framing(_ fields: String, status: String = "200 OK", method: String = "GET") -> ResponseBodyFraming? {
            var headers = HeaderFields()
            for line in fields.split(separator: "\r\n") {
                let parts = line.split(separator: ":", maxSplits: 1)
                headers.add(String(parts[0]), String(parts[1].drop { $0 == " " }))
            }
            let code = Int(status.prefix(3))!
            return UpstreamResponseHead(versionMinor: 1, status: code, reason: nil, headers: headers)
                .bodyFraming(method: method)
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

    @Test func requestHeadDropsBodyFieldsWhenARedirectLeavesTheBodyBehind() throws {
        let url = try #require(UpstreamURL.parse("http://up:81/next"))
        let headers: HeaderFields = [
            "Host": "front.example:8080", "Content-Type": "text/plain", "Content-Length": "3", "Accept": "*/*",
            "X-Bad": "a\r\nInjected: 1",
        ]
        let fields = ProxyRequestHead.fields(
            url: url, headers: headers, clientAddress: "192.0.2.1", serverName: nil, body: .none, droppedBody: true)
        #expect(fields.map { "\($0.name): \($0.value)" } == [
            "Host: up:81", "Accept: */*", "X-Forwarded-For: 192.0.2.1", "X-Forwarded-Host: front.example:8080",
            "X-Forwarded-Server: front.example",
        ])
    }

    @Test func xForwardedServerIsTheServersOwnName() throws {
        let url = try #require(UpstreamURL.parse("http://up/"))
        let headers: HeaderFields = ["Host": "alias.example", "X-Forwarded-Server": "edge.example"]
        let fields = ProxyRequestHead.fields(
            url: url, headers: headers, clientAddress: "192.0.2.1", serverName: "www.example", body: .none,
            droppedBody: false)
        #expect(fields["X-Forwarded-Server"] == "edge.example, www.example")
        #expect(fields["X-Forwarded-Host"] == "alias.example")
    }
}
