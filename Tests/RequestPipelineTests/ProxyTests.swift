import Foundation
import Testing
@testable import RequestPipeline

/// The reverse proxy against a scripted upstream on 127.0.0.1: what goes upstream, what
/// comes back to the client.
@Suite struct ProxyTests {
    @Test func getIsForwardedWithPathQueryAndHeaderRules() throws {
        let upstream = TestUpstream { peer, _ in
            peer.serve { _ in
                httpResponse("200 OK", "hello", headers: [
                    "Connection: keep-alive, X-Hop", "X-Hop: 1", "Keep-Alive: timeout=5", "X-App: yes",
                    "Server: upstream/1.0", "Date: Mon, 01 Jan 2024 00:00:00 GMT",
                ])
            }
        }
        defer { upstream.stop() }
        let harness = try ProxyHarness()
        let channel = harness.forward(upstream.url + "/app/x?a=1&b=%2F", headers: [
            ("Connection", "keep-alive, X-Private"), ("X-Private", "secret"), ("Keep-Alive", "300"), ("TE", "trailers"),
            ("Upgrade", "websocket"), ("Proxy-Authorization", "Basic eDp5"), ("Proxy-Connection", "keep-alive"),
            ("Trailer", "X-T"), ("X-Forwarded-For", "10.0.0.1"), ("Accept", "text/html"), ("Cookie", "a=b"),
        ])
        #expect(channel.status == 200)
        #expect(channel.text == "hello")
        #expect(channel.headers["X-App"] == "yes")
        #expect(channel.headers["Content-Length"] == "5")
        for name in ["Connection", "X-Hop", "Keep-Alive", "Server", "Date"] { #expect(channel.headers[name] == nil) }
        #expect(channel.finishedClosing == false)

        let request = try #require(upstream.requests.first)
        #expect(request.method == "GET")
        #expect(request.target == "/app/x?a=1&b=%2F")
        #expect(request.version == "HTTP/1.1")
        #expect(request.headers.values("Host") == ["127.0.0.1:\(upstream.port)"])
        #expect(request.headers["X-Forwarded-For"] == "10.0.0.1, 192.0.2.7")
        #expect(request.headers["X-Forwarded-Host"] == "www.example.test")
        #expect(request.headers["X-Forwarded-Server"] == "www.example.test")
        #expect(request.headers["Accept"] == "text/html")
        #expect(request.headers["Cookie"] == "a=b")
        for name in ["Connection", "X-Private", "Keep-Alive", "TE", "Upgrade", "Proxy-Authorization",
                     "Proxy-Connection", "Trailer", "Content-Length", "Transfer-Encoding"] {
            #expect(request.headers[name] == nil, "\(name) must not be forwarded")
        }
    }

    @Test func postBodyStreamsWithItsContentLength() throws {
        let upstream = TestUpstream { peer, _ in peer.serve { httpResponse("200 OK", "got \($0.body.count)") } }
        defer { upstream.stop() }
        let harness = try ProxyHarness()
        let body = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let channel = harness.forward(upstream.url + "/upload", method: "POST",
                                      headers: [("Content-Type", "application/x-test")],
                                      contentLength: Int64(body.count), channel: FakeChannel(requestBody: body))
        #expect(channel.text == "got 200000")
        let request = try #require(upstream.requests.first)
        #expect(request.method == "POST")
        #expect(request.headers["Content-Length"] == "200000")
        #expect(request.headers["Content-Type"] == "application/x-test")
        #expect(!request.wasChunked)
        #expect(request.body == body)
        #expect(channel.largestBodyRead <= 64 * 1024)
    }

    @Test func chunkedClientBodyGoesUpstreamChunked() throws {
        let upstream = TestUpstream { peer, _ in peer.serve { httpResponse("200 OK", "got \($0.body.count)") } }
        defer { upstream.stop() }
        let harness = try ProxyHarness()
        let body = Array(String(repeating: "chunky ", count: 20_000).utf8)
        let channel = harness.forward(upstream.url + "/c", method: "PUT", chunked: true,
                                      channel: FakeChannel(requestBody: body, readPiece: 30_000))
        #expect(channel.text == "got \(body.count)")
        let empty = harness.forward(upstream.url + "/c", method: "PUT", chunked: true)
        #expect(empty.text == "got 0")
        let requests = upstream.requests
        #expect(requests.count == 2)
        #expect(requests.allSatisfy { $0.wasChunked && $0.headers["Content-Length"] == nil })
        #expect(requests.first?.body == body)
        #expect(upstream.accepted == 1)
    }

    @Test func chunkedUpstreamResponseIsDecoded() throws {
        let upstream = TestUpstream { peer, _ in
            peer.serve { _ in
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\nTrailer: X-Sum\r\n\r\n"
                    + "5;name=value\r\nhello\r\n7\r\n, world\r\n0\r\nX-Sum: 12\r\n\r\n"
            }
        }
        defer { upstream.stop() }
        let harness = try ProxyHarness()
        let first = harness.forward(upstream.url + "/chunked")
        #expect(first.status == 200)
        #expect(first.text == "hello, world")
        #expect(first.headers["Content-Type"] == "text/plain")
        #expect(first.headers["Transfer-Encoding"] == nil)
        #expect(first.headers["Content-Length"] == nil)
        #expect(first.headers["Trailer"] == nil)
        #expect(first.finishedClosing == false)
        // Read to its last chunk, the connection serves the next request.
        #expect(harness.forward(upstream.url + "/again").text == "hello, world")
        #expect(upstream.accepted == 1)
    }

    @Test func bodyUntilCloseIsPassedOnAndTheConnectionNotKept() throws {
        let upstream = TestUpstream { peer, index in
            guard let _ = peer.readRequest() else { return }
            if index == 0 {
                peer.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the upstream closes")
            } else {
                peer.write(httpResponse("200 OK", "fresh"))
            }
        }
        defer { upstream.stop() }
        let harness = try ProxyHarness()
        let first = harness.forward(upstream.url + "/stream")
        #expect(first.text == "until the upstream closes")
        #expect(first.headers["Content-Length"] == nil)
        #expect(first.finishedClosing == false)
        #expect(harness.forward(upstream.url + "/next").text == "fresh")
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
        let harness = try ProxyHarness()
        let head = harness.forward(upstream.url + "/head", method: "HEAD")
        #expect(head.status == 200)
        #expect(head.headers["Content-Length"] == "1234")
        #expect(head.body.isEmpty)
        #expect(head.finishedClosing == false)
        let notModified = harness.forward(upstream.url + "/304")
        #expect(notModified.status == 304)
        #expect(notModified.headers["ETag"] == "\"x\"")
        #expect(notModified.body.isEmpty)
        let noContent = harness.forward(upstream.url + "/204")
        #expect(noContent.status == 204)
        #expect(noContent.headers["Content-Length"] == nil)
        // None of them waited for a body: the same connection answers the next request.
        #expect(harness.forward(upstream.url + "/get").text == "after")
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
        let harness = try ProxyHarness()
        let body = Array("name=thing".utf8)
        let channel = harness.forward(upstream.url + "/things", method: "POST", headers: [("Expect", "100-continue")],
                                      contentLength: Int64(body.count), channel: FakeChannel(requestBody: body))
        #expect(channel.status == 201)
        #expect(channel.reason == "Created")
        #expect(channel.text == "made")
        #expect(channel.headers["Link"] == nil)
        #expect(channel.headers["Location"] == "/things/1")
        #expect(upstream.requests.first?.headers["Expect"] == nil)
        #expect(upstream.requests.first?.body == body)
    }

    @Test func tenMegabytesPassBothWaysIntact() throws {
        let upstream = TestUpstream { peer, _ in
            guard let request = peer.readRequest() else { return }
            peer.write(Array("HTTP/1.1 200 OK\r\nContent-Length: \(request.body.count)\r\n\r\n".utf8) + request.body)
        }
        defer { upstream.stop() }
        let harness = try ProxyHarness()
        var body = [UInt8](repeating: 0, count: 10 * 1024 * 1024)
        body.withUnsafeMutableBytes { bytes in
            bytes.withMemoryRebound(to: UInt64.self) { words in
                for index in words.indices { words[index] = UInt64(index) &* 0x9E37_79B9_7F4A_7C15 }
            }
        }
        let channel = harness.forward(upstream.url + "/big", method: "POST", contentLength: Int64(body.count),
                                      channel: FakeChannel(requestBody: body, readPiece: 100_000))
        #expect(channel.status == 200)
        #expect(channel.headers["Content-Length"] == String(body.count))
        #expect(sameBytes(upstream.requests.first?.body ?? [], body))
        #expect(sameBytes(channel.body, body))
        #expect(channel.largestBodyRead <= 64 * 1024)
        #expect(channel.finishedClosing == false)
    }

    @Test func aClientThatLeavesEndsTheUpstreamConnection() throws {
        let upstreamClosed = ProxyFlag()
        let upstream = TestUpstream { peer, index in
            guard let _ = peer.readRequest() else { return }
            if index == 0 {
                peer.write(httpResponse("200 OK", String(repeating: "x", count: 500_000)))
                if peer.waitForClose() { upstreamClosed.set() }
            } else {
                peer.write(httpResponse("200 OK", "second"))
            }
        }
        defer { upstream.stop() }
        let harness = try ProxyHarness()
        let channel = harness.forward(upstream.url + "/long", channel: FakeChannel(clientLeavesAfter: 1000))
        #expect(channel.finishedClosing == true)
        #expect(channel.body.count < 500_000)
        #expect(harness.forward(upstream.url + "/short").text == "second")
        #expect(upstream.accepted == 2)
        #expect(upstreamClosed.wait())
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
