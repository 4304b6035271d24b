import Foundation
import NIOCore
import Testing

@testable import HTTPDaemon

/// The reverse proxy's upstream connections as the client sees them: reuse, the
/// stale-connection retry, redirects under `F`, Location mapping, the 502/504 answers and
/// their error-log ids.
@Suite struct ProxyConnectionTests {
    @Test func twoRequestsShareOneUpstreamConnection() throws {
        let upstream = TestUpstream { peer, _ in peer.serve { httpResponse("200 OK", "for \($0.target)") } }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness()
        #expect(try harness.forward(upstream.url + "/one").text == "for /one")
        #expect(try harness.forward(upstream.url + "/two").text == "for /two")
        #expect(upstream.accepted == 1)
        let loop = harness.group.next()
        let pool = harness.daemon.currentState.upstreams.pool(for: loop)
        let endpoint = UpstreamEndpoint(scheme: .http, host: "127.0.0.1", port: upstream.port)
        #expect(try loop.submit { pool.idleCount(endpoint) }.wait() == 1)
    }

    @Test func connectionCloseAndHTTP10AreNotReused() throws {
        let upstream = TestUpstream { peer, index in
            guard peer.readRequest() != nil else { return }
            switch index {
            case 0: peer.write(httpResponse("200 OK", "closing", headers: ["Connection: close"]))
            case 1: peer.write("HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nold!")
            default: peer.write(httpResponse("200 OK", "third"))
            }
            _ = peer.waitForClose()
        }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness()
        #expect(try harness.forward(upstream.url + "/1").text == "closing")
        #expect(try harness.forward(upstream.url + "/2").text == "old!")
        #expect(try harness.forward(upstream.url + "/3").text == "third")
        #expect(upstream.accepted == 3)
    }

    @Test func aStaleReusedConnectionIsRetriedOnAFreshOne() throws {
        let upstream = TestUpstream { peer, index in
            if index == 0 {
                guard peer.readRequest() != nil else { return }
                peer.write(httpResponse("200 OK", "first"))
                // Reads the next request, then closes without a word (its keep-alive ran out).
                _ = peer.readRequest()
            } else {
                peer.serve { _ in httpResponse("200 OK", "retried") }
            }
        }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness()
        #expect(try harness.forward(upstream.url + "/a").text == "first")
        let second = try harness.forward(upstream.url + "/b")
        #expect(second.status == 200)
        #expect(second.text == "retried")
        #expect(upstream.accepted == 2)
        #expect(upstream.requests.map(\.target) == ["/a", "/b", "/b"])
        #expect(harness.errorIDs().isEmpty)
    }

    @Test func anIdleConnectionTheUpstreamClosedIsNotUsed() throws {
        let closed = ProxyFlag()
        let upstream = TestUpstream { peer, index in
            guard peer.readRequest() != nil else { return }
            peer.write(httpResponse("200 OK", "from \(index)"))
            if index == 0 {
                peer.shutdown()
                closed.set()
            } else {
                _ = peer.waitForClose()
            }
        }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness()
        #expect(try harness.forward(upstream.url + "/a").text == "from 0")
        #expect(closed.wait())
        let loop = harness.group.next()
        let pool = harness.daemon.currentState.upstreams.pool(for: loop)
        let endpoint = UpstreamEndpoint(scheme: .http, host: "127.0.0.1", port: upstream.port)
        // The pool forgets the connection once the upstream's FIN arrives.
        #expect(try proxyEventually(timeout: 5) { try loop.submit { pool.idleCount(endpoint) }.wait() == 0 })
        #expect(try harness.forward(upstream.url + "/b").text == "from 1")
        #expect(upstream.requests.count == 2)
    }

    @Test func aStaleConnectionIsNotRetriedOnceBodyBytesWereSent() throws {
        let upstream = TestUpstream { peer, _ in
            guard peer.readRequest() != nil else { return }
            peer.write(httpResponse("200 OK", "first"))
            _ = peer.readRequest()
        }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness()
        #expect(try harness.forward(upstream.url + "/a").text == "first")
        let second = try harness.forward(upstream.url + "/b", method: "POST", body: Array("payload".utf8))
        #expect(second.status == 502)
        #expect(upstream.accepted == 1)
        #expect(proxyEventually(timeout: 5) { harness.errorIDs() == ["IS02205"] })
    }

