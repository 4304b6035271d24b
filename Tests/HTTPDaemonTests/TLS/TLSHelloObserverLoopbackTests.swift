import Foundation
@testable import HTTPDaemon
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Testing

/// The observer in front of a real NIOSSL server on 127.0.0.1:0: what it reads must be what
/// BoringSSL negotiated. NIOSSL's client cannot resume a session (it has no session API), so
/// resumption is checked with `openssl s_client -sess_out` / `-sess_in`, whose own report
/// ("New"/"Reused", the cipher's OpenSSL name) is the reference.
@Suite(.serialized) struct TLSHelloObserverLoopbackTests {
    /// What the server saw when a handshake completed.
    struct Observed: Sendable {
        var negotiated: NegotiatedHello?
        var abandonment: String?
        var nioSSLVersion: TLSVersion?
    }

    /// Records each connection's observation, then answers "hello\n" and closes.
    final class Recorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let observer: TLSHelloObserver
        let results: Results

        init(observer: TLSHelloObserver, results: Results) {
            self.observer = observer
            self.results = results
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case TLSUserEvent.handshakeCompleted = event {
                let version = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self).tlsVersion
                results.append(Observed(negotiated: observer.negotiated, abandonment: observer.abandonment, nioSSLVersion: version))
                let channel = context.channel
                context.writeAndFlush(NIOAny(ByteBuffer(string: "hello\n"))).whenComplete { _ in channel.close(promise: nil) }
            }
            context.fireUserInboundEventTriggered(event)
        }
    }

    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [Observed] = []
        func append(_ item: Observed) { lock.withLock { items.append(item) } }
        var all: [Observed] { lock.withLock { items } }
    }

    /// A TLS server on 127.0.0.1:0 with a fresh self-signed RSA certificate.
    struct Server {
        let group: MultiThreadedEventLoopGroup
        let channel: Channel
        let results: Results
        let directory: URL
        var port: Int { channel.localAddress!.port! }

        init(maximumVersion: TLSVersion? = nil) throws {
            directory = try OpenSSLTool.temporaryDirectory()
            let made = try OpenSSLTool.makeCertificate(in: directory, name: "server", key: "rsa:2048", subject: "/CN=localhost")
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(made.certificatePEM).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: made.keyPEM, format: .pem)))
            configuration.maximumTLSVersion = maximumVersion
            let context = try NIOSSLContext(configuration: configuration)
            let results = Results()
            self.results = results
            group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            channel = try ServerBootstrap(group: group)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let observer = TLSHelloObserver()
                        try channel.pipeline.syncOperations.addHandler(observer)
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                        try channel.pipeline.syncOperations.addHandler(Recorder(observer: observer, results: results))
                    }
                }
                .bind(host: "127.0.0.1", port: 0).wait()
        }

        func stop() {
            try? channel.close().wait()
            try? group.syncShutdownGracefully()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Connects with NIOSSL's client pinned to one version, and waits for the server's close.
    private func connectWithNIOSSL(to server: Server, version: TLSVersion) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        configuration.minimumTLSVersion = version
        configuration.maximumTLSVersion = version
        let context = try NIOSSLContext(configuration: configuration)
        let channel = try ClientBootstrap(group: server.group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                }
            }
            .connect(host: "127.0.0.1", port: server.port).wait()
        try channel.closeFuture.wait()
    }

    @Test(arguments: [TLSVersion.tlsv12, .tlsv13])
    func theObservedVersionIsNIOSSLsAndTheCipherIsReal(version: TLSVersion) throws {
        let server = try Server()
        defer { server.stop() }
        try connectWithNIOSSL(to: server, version: version)
        let observed = try #require(server.results.all.first)
        let negotiated = try #require(observed.negotiated, "gave up: \(observed.abandonment ?? "-")")
        #expect(observed.nioSSLVersion == version)
        #expect(negotiated.protocolVersion == (version == .tlsv13 ? "TLSv1.3" : "TLSv1.2"))
        #expect(CipherSuite.withID(negotiated.cipherSuite.id) == negotiated.cipherSuite)
        #expect(negotiated.cipherSuite.name.hasPrefix("TLS_") == (version == .tlsv13))
        #expect(negotiated.sessionReuse == .initial)
    }

    /// `openssl s_client` against the server; returns its "New, TLSv1.3, Cipher is …" line.
    private func sClient(_ server: Server, _ versionFlag: String, session: (flag: String, path: String)) throws -> String {
        let output = try OpenSSLTool.run(
            [
                "s_client", "-connect", "127.0.0.1:\(server.port)", versionFlag, session.flag, session.path, "-ign_eof",
                "-servername", "localhost",
            ], timeout: 30)
        return try #require(
            output.split(separator: "\n").first { $0.hasPrefix("New, ") || $0.hasPrefix("Reused, ") }.map(String.init),
            "s_client printed: \(output)")
    }

    @Test(arguments: ["-tls1_2", "-tls1_3"])
    func aSecondConnectionWithTheSessionIsResumed(versionFlag: String) throws {
        let server = try Server()
        defer { server.stop() }
        let session = server.directory.appendingPathComponent("session.pem").path
        let first = try sClient(server, versionFlag, session: ("-sess_out", session))
        let second = try sClient(server, versionFlag, session: ("-sess_in", session))
        #expect(first.hasPrefix("New, ") && second.hasPrefix("Reused, "), "s_client: \(first) / \(second)")

        let results = server.results.all
        try #require(results.count == 2)
        for (observed, line) in zip(results, [first, second]) {
            let negotiated = try #require(observed.negotiated, "gave up: \(observed.abandonment ?? "-")")
            // "Reused, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384"
            #expect(line.hasSuffix(", \(negotiated.protocolVersion), Cipher is \(negotiated.cipherSuite.name)"), "\(line)")
            #expect(observed.nioSSLVersion == (versionFlag == "-tls1_3" ? .tlsv13 : .tlsv12))
        }
        #expect(results.map { $0.negotiated?.sessionReuse } == [.initial, .resumed])
    }
}
