import Foundation
import Testing
@testable import RequestPipeline

/// The reverse proxy's upstream connections: reuse, the stale-connection retry, redirects
/// and the 502/504 answers.
@Suite struct ProxyConnectionTests {
    @Test func twoRequestsShareOneUpstreamConnection() throws {
        let upstream = TestUpstream { peer, _ in peer.serve { httpResponse("200 OK", "for \($0.target)") } }
        defer { upstream.stop() }
        let harness = try ProxyHarness()
        #expect(harness.forward(upstream.url + "/one").text == "for /one")
        #expect(harness.forward(upstream.url + "/two").text == "for /two")
        #expect(upstream.accepted == 1)
        #expect(harness.proxy.pool.idleCount("127.0.0.1:\(upstream.port)") == 1)
    }

    @Test func connectionCloseAndHTTP10AreNotReused() throws {
        let upstream = TestUpstream { peer, index in
            guard let _ = peer.readRequest() else { return }
            switch index {
            case 0: peer.write(httpResponse("200 OK", "closing", headers: ["Connection: close"]))
            case 1: peer.write("HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nold!")
            default: peer.write(httpResponse("200 OK", "third"))
            }
            _ = peer.waitForClose()
        }
        defer { upstream.stop() }
        let harness = try ProxyHarness()
        #expect(harness.forward(upstream.url + "/1").text == "closing")
        #expect(harness.forward(upstream.url + "/2").text == "old!")
        #expect(harness.forward(upstream.url + "/3").text == "third")
        #expect(upstream.accepted == 3)
    }

    @Test func aStaleReusedConnectionIsRetriedOnAFreshOne() throws {
        let upstream = TestUpstream { peer, index in
            if index == 0 {
                guard let _ = peer.readRequest() else { return }
                peer.write(httpResponse("200 OK", "first"))
                // Reads the next request, then closes without a word (its keep-alive ran out).
                _ = peer.readRequest()
            } else {
                peer.serve { _ in httpResponse("200 OK", "retried") }
            }
        }
        defer { upstream.stop() }
        let harness = try ProxyHarness()
        #expect(harness.forward(upstream.url + "/a").text == "first")
        let second = harness.forward(upstream.url + "/b")
        #expect(second.status == 200)
        #expect(second.text == "retried")
        #expect(upstream.accepted == 2)
        #expect(upstream.requests.map(\.target) == ["/a", "/b", "/b"])
        #expect(harness.logs.ids.isEmpty)
    }

    @Test func anIdleConnectionTheUpstreamClosedIsNotUsed() throws {
        let closed = ProxyFlag()
        let upstream = TestUpstream { peer, index in
            guard let _ = peer.readRequest() else { return }
            peer.write(httpResponse("200 OK", "from \(index)"))
            if index == 0 {
                peer.shutdown()
                closed.set()
            } else {
                _ = peer.waitForClose()
            }
        }
        defer { upstream.stop() }
        let harness = try ProxyHarness()
        #expect(harness.forward(upstream.url + "/a").text == "from 0")
        #expect(closed.wait())
        Thread.sleep(forTimeInterval: 0.05)  // the FIN reaches the proxy's socket
        #expect(harness.forward(upstream.url + "/b").text == "from 1")
        #expect(upstream.requests.count == 2)
    }

    @Test func aStaleConnectionIsNotRetriedOnceBodyBytesWereSent() throws {
        let upstream = TestUpstream { peer, _ in
            guard let _ = peer.readRequest() else { return }
            peer.write(httpResponse("200 OK", "first"))
            _ = peer.readRequest()
        }
        defer { upstream.stop() }
        let harness = try ProxyHarness()
        #expect(harness.forward(upstream.url + "/a").text == "first")
        let body = Array("payload".utf8)
        let second = harness.forward(upstream.url + "/b", method: "POST", contentLength: Int64(body.count),
                                     channel: FakeChannel(requestBody: body))
        #expect(second.status == 502)
        #expect(upstream.accepted == 1)
        #expect(harness.logs.ids == ["IS03006"])
    }

    @Test func locationPointingAtTheUpstreamIsMappedToTheClientHost() throws {
        let upstream = TestUpstream { peer, _ in
            peer.serve { request in
                let origin = "http://" + (request.headers["Host"] ?? "")
                switch request.target {
                case "/login":
                    return httpResponse("302 Found", "", headers: [
                        "Location: \(origin)/welcome?next=%2Fa", "Content-Location: \(origin)/login.html",
                    ])
                default:
                    return httpResponse("301 Moved Permanently", "", headers: ["Location: http://elsewhere.example/x"])
                }
            }
        }
        defer { upstream.stop() }
        let harness = try ProxyHarness()
        let mapped = harness.forward(upstream.url + "/login")
        #expect(mapped.status == 302)
        #expect(mapped.headers["Location"] == "http://www.example.test/welcome?next=%2Fa")
        #expect(mapped.headers["Content-Location"] == "http://www.example.test/login.html")
        let foreign = harness.forward(upstream.url + "/other")
        #expect(foreign.status == 301)
        #expect(foreign.headers["Location"] == "http://elsewhere.example/x")
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
        let harness = try ProxyHarness()
        let followed = harness.forward(upstream.url + "/a", follows: true)
        #expect(followed.status == 200)
        #expect(followed.text == "GET /c 0")
        #expect(upstream.requests.map(\.target) == ["/a", "/b?x=1", "/c"])
        #expect(upstream.accepted == 1)

        // 303 after a POST: a GET without the body or its Content-* fields.
        let body = Array("a=1".utf8)
        let seeOther = harness.forward(upstream.url + "/form", follows: true, method: "POST",
                                       headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                       contentLength: Int64(body.count), channel: FakeChannel(requestBody: body))
        #expect(seeOther.text == "GET /done 0")
        let done = try #require(upstream.requests.last)
        #expect(done.headers["Content-Type"] == nil)
        #expect(done.headers["Content-Length"] == nil)

        // 307 keeps the method: the body cannot be sent again, so the client gets the redirect.
        let kept = harness.forward(upstream.url + "/keep", follows: true, method: "PUT",
                                   contentLength: Int64(body.count), channel: FakeChannel(requestBody: body))
        #expect(kept.status == 307)
        #expect(kept.headers["Location"] == "/kept")
        #expect(harness.forward(upstream.url + "/keep", follows: true).text == "GET /kept 0")

        // Five hops at most: the sixth redirect goes to the client.
        let before = upstream.requests.count
        let loop = harness.forward(upstream.url + "/loop", follows: true)
        #expect(loop.status == 302)
        #expect(upstream.requests.count - before == 6)
    }