    @Test func locationPointingAtTheUpstreamIsMappedToTheClientHost() throws {
        let upstream = TestUpstream { peer, _ in
            peer.serve { request in
                let origin = "http://" + (request.headers["Host"] ?? "")
                switch request.target {
                case "/login":
                    return httpResponse(
                        "302 Found", "",
                        headers: [
                            "Location: \(origin)/welcome?next=%2Fa", "Content-Location: \(origin)/login.html",
                        ])
                default:
                    return httpResponse("301 Moved Permanently", "", headers: ["Location: http://elsewhere.example/x"])
                }
            }
        }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness()
        let mapped = try harness.forward(upstream.url + "/login")
        #expect(mapped.status == 302)
        #expect(mapped.header("Location") == "http://www.example.test/welcome?next=%2Fa")
        #expect(mapped.header("Content-Location") == "http://www.example.test/login.html")
        let foreign = try harness.forward(upstream.url + "/other")
        #expect(foreign.status == 301)
        #expect(foreign.header("Location") == "http://elsewhere.example/x")
    }

    @Test func redirectsAreFollowedWithF() throws {
        let upstream = TestUpstream { peer, _ in
            peer.serve { request in
                let host = request.headers["Host"] ?? ""
                switch request.target {
                case "/a": return httpResponse("302 Found", "moved", headers: ["Location: /b?x=1"])
                case "/b?x=1": return httpResponse("301 Moved", "", headers: ["Location: http://\(host)/c"])
                case "/form": return httpResponse("303 See Other", "", headers: ["Location: /done"])
                case "/keep": return httpResponse("307 Temporary Redirect", "", headers: ["Location: /kept"])
                case "/loop": return httpResponse("302 Found", "", headers: ["Location: /loop"])
                default: return httpResponse("200 OK", "\(request.method) \(request.target) \(request.body.count)")
                }
            }
        }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness()
        let followed = try harness.forward(upstream.url + "/a", follows: true)
        #expect(followed.status == 200)
        #expect(followed.text == "GET /c 0")
        #expect(upstream.requests.map(\.target) == ["/a", "/b?x=1", "/c"])
        #expect(upstream.accepted == 1)

        // 303 after a POST: a GET without the body or its Content-* fields.
        let body = Array("a=1".utf8)
        let seeOther = try harness.forward(
            upstream.url + "/form", follows: true, method: "POST",
            headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body)
        #expect(seeOther.text == "GET /done 0")
        let done = try #require(upstream.requests.last)
        #expect(done.headers["Content-Type"] == nil)
        #expect(done.headers["Content-Length"] == nil)

        // 307 keeps the method: the body cannot be sent again, so the client gets the redirect.
        let kept = try harness.forward(upstream.url + "/keep", follows: true, method: "PUT", body: body)
        #expect(kept.status == 307)
        #expect(kept.header("Location") == "/kept")
        #expect(try harness.forward(upstream.url + "/keep", follows: true).text == "GET /kept 0")

        // Five hops at most: the sixth redirect goes to the client.
        let before = upstream.requests.count
        let loop = try harness.forward(upstream.url + "/loop", follows: true)
        #expect(loop.status == 302)
        #expect(upstream.requests.count - before == 6)
    }

    @Test func refusedConnectionIs502() throws {
        let harness = try ProxyServerHarness()
        let response = try harness.forward("http://127.0.0.1:\(TestUpstream.refusedPort())/x")
        #expect(response.status == 502)
        #expect(response.text.contains("Bad Gateway"))
        #expect(proxyEventually(timeout: 5) { harness.errorIDs() == ["IS02202"] })
        #expect(proxyEventually(timeout: 5) { harness.accessLog().last?.hasPrefix("502 ") == true })
    }

