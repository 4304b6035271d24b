import Foundation
import NIOCore
import NIOEmbedded
import ServerConfig
import Testing

@testable import HTTPDaemon

/// The TLS listener's first handlers on an EmbeddedChannel: plain HTTP is told from a TLS
/// handshake by its first byte, and answered with mod_ssl's 400 page, logged, and closed.
@Suite struct TLSChannelTests {
    /// A self-signed certificate and key made with Debian's openssl in a new directory, and
    /// the directives of a TLS main server on the harness's 127.0.0.1:8080. The caller
    /// removes `directory` when the test ends.
    static func tlsDirectives() throws -> (directives: String, directory: String) {
        let directory = NSTemporaryDirectory() + "isapid-tls-channel-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        do {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                "-keyout", directory + "/server.key", "-out", directory + "/server.pem",
            ]
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0, "openssl could not make a certificate")
        } catch {
            // No caller gets the directory to remove.
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        let directives = """
            Listen 127.0.0.1:8080 https
            SSLEngine on
            SSLCertificateFile \(directory)/server.pem
            SSLCertificateKeyFile \(directory)/server.key
            LogLevel info
            CustomLog logs/access_log common
            """
        return (directives, directory)
    }

    @Test func plainHTTPGetsApachesBadRequestAndTheConnectionCloses() throws {
        let tls = try Self.tlsDirectives()
        defer { try? FileManager.default.removeItem(atPath: tls.directory) }
        let harness = try ConnectionHarness(tls.directives, tls: true)
        try harness.send("GET /small.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let response = try harness.readResponse()
        #expect(response.statusLine == "HTTP/1.1 400 Bad Request")
        #expect(response.header("Connection") == "close")
        #expect(
            (response.bodyText ?? "").contains(
                """
                <p>Your browser sent a request that this server could not understand.<br />
                Reason: You're speaking plain HTTP to an SSL-enabled server port.<br />
                 Instead use the HTTPS scheme to access this URL, please.<br />
                </p>
                """))
        #expect(!harness.isOpen)
        #expect(harness.accessLog().contains("\"GET /small.txt HTTP/1.1\" 400 "))
        #expect(harness.errorLog().contains("IS02101"))
    }

    /// A closing connection waits 2 s for the client's close_notify, as long as Apache's
    /// lingering close, not swift-nio-ssl's 5 s: its timer keeps the connection's buffers
    /// until it fires even when the client closed first (`TLSContextBuilder.closeNotifyWait`).
    @Test func aClosingConnectionWaitsForTheClientsCloseNotifyAsLongAsApacheLingers() throws {
        let tls = try Self.tlsDirectives()
        defer { try? FileManager.default.removeItem(atPath: tls.directory) }
        let configuration = try ConfigLoader.load(text: tls.directives, serverRoot: tls.directory)
        let contexts = try TLSContexts(configuration: configuration)
        let main = try #require(contexts.byHost[0])
        #expect(main.sslContext.configuration.shutdownTimeout == .seconds(2))
    }

    @Test func aHandshakeRecordGoesToTheTLSHandlers() throws {
        let tls = try Self.tlsDirectives()
        defer { try? FileManager.default.removeItem(atPath: tls.directory) }
        let harness = try ConnectionHarness(tls.directives, tls: true)
        // The start of a TLS record (handshake, TLS 1.0 record version), incomplete.
        try harness.channel.writeInbound(ByteBuffer(bytes: [0x16, 0x03, 0x01, 0x00, 0x40]))
        harness.channel.embeddedEventLoop.run()
        #expect(try harness.hasNoOutput)
        #expect(harness.isOpen)
        #expect((try? harness.channel.pipeline.syncOperations.context(name: TLSContexts.detectorName)) == nil)
        #expect((try? harness.channel.pipeline.syncOperations.context(name: TLSContexts.sniName)) != nil)
    }
}