    @Test func refusedConnectionIs502() throws {
        let harness = try ProxyHarness()
        let channel = harness.forward("http://127.0.0.1:\(TestUpstream.refusedPort())/x")
        #expect(channel.status == 502)
        #expect(channel.response?.isServerGenerated == true)
        #expect(harness.logs.ids == ["IS03003"])
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
        let harness = try ProxyHarness()
        #expect(harness.forward(upstream.url + "/garbage").status == 502)
        #expect(harness.forward(upstream.url + "/huge").status == 502)
        #expect(harness.forward(upstream.url + "/length").status == 502)
        let badChunk = harness.forward(upstream.url + "/chunk")
        #expect(badChunk.status == 200)
        #expect(badChunk.finishedClosing == true)
        #expect(harness.logs.ids == ["IS03007", "IS03008", "IS03007", "IS03010"])
    }

    @Test func obsFoldInAResponseHeadIs502() throws {
        let upstream = TestUpstream { peer, _ in
            peer.serve { _ in "HTTP/1.1 200 OK\r\nX-Folded: one\r\n two\r\nContent-Length: 2\r\n\r\nhi" }
        }
        defer { upstream.stop() }
        let harness = try ProxyHarness()
        let channel = harness.forward(upstream.url + "/folded")
        #expect(channel.status == 502)
        #expect(harness.logs.ids == ["IS03007"])
        #expect(harness.logs.messages.first?.hasSuffix(": obs-fold (a header line that begins with whitespace)") == true)
    }

    @Test func bodyCutShortEndsTheClientConnection() throws {
        let upstream = TestUpstream { peer, _ in
            guard let _ = peer.readRequest() else { return }
            peer.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..")
        }
        defer { upstream.stop() }
        let harness = try ProxyHarness()
        let channel = harness.forward(upstream.url + "/short")
        #expect(channel.status == 200)
        #expect(channel.text == "only ten..")
        #expect(channel.finishedClosing == true)
        #expect(harness.logs.ids == ["IS03010"])
    }

    @Test func silentUpstreamIs504() throws {
        let upstream = TestUpstream { peer, _ in
            guard let _ = peer.readRequest() else { return }
            _ = peer.waitForClose()
        }
        defer { upstream.stop() }
        let harness = try ProxyHarness(ioTimeout: 0.5)
        let started = Date()
        let channel = harness.forward(upstream.url + "/slow")
        #expect(channel.status == 504)
        #expect(Date().timeIntervalSince(started) < 4)
        #expect(harness.logs.ids == ["IS03005"])
    }

    @Test func proxyTimeoutBoundsTheWaitForAnUpstream() throws {
        let upstream = TestUpstream { peer, _ in
            guard let _ = peer.readRequest() else { return }
            _ = peer.waitForClose()
        }
        defer { upstream.stop() }
        // The proxy's own default would wait 60 s; the directive says half a second.
        let harness = try ProxyHarness(ioTimeout: 60, directives: "ProxyTimeout 500ms\n")
        let started = Date()
        let channel = harness.forward(upstream.url + "/slow")
        #expect(channel.status == 504)
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(harness.logs.ids == ["IS03005"])
    }

    @Test func targetsOtherThanHTTPAre502() throws {
        let harness = try ProxyHarness()
        for url in ["https://127.0.0.1/x", "ftp://h/x", "http://user@h/x", "http://h:99999/", "not a url"] {
            #expect(harness.forward(url).status == 502, "\(url)")
        }
        #expect(harness.logs.ids == Array(repeating: "IS03001", count: 5))
        #expect(harness.forward("http://no-such-host.invalid/x").status == 502)
        #expect(harness.logs.ids.last == "IS03002")
    }

    @Test func anUnreadableClientBodyIs400() throws {
        let upstream = TestUpstream { peer, _ in _ = peer.waitForClose() }
        defer { upstream.stop() }
        let harness = try ProxyHarness()
        let channel = harness.forward(upstream.url + "/upload", method: "POST", contentLength: 100,
                                      channel: FakeChannel(requestBody: Array("ten bytes!".utf8), bodyFails: true))
        #expect(channel.status == 400)
        #expect(harness.logs.ids == ["IS03009"])
    }
}
