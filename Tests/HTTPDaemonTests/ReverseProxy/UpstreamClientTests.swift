import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Testing

@testable import HTTPDaemon

/// The reverse proxy's upstream side on the event loop, against scripted upstreams on
/// loopback: keep-alive reuse, ProxyTimeout, connect failures, mod_proxy's strictness
/// (obs-fold), https upstreams with a test CA, and reads driven by the receiver's demand.
@Suite(.serialized) struct UpstreamClientTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    var loop: any EventLoop { group.next() }

    private func client(_ change: (inout UpstreamSettings) -> Void = { _ in }) throws -> UpstreamClient {
        var settings = UpstreamSettings()
        change(&settings)
        return try UpstreamClient(settings: settings)
    }

    private func endpoint(_ upstream: ScriptedUpstream, scheme: UpstreamEndpoint.Scheme = .http,
                          host: String = "127.0.0.1") -> UpstreamEndpoint {
        UpstreamEndpoint(scheme: scheme, host: host, port: upstream.port)
    }

    @Test func aKeepAliveConnectionServesTheNextRequestFromThePool() throws {
        let upstream = try ScriptedUpstream(.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"))
        defer { upstream.stop() }
        let pool = try client().pool(for: loop)
        for _ in 0..<3 {
            let receiver = RecordingReceiver(on: pool.eventLoop)
            let box = try pool.get("/", from: endpoint(upstream), to: receiver).wait()
            #expect(try receiver.done.futureResult.wait() == .ended)
            try pool.eventLoop.submit {
                #expect(receiver.head?.status == .ok)
                #expect(receiver.body == Array("hi".utf8))
                pool.release(box.connection!)
            }.wait()
        }
        #expect(upstream.connectionsAccepted == 1)
        #expect(upstream.requestHeadsRead == 3)
        #expect(try pool.eventLoop.submit { pool.idleCount(endpoint(upstream)) }.wait() == 1)
    }

    @Test func anUpstreamThatClosesIdleConnectionsIsNotReused() throws {
        let upstream = try ScriptedUpstream(
            .respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"))
        defer { upstream.stop() }
        let pool = try client().pool(for: loop)
        for _ in 0..<2 {
            let receiver = RecordingReceiver(on: pool.eventLoop)
            let box = try pool.get("/", from: endpoint(upstream), to: receiver).wait()
            #expect(try receiver.done.futureResult.wait() == .ended)
            try pool.eventLoop.submit { pool.release(box.connection!) }.wait()
        }
        #expect(upstream.connectionsAccepted == 2)
        #expect(try pool.eventLoop.submit { pool.idleCount(endpoint(upstream)) }.wait() == 0)
    }

    @Test func anIdleConnectionIsClosedAfterTheIdleTimeout() throws {
        let upstream = try ScriptedUpstream(.respond("HTTP/1.1 204 No Content\r\n\r\n"))
        defer { upstream.stop() }
        let pool = try client { $0.idleTimeout = 0.2 }.pool(for: loop)
        let receiver = RecordingReceiver(on: pool.eventLoop)
        let box = try pool.get("/", from: endpoint(upstream), to: receiver).wait()
        #expect(try receiver.done.futureResult.wait() == .ended)
        try pool.eventLoop.submit { pool.release(box.connection!) }.wait()
        #expect(try proxyEventually(timeout: 5) {
            try pool.eventLoop.submit { pool.idleCount(endpoint(upstream)) }.wait() == 0
        })
    }

    @Test func obsFoldInAResponseHeadIsABadGateway() throws {
        let upstream = try ScriptedUpstream(
            .respond("HTTP/1.1 200 OK\r\nX-Folded: one\r\n two\r\nContent-Length: 0\r\n\r\n"))
        defer { upstream.stop() }
        let pool = try client().pool(for: loop)
        let receiver = RecordingReceiver(on: pool.eventLoop)
        _ = try pool.get("/", from: endpoint(upstream), to: receiver).wait()
        guard case .failed(let failure) = try receiver.done.futureResult.wait() else {
            Issue.record("a folded header was accepted")
            return
        }
        #expect(failure.id == "IS02206")
        #expect(failure.status == 502)
        #expect(failure.message.contains("obs-fold"))
    }

    @Test func obsFoldAfterAnInterimResponseIsABadGatewayToo() throws {
        let upstream = try ScriptedUpstream(
            .respond("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX-Folded: one\r\n\ttwo\r\nContent-Length: 0\r\n\r\n"))
        defer { upstream.stop() }
        let pool = try client().pool(for: loop)
        let receiver = RecordingReceiver(on: pool.eventLoop)
        _ = try pool.get("/", from: endpoint(upstream), to: receiver).wait()
        #expect(try receiver.done.futureResult.wait() == .failed(
            .malformed("obs-fold (a header line that begins with whitespace)",
                       upstream: endpoint(upstream))))
    }

    @Test func aResponseHeadOver64KiBIsABadGateway() throws {
        let huge = String(repeating: "X-Filler: \(String(repeating: "a", count: 1000))\r\n", count: 70)
        let upstream = try ScriptedUpstream(.respond("HTTP/1.1 200 OK\r\n\(huge)Content-Length: 0\r\n\r\n"))
        defer { upstream.stop() }
        let pool = try client().pool(for: loop)
        let receiver = RecordingReceiver(on: pool.eventLoop)
        _ = try pool.get("/", from: endpoint(upstream), to: receiver).wait()
        guard case .failed(let failure) = try receiver.done.futureResult.wait() else {
            Issue.record("a 70 KiB head was accepted")
            return
        }
        #expect(failure.id == "IS02208")
        #expect(failure.status == 502)
    }

    @Test func anInterimResponseIsSkipped() throws {
        let upstream = try ScriptedUpstream(
            .respond("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"))
        defer { upstream.stop() }
        let pool = try client().pool(for: loop)
        let receiver = RecordingReceiver(on: pool.eventLoop)
        _ = try pool.get("/", from: endpoint(upstream), to: receiver).wait()
        #expect(try receiver.done.futureResult.wait() == .ended)
        #expect(try pool.eventLoop.submit { receiver.head?.status }.wait() == .ok)
    }

    @Test func aSilentUpstreamTimesOutAfterProxyTimeout() throws {
        let upstream = try ScriptedUpstream(.silent)
        defer { upstream.stop() }
        let pool = try client { $0.readTimeout = 0.3 }.pool(for: loop)
        let receiver = RecordingReceiver(on: pool.eventLoop)
        let started = Date()
        _ = try pool.get("/", from: endpoint(upstream), to: receiver).wait()
        let outcome = try receiver.done.futureResult.wait()
        #expect(Date().timeIntervalSince(started) >= 0.3)
        #expect(outcome == .failed(.readTimeout(0.3, upstream: endpoint(upstream))))
        if case .failed(let failure) = outcome {
            #expect(failure.status == 504)
            #expect(failure.description.hasPrefix("IS02204 no data from upstream http://127.0.0.1:"))
        }
    }

    @Test func aRefusedConnectIsABadGateway() throws {
        // A port that was just bound and closed again: nothing listens there.
        let closed = try ScriptedUpstream(.silent)
        let port = closed.port
        closed.stop()
        let pool = try client().pool(for: loop)
        let receiver = RecordingReceiver(on: pool.eventLoop)
        _ = try pool.get("/", from: UpstreamEndpoint(scheme: .http, host: "127.0.0.1", port: port), to: receiver)
            .wait()
        guard case .failed(let failure) = try receiver.done.futureResult.wait() else {
            Issue.record("connected to a closed port")
            return
        }
        #expect(failure.id == "IS02202")
        #expect(failure.status == 502)
    }

    @Test func aNameThatDoesNotResolveIsABadGateway() throws {
        let pool = try client().pool(for: loop)
        let receiver = RecordingReceiver(on: pool.eventLoop)
        _ = try pool.get("/", from: UpstreamEndpoint(scheme: .http, host: "no-such-host.invalid", port: 80),
                         to: receiver).wait()
        guard case .failed(let failure) = try receiver.done.futureResult.wait() else {
            Issue.record("an .invalid name resolved")
            return
        }
        #expect(failure.id == "IS02201")
        #expect(failure.message.hasPrefix("DNS lookup failure for no-such-host.invalid"))
    }

    @Test func aStaleReusedConnectionIsRetriedOnceOnAFreshOne() throws {
        let upstream = try ScriptedUpstream(.respondOnceThenClose("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
        defer { upstream.stop() }
        let pool = try client().pool(for: loop)
        for _ in 0..<2 {
            let receiver = RecordingReceiver(on: pool.eventLoop)
            try pool.eventLoop.submit {
                var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
                head.headers.add(name: "Host", value: endpoint(upstream).authority)
                pool.send(head, to: endpoint(upstream), hasBody: false, receiver: receiver) { connection in
                    receiver.lastConnection = connection
                }
            }.wait()
            #expect(try receiver.done.futureResult.wait() == .ended)
            #expect(try pool.eventLoop.submit { receiver.body }.wait() == Array("ok".utf8))
            // The last connection used is the one the response came on.
            try pool.eventLoop.submit { receiver.lastConnection.map(pool.release) }.wait()
        }
        // The second request went first on the idle connection, which the upstream closed.
        #expect(upstream.requestHeadsRead == 3)
        #expect(upstream.connectionsAccepted == 2)
    }

    @Test func aRequestWithABodyIsNotRetried() throws {
        let upstream = try ScriptedUpstream(.respondOnceThenClose("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
        defer { upstream.stop() }
        let pool = try client().pool(for: loop)
        var outcomes: [RecordingReceiver.Outcome] = []
        for _ in 0..<2 {
            let receiver = RecordingReceiver(on: pool.eventLoop)
            try pool.eventLoop.submit {
                var head = HTTPRequestHead(version: .http1_1, method: .PUT, uri: "/")
                head.headers.add(name: "Host", value: endpoint(upstream).authority)
                head.headers.add(name: "Content-Length", value: "0")
                pool.send(head, to: endpoint(upstream), hasBody: true, receiver: receiver) {
                    receiver.lastConnection = $0
                }
            }.wait()
            outcomes.append(try receiver.done.futureResult.wait())
            try pool.eventLoop.submit { receiver.lastConnection.map(pool.release) }.wait()
        }
        #expect(outcomes.first == .ended)
        guard case .failed(let failure) = outcomes.last else {
            Issue.record("a request with a body was sent twice")
            return
        }
        #expect(failure.id == "IS02205")
        #expect(upstream.connectionsAccepted == 1)
    }
}
