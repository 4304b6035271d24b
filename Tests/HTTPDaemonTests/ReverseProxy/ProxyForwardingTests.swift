import Foundation
import Testing

@testable import HTTPDaemon

/// The reverse proxy on the event loop against a scripted upstream on 127.0.0.1: what goes
/// upstream, what comes back to the client, and what the access log says.
@Suite struct ProxyForwardingTests {
    @Test func getIsForwardedWithPathQueryAndHeaderRules() throws {
        let upstream = TestUpstream { peer, _ in
            peer.serve { _ in
                httpResponse(
                    "200 OK", "hello",
                    headers: [
                        "Connection: keep-alive, X-Hop", "X-Hop: 1", "Keep-Alive: timeout=5", "X-App: yes",
                        "Server: upstream/1.0", "Date: Mon, 01 Jan 2024 00:00:00 GMT",
                    ])
            }
        }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness()
        let response = try harness.forward(
            upstream.url + "/app/x?a=1&b=%2F",
            headers: [
                ("Connection", "keep-alive, X-Private"), ("X-Private", "secret"), ("Keep-Alive", "300"),
                ("TE", "trailers"),
                ("Upgrade", "websocket"), ("Proxy-Authorization", "Basic eDp5"), ("Proxy-Connection", "keep-alive"),
                ("Trailer", "X-T"), ("X-Forwarded-For", "10.0.0.1"), ("Accept", "text/html"), ("Cookie", "a=b"),
            ])
        #expect(response.status == 200)
        #expect(response.text == "hello")
        #expect(response.header("X-App") == "yes")
        #expect(response.header("Content-Length") == "5")
        #expect(response.header("X-Hop") == nil)
        // The connection's own Keep-Alive, not the upstream's.
        #expect(response.headers.filter { $0.name.lowercased() == "keep-alive" }.map(\.value) == ["timeout=5, max=100"])
        #expect(response.header("Server") != "upstream/1.0")
        #expect(response.header("Date") != "Mon, 01 Jan 2024 00:00:00 GMT")
        #expect(!response.closes)

        let request = try #require(upstream.requests.first)
        #expect(request.method == "GET")
        #expect(request.target == "/app/x?a=1&b=%2F")
        #expect(request.version == "HTTP/1.1")
        #expect(request.headers.values("Host") == ["127.0.0.1:\(upstream.port)"])
        #expect(request.headers["X-Forwarded-For"] == "10.0.0.1, 127.0.0.1")
        #expect(request.headers["X-Forwarded-Host"] == "www.example.test")
        #expect(request.headers["X-Forwarded-Server"] == "www.example.test")
        #expect(request.headers["Accept"] == "text/html")
        #expect(request.headers["Cookie"] == "a=b")
        for name in [
            "Connection", "X-Private", "Keep-Alive", "TE", "Upgrade", "Proxy-Authorization",
            "Proxy-Connection", "Trailer", "Content-Length", "Transfer-Encoding", "X-Test-Target",
        ] {
            #expect(request.headers[name] == nil, "\(name) must not be forwarded")
        }
        // Logged as today: status and body bytes.
        #expect(proxyEventually(timeout: 5) { harness.accessLog().last == "200 5 + \"GET /front HTTP/1.1\"" })
    }

    @Test func postBodyStreamsWithItsContentLength() throws {
        let upstream = TestUpstream { peer, _ in peer.serve { httpResponse("200 OK", "got \($0.body.count)") } }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness()
        let body = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let response = try harness.forward(
            upstream.url + "/upload", method: "POST",
            headers: [("Content-Type", "application/x-test")], body: body)
        #expect(response.text == "got 200000")
        let request = try #require(upstream.requests.first)
        #expect(request.method == "POST")
        #expect(request.headers["Content-Length"] == "200000")
        #expect(request.headers["Content-Type"] == "application/x-test")
        #expect(!request.wasChunked)
        #expect(request.body == body)
    }

