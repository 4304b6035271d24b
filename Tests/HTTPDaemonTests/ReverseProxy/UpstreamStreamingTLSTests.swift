import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Testing

@testable import HTTPDaemon

/// https upstreams (trusted through `SSLProxyCACertificateFile`, refused otherwise) and a
/// large response read only as fast as the receiver wants it.
@Suite(.serialized) struct UpstreamStreamingTLSTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// A self-signed certificate for `localhost` and 127.0.0.1 (its own CA), made by openssl
    /// in `directory`.
    private func makeCertificate(in directory: URL) throws -> (key: String, certificate: String) {
        let key = directory.appendingPathComponent("upstream.key.pem").path
        let certificate = directory.appendingPathComponent("upstream.pem").path
        try OpenSSLTool.run([
            "req", "-x509", "-nodes", "-days", "2", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", key, "-out", certificate,
        ])
        return (key, certificate)
    }

    private func tlsUpstream(_ script: ScriptedUpstream.Script, in directory: URL) throws
        -> (ScriptedUpstream, caFile: String)
    {
        let files = try makeCertificate(in: directory)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(files.certificate).map { .certificate($0) },
            privateKey: .file(files.key))
        configuration.minimumTLSVersion = .tlsv12
        return (try ScriptedUpstream(script, tls: try NIOSSLContext(configuration: configuration)), files.certificate)
    }

    @Test func anHTTPSUpstreamTrustedThroughTheCAFileAnswers() throws {
        let directory = try OpenSSLTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (upstream, caFile) = try tlsUpstream(
            .respond("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), in: directory)
        defer { upstream.stop() }
        var settings = UpstreamSettings()
        settings.caCertificateFile = caFile
        let pool = try UpstreamClient(settings: settings).pool(for: group.next())
        for host in ["localhost", "127.0.0.1"] {
            let receiver = RecordingReceiver(on: pool.eventLoop)
            let endpoint = UpstreamEndpoint(scheme: .https, host: host, port: upstream.port)
            let box = try pool.get("/", from: endpoint, to: receiver).wait()
            #expect(try receiver.done.futureResult.wait() == .ended, "over https to \(host)")
            #expect(try pool.eventLoop.submit { receiver.body }.wait() == Array("hello".utf8))
            try pool.eventLoop.submit { box.connection.map(pool.release) }.wait()
        }
    }

    @Test func anHTTPSUpstreamWithAnUntrustedCertificateIsABadGateway() throws {
        let directory = try OpenSSLTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (upstream, _) = try tlsUpstream(
            .respond("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), in: directory)
        defer { upstream.stop() }
        let pool = try UpstreamClient(settings: UpstreamSettings()).pool(for: group.next())
        let receiver = RecordingReceiver(on: pool.eventLoop)
        let endpoint = UpstreamEndpoint(scheme: .https, host: "localhost", port: upstream.port)
        _ = try pool.get("/", from: endpoint, to: receiver).wait()
        guard case .failed(let failure) = try receiver.done.futureResult.wait() else {
            Issue.record("a self-signed upstream was trusted by the system roots")
            return
        }
        #expect(failure.id == "IS02207")
        #expect(failure.status == 502)
    }

    @Test func aLargeResponseIsReadOnlyAsTheReceiverWantsIt() throws {
        let total = 48 * 1024 * 1024
        let upstream = try ScriptedUpstream(.stream(total: total))
        defer { upstream.stop() }
        let pool = try UpstreamClient(settings: UpstreamSettings()).pool(for: group.next())
        let receiver = RecordingReceiver(on: pool.eventLoop)
        try pool.eventLoop.submit {
            receiver.keepsBody = false
            receiver.pausesAtFirstBody = true
        }.wait()
        let endpoint = UpstreamEndpoint(scheme: .http, host: "127.0.0.1", port: upstream.port)
        let box = try pool.get("/big", from: endpoint, to: receiver).wait()
        // The first bytes arrive long before the upstream could have sent everything...
        try receiver.firstBody.futureResult.wait()
        // ...and with nobody reading, the upstream's writes back up.
        #expect(proxyEventually(timeout: 20) { upstream.wasBlocked })
        // It stays held back: a negative, so a bounded grace period in which a proxy that
        // kept reading would have taken all of it (it does so in well under this).
        #expect(!proxyEventually(timeout: 1) { upstream.bytesStreamed == total })
        let received = try pool.eventLoop.submit { receiver.bodyCount }.wait()
        #expect(received > 0)
        #expect(received <= 4 * 1024 * 1024, "the proxy read \(received) bytes nobody wanted")
        #expect(upstream.bytesStreamed < total)
        // Demand again: the rest flows, in full.
        try pool.eventLoop.submit {
            receiver.pausesAtFirstBody = false
            receiver.wantsMoreBody = true
            box.connection?.demand()
        }.wait()
        #expect(try receiver.done.futureResult.wait() == .ended)
        #expect(try pool.eventLoop.submit { receiver.bodyCount }.wait() == total)
    }

    @Test func aSlowClientDoesNotMakeTheUpstreamTimeOut() throws {
        let total = 48 * 1024 * 1024
        let upstream = try ScriptedUpstream(.stream(total: total))
        defer { upstream.stop() }
        var settings = UpstreamSettings()
        settings.readTimeout = 0.3
        let pool = try UpstreamClient(settings: settings).pool(for: group.next())
        let receiver = RecordingReceiver(on: pool.eventLoop)
        try pool.eventLoop.submit {
            receiver.keepsBody = false
            receiver.pausesAtFirstBody = true
        }.wait()
        let endpoint = UpstreamEndpoint(scheme: .http, host: "127.0.0.1", port: upstream.port)
        let box = try pool.get("/big", from: endpoint, to: receiver).wait()
        #expect(proxyEventually(timeout: 20) { upstream.wasBlocked })
        // Twice ProxyTimeout with the client not reading: the upstream is not to blame.
        let finished = ManagedFlag()
        receiver.done.futureResult.whenComplete { _ in finished.set() }
        #expect(!proxyEventually(timeout: 0.6) { finished.isSet })
        try pool.eventLoop.submit {
            receiver.pausesAtFirstBody = false
            receiver.wantsMoreBody = true
            box.connection?.demand()
        }.wait()
        #expect(try receiver.done.futureResult.wait() == .ended)
    }

    @Test func aLargeRequestBodyIsSentAsTheUpstreamTakesIt() throws {
        let total = 16 * 1024 * 1024
        let upstream = try ScriptedUpstream(.sink(length: total))
        defer { upstream.stop() }
        let pool = try UpstreamClient(settings: UpstreamSettings()).pool(for: group.next())
        let receiver = RecordingReceiver(on: pool.eventLoop)
        let endpoint = UpstreamEndpoint(scheme: .http, host: "127.0.0.1", port: upstream.port)
        let pump = BodyPump(remaining: total)
        try pool.eventLoop.submit {
            pool.acquire(endpoint) { result in
                guard case .success(let connection) = result else { return receiver.upstreamFailed(
                    .closed("could not connect", upstream: endpoint)) }
                var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/upload")
                head.headers.add(name: "Host", value: endpoint.authority)
                head.headers.add(name: "Content-Length", value: String(total))
                connection.send(head, to: receiver)
                connection.onWritable = { pump.pump(connection) }
                pump.pump(connection)
            }
        }.wait()
        #expect(try receiver.done.futureResult.wait() == .ended)
        #expect(try pool.eventLoop.submit { String(decoding: receiver.body, as: UTF8.self) }.wait() == "got \(total)")
        let largestUnsent = try #require(try pool.eventLoop.submit { pump.largestUnsent }.wait())
        #expect(largestUnsent > 0 && largestUnsent <= 1024 * 1024, "queued \(largestUnsent) bytes unsent")
    }
}

/// Sends a request body in 64 KiB pieces while the upstream's socket takes them, as the
/// proxy forwards a client's body; notes the most ever queued unsent.
private final class BodyPump: @unchecked Sendable {
    var remaining: Int
    var largestUnsent: Int? = 0

    init(remaining: Int) { self.remaining = remaining }

    func pump(_ connection: UpstreamConnection) {
        while remaining > 0 && connection.isWritable {
            let count = min(64 * 1024, remaining)
            remaining -= count
            _ = connection.sendBody(ByteBuffer(repeating: UInt8(ascii: "b"), count: count))
            if let unsent = connection.unsentBytes, let largest = largestUnsent {
                largestUnsent = max(largest, unsent)
            } else {
                largestUnsent = nil
            }
        }
        if remaining == 0 {
            remaining = -1
            connection.endRequest()
        }
    }
}

/// A flag set on one thread and read on another.
private final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