    @Test func garbageAndOversizedHeadsAre502() throws {
        let upstream = TestUpstream { peer, _ in
            peer.serve { request in
                switch request.target {
                case "/garbage": return "garbage\r\n\r\n"
                case "/huge": return "HTTP/1.1 200 OK\r\nX-Big: " + String(repeating: "a", count: 70_000) + "\r\n\r\n"
                case "/length": return "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"
                default: return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
                }
            }
        }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness()
        #expect(try harness.forward(upstream.url + "/garbage").status == 502)
        #expect(try harness.forward(upstream.url + "/huge").status == 502)
        #expect(try harness.forward(upstream.url + "/length").status == 502)
        // A broken body after the head went out: the client's connection ends.
        let client = try harness.connect()
        defer { client.close() }
        client.send(RawClient.head(upstream.url + "/chunk"))
        #expect(try client.readHead().starts(with: Array("HTTP/1.1 200".utf8)))
        #expect(client.isClosedByServer())
        #expect(proxyEventually(timeout: 5) { harness.errorIDs() == ["IS02206", "IS02208", "IS02206", "IS02209"] })
    }

    @Test func obsFoldInAResponseHeadIs502() throws {
        let upstream = TestUpstream { peer, _ in
            peer.serve { _ in "HTTP/1.1 200 OK\r\nX-Folded: one\r\n two\r\nContent-Length: 2\r\n\r\nhi" }
        }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness()
        #expect(try harness.forward(upstream.url + "/folded").status == 502)
        #expect(proxyEventually(timeout: 5) { harness.errorIDs() == ["IS02206"] })
        #expect(harness.errorLog().contains(": obs-fold (a header line that begins with whitespace)"))
    }

    @Test func bodyCutShortEndsTheClientConnection() throws {
        let upstream = TestUpstream { peer, _ in
            guard peer.readRequest() != nil else { return }
            peer.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..")
        }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness()
        let client = try harness.connect()
        defer { client.close() }
        client.send(RawClient.head(upstream.url + "/short"))
        #expect(try client.readHead().starts(with: Array("HTTP/1.1 200".utf8)))
        #expect(try client.read(10) == Array("only ten..".utf8))
        #expect(client.isClosedByServer())
        #expect(proxyEventually(timeout: 5) { harness.errorIDs() == ["IS02209"] })
        #expect(proxyEventually(timeout: 5) { harness.accessLog().last?.hasPrefix("200 10 X ") == true })
    }

    @Test func proxyTimeoutBoundsTheWaitForAnUpstream() throws {
        let upstream = TestUpstream { peer, _ in
            guard peer.readRequest() != nil else { return }
            _ = peer.waitForClose()
        }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness("ProxyTimeout 500ms\n")
        let started = Date()
        let response = try harness.forward(upstream.url + "/slow")
        #expect(response.status == 504)
        #expect(Date().timeIntervalSince(started) < 4)
        #expect(proxyEventually(timeout: 5) { harness.errorIDs() == ["IS02204"] })
    }

    @Test func targetsIsapidCannotForwardToAre502() throws {
        let harness = try ProxyServerHarness()
        for url in ["ftp://h/x", "http://user@h/x", "http://h:99999/", "not-a-url"] {
            #expect(try harness.forward(url).status == 502, "\(url)")
        }
        #expect(proxyEventually(timeout: 5) { harness.errorIDs() == Array(repeating: "IS02200", count: 4) })
        #expect(try harness.forward("http://no-such-host.invalid/x").status == 502)
        #expect(proxyEventually(timeout: 5) { harness.errorIDs().last == "IS02201" })
    }

    @Test func aMalformedClientBodyIs400AndClosesTheUpstreamConnection() throws {
        let upstreamClosed = ProxyFlag()
        let upstream = TestUpstream { peer, _ in
            if peer.waitForClose() { upstreamClosed.set() }
        }
        defer { upstream.stop() }
        let harness = try ProxyServerHarness()
        let client = try harness.connect()
        defer { client.close() }
        client.send(RawClient.head(upstream.url + "/upload", method: "POST", chunked: true) + "zz\r\nten bytes!\r\n")
        #expect(try client.readResponse().status == 400)
        #expect(upstreamClosed.wait())
    }
}