    @Test func chunkedClientBodyGoesUpstreamChunked() throws {
        let upstream = TestUpstream { peer, _ in peer.serve { httpResponse("200 OK", "got \($0.body.count)") } }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness()
        let body = Array(String(repeating: "chunky ", count: 20_000).utf8)
        let client = try harness.connect()
        defer { client.close() }
        #expect(
            try client.exchange(upstream.url + "/c", method: "PUT", body: body, chunked: true).text
                == "got \(body.count)")
        #expect(try client.exchange(upstream.url + "/c", method: "PUT", body: [], chunked: true).text == "got 0")
        let requests = upstream.requests
        #expect(requests.count == 2)
        #expect(requests.allSatisfy { $0.wasChunked && $0.headers["Content-Length"] == nil })
        #expect(requests.first?.body == body)
        #expect(upstream.accepted == 1)
    }

    @Test func chunkedUpstreamResponseIsDecodedAndReframed() throws {
        let upstream = TestUpstream { peer, _ in
            peer.serve { _ in
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\nTrailer: X-Sum\r\n\r\n"
                    + "5;name=value\r\nhello\r\n7\r\n, world\r\n0\r\nX-Sum: 12\r\n\r\n"
            }
        }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness()
        let client = try harness.connect()
        defer { client.close() }
        let first = try client.exchange(upstream.url + "/chunked")
        #expect(first.status == 200)
        #expect(first.text == "hello, world")
        #expect(first.header("Content-Type") == "text/plain")
        #expect(first.header("Transfer-Encoding") == "chunked")
        #expect(first.header("Content-Length") == nil)
        #expect(first.header("Trailer") == nil)
        #expect(!first.closes)
        // Read to its last chunk, the upstream connection serves the next request.
        #expect(try client.exchange(upstream.url + "/again").text == "hello, world")
        #expect(upstream.accepted == 1)
    }

    @Test func bodyUntilCloseIsPassedOnAndTheConnectionNotKept() throws {
        let upstream = TestUpstream { peer, index in
            guard peer.readRequest() != nil else { return }
            if index == 0 {
                peer.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the upstream closes")
            } else {
                peer.write(httpResponse("200 OK", "fresh"))
            }
        }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness()
        let client = try harness.connect()
        defer { client.close() }
        let first = try client.exchange(upstream.url + "/stream")
        #expect(first.text == "until the upstream closes")
        #expect(first.header("Content-Length") == nil)
        #expect(!first.closes)
        #expect(try client.exchange(upstream.url + "/next").text == "fresh")
        #expect(upstream.accepted == 2)
    }

    @Test func headNoContentAndNotModifiedHaveNoBody() throws {
        let upstream = TestUpstream { peer, _ in
            peer.serve { request in
                switch request.target {
                case "/head": return "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: text/html\r\n\r\n"
                case "/304": return "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 99\r\n\r\n"
                case "/204": return "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
                default: return httpResponse("200 OK", "after")
                }
            }
        }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness()
        let client = try harness.connect()
        defer { client.close() }
        let head = try client.exchange(upstream.url + "/head", method: "HEAD")
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "1234")
        #expect(!head.closes)
        let notModified = try client.exchange(upstream.url + "/304")
        #expect(notModified.status == 304)
        #expect(notModified.header("ETag") == "\"x\"")
        let noContent = try client.exchange(upstream.url + "/204")
        #expect(noContent.status == 204)
        #expect(noContent.header("Content-Length") == nil)
        // None of them waited for a body: the same connections answer the next request.
        #expect(try client.exchange(upstream.url + "/get").text == "after")
        #expect(upstream.accepted == 1)
    }

    @Test func interimResponsesAreSkipped() throws {
        let upstream = TestUpstream { peer, _ in
            peer.serve { _ in
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                    + httpResponse("201 Created", "made", headers: ["Location: /things/1"])
            }
        }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness()
        let body = Array("name=thing".utf8)
        let client = try harness.connect()
        defer { client.close() }
        client.send(
            RawClient.head(
                upstream.url + "/things", method: "POST", headers: [("Expect", "100-continue")],
                contentLength: body.count))
        // The connection answers the client's Expect itself; the upstream never sees it.
        #expect(try client.readResponse().status == 100)
        client.send(body)
        let response = try client.readResponse()
        #expect(response.status == 201)
        #expect(response.reason == "Created")
        #expect(response.text == "made")
        #expect(response.header("Link") == nil)
        #expect(response.header("Location") == "/things/1")
        #expect(upstream.requests.first?.headers["Expect"] == nil)
        #expect(upstream.requests.first?.body == body)
    }

    @Test func tenMegabytesPassBothWaysIntact() throws {
        let upstream = TestUpstream { peer, _ in
            guard let request = peer.readRequest() else { return }
            peer.write(Array("HTTP/1.1 200 OK\r\nContent-Length: \(request.body.count)\r\n\r\n".utf8) + request.body)
        }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness("LimitRequestBody 0\n")
        var body = [UInt8](repeating: 0, count: 10 * 1024 * 1024)
        body.withUnsafeMutableBytes { bytes in
            bytes.withMemoryRebound(to: UInt64.self) { words in
                for index in words.indices { words[index] = UInt64(index) &* 0x9E37_79B9_7F4A_7C15 }
            }
        }
        let response = try harness.forward(upstream.url + "/big", method: "POST", body: body)
        #expect(response.status == 200)
        #expect(response.header("Content-Length") == String(body.count))
        #expect(sameBytes(upstream.requests.first?.body ?? [], body))
        #expect(sameBytes(response.body, body))
        #expect(!response.closes)
    }

    @Test func aClientThatLeavesEndsTheUpstreamConnection() throws {
        let upstreamClosed = ProxyFlag()
        let upstream = TestUpstream { peer, index in
            guard peer.readRequest() != nil else { return }
            if index == 0 {
                peer.write(httpResponse("200 OK", String(repeating: "x", count: 5_000_000)))
                if peer.waitForClose(seconds: 10) { upstreamClosed.set() }
            } else {
                peer.write(httpResponse("200 OK", "second"))
            }
        }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness()
        let client = try harness.connect()
        client.send(RawClient.head(upstream.url + "/long"))
        _ = try client.readHead()
        client.close()
        #expect(upstreamClosed.wait(seconds: 10))
        #expect(try harness.forward(upstream.url + "/short").text == "second")
        #expect(upstream.accepted == 2)
        // The first exchange is logged as aborted.
        #expect(
            proxyEventually(timeout: 5) { harness.accessLog().contains { $0.hasPrefix("200 ") && $0.contains(" X ") } })
    }

    @Test func aProxyFailureGetsItsErrorDocument() throws {
        let harness = try ProxyServerHarness("ErrorDocument 502 \"the backend is away\"\n")
        let response = try harness.forward("http://127.0.0.1:\(TestUpstream.refusedPort())/x")
        #expect(response.status == 502)
        #expect(response.text == "the backend is away")
    }

    @Test func anHTTP10ClientGetsABodyWithoutLengthUntilTheClose() throws {
        let upstream = TestUpstream { peer, _ in
            peer.serve { _ in "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" }
        }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness()
        let client = try harness.connect()
        defer { client.close() }
        client.send("GET /front HTTP/1.0\r\nHost: www.example.test\r\nX-Test-Target: \(upstream.url)/x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.header("Transfer-Encoding") == nil)
        #expect(response.text == "hello")
    }
}

/// A one-way flag a script raises and a test waits for.
final class ProxyFlag: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func set() { semaphore.signal() }
    func wait(seconds: Double = 5) -> Bool { semaphore.wait(timeout: .now() + seconds) == .success }
}

/// Byte-for-byte equality without a per-element loop (10 MB in a debug build).
func sameBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    return a.withUnsafeBytes { x in
        b.withUnsafeBytes { y in
            guard let p = x.baseAddress, let q = y.baseAddress else { return true }
            return memcmp(p, q, x.count) == 0
        }
    }
}
