import Foundation
import NIOCore
import NIOEmbedded
import ServerConfig
import Testing

@testable import HTTPDaemon

/// `RemoteIPProxyProtocol On` on an EmbeddedChannel (peer 192.0.2.7:40000, local
/// 127.0.0.1:8080): the PROXY header is read first, whole or in pieces, its client becomes
/// the request's (`%a`, `%{remote}p`) while `%{c}a` stays the balancer, and a connection
/// without a valid header is closed and logged.
@Suite struct ProxyProtocolChannelTests {
    static let logging = """
        LogFormat "%a %{c}a %{remote}p %h \\"%r\\" %>s" pp
        CustomLog logs/access_log pp
        """
    static let request = "GET /small.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"

    /// A v2 PROXY (command 1) TCP4 header for 203.0.113.9:51234 -> 127.0.0.1:8080.
    static let v2Header: [UInt8] = ProxyProtocolHeader.v2Signature + [0x21, 0x11, 0x00, 0x0C]
        + [203, 0, 113, 9] + [127, 0, 0, 1] + [0xC8, 0x22] + [0x1F, 0x90]

    static func harness(_ extra: String = "") throws -> ConnectionHarness {
        try ConnectionHarness("RemoteIPProxyProtocol On\n" + logging + "\n" + extra)
    }

    @Test func aV1HeaderNamesTheClientAndItsPort() throws {
        let harness = try Self.harness()
        try harness.send("PROXY TCP4 203.0.113.9 127.0.0.1 51234 8080\r\n" + Self.request)
        #expect(try harness.readResponse().statusLine == "HTTP/1.1 200 OK")
        #expect(harness.accessLog() == "203.0.113.9 192.0.2.7 51234 203.0.113.9 \"GET /small.txt HTTP/1.1\" 200\n")
        #expect((try? harness.channel.pipeline.syncOperations.handler(type: ProxyProtocolHandler.self)) == nil)
    }

    @Test func aV2HeaderSplitAcrossReadsOneByteAtATime() throws {
        let harness = try Self.harness()
        for byte in Self.v2Header {
            try harness.channel.writeInbound(ByteBuffer(bytes: [byte]))
            harness.channel.embeddedEventLoop.run()
            #expect(harness.isOpen)
        }
        #expect(try harness.hasNoOutput)
        try harness.send(Self.request)
        #expect(try harness.readResponse().statusLine == "HTTP/1.1 200 OK")
        #expect(harness.accessLog() == "203.0.113.9 192.0.2.7 51234 203.0.113.9 \"GET /small.txt HTTP/1.1\" 200\n")
    }

    @Test func theRequestMayArriveInTheSameReadAsTheHeader() throws {
        let harness = try Self.harness()
        try harness.channel.writeInbound(ByteBuffer(bytes: Self.v2Header + Array(Self.request.utf8)))
        harness.channel.embeddedEventLoop.run()
        #expect(try harness.readResponse().statusLine == "HTTP/1.1 200 OK")
        #expect(harness.accessLog().hasPrefix("203.0.113.9 192.0.2.7 51234 "))
    }

    @Test func aV2LocalHeaderKeepsThePeer() throws {
        let harness = try Self.harness()
        let local = ProxyProtocolHeader.v2Signature + [0x20, 0x00, 0x00, 0x00]
        try harness.channel.writeInbound(ByteBuffer(bytes: local))
        try harness.send(Self.request)
        #expect(try harness.readResponse().statusLine == "HTTP/1.1 200 OK")
        #expect(harness.accessLog() == "192.0.2.7 192.0.2.7 40000 192.0.2.7 \"GET /small.txt HTTP/1.1\" 200\n")
    }

    @Test func aConnectionWithoutTheHeaderIsClosedUnansweredAndLogged() throws {
        let harness = try Self.harness()
        try harness.send(Self.request)
        #expect(try harness.hasNoOutput)
        #expect(!harness.isOpen)
        let log = harness.errorLog()
        #expect(log.contains("IS02190"), "\(log)")
        #expect(log.contains("no valid PROXY header"), "\(log)")
        #expect(log.contains("192.0.2.7:40000"), "\(log)")
        #expect(harness.accessLog() == "")
    }

    @Test func aMalformedV1HeaderIsRefused() throws {
        let harness = try Self.harness()
        try harness.send("PROXY TCP4 203.0.113.999 127.0.0.1 51234 8080\r\n" + Self.request)
        #expect(try harness.hasNoOutput)
        #expect(!harness.isOpen)
        #expect(harness.errorLog().contains("invalid address in header"))
    }

    @Test func aHeaderThatNeverEndsIsRefusedAtItsBound() throws {
        let harness = try Self.harness()
        try harness.send("PROXY TCP4 " + String(repeating: "1", count: 120))
        #expect(!harness.isOpen)
        #expect(harness.errorLog().contains("longer than 107 bytes"))
    }

    @Test func noHeaderWithinTimeoutClosesTheConnection() throws {
        let harness = try Self.harness("Timeout 5\n")
        try harness.send("PROXY TCP4 203.0.113.9")
        harness.advance(seconds: 4)
        #expect(harness.isOpen)
        harness.advance(seconds: 2)
        #expect(!harness.isOpen)
        #expect(harness.errorLog().contains("IS02192"))
    }

    @Test func anExceptionPeerConnectsWithoutTheHeader() throws {
        let harness = try Self.harness("RemoteIPProxyProtocolExceptions 10.0.0.0/8 192.0.2.0/24\n")
        try harness.send(Self.request)
        #expect(try harness.readResponse().statusLine == "HTTP/1.1 200 OK")
        #expect(harness.accessLog() == "192.0.2.7 192.0.2.7 40000 192.0.2.7 \"GET /small.txt HTTP/1.1\" 200\n")
    }

    @Test func anotherAddressIsNotConcerned() throws {
        let harness = try ConnectionHarness(Self.logging + """

            Listen 127.0.0.1:8080
            <VirtualHost *:9090>
                RemoteIPProxyProtocol On
            </VirtualHost>
            """)
        try harness.send(Self.request)
        #expect(try harness.readResponse().statusLine == "HTTP/1.1 200 OK")
    }

    @Test func theRemoteIPHeaderIsNotConsultedAfterAPROXYHeader() throws {
        let harness = try Self.harness("RemoteIPHeader X-Forwarded-For\n")
        try harness.send("PROXY TCP4 203.0.113.9 127.0.0.1 51234 8080\r\n"
            + "GET /small.txt HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 198.51.100.1\r\nConnection: close\r\n\r\n")
        #expect(try harness.readResponse().statusLine == "HTTP/1.1 200 OK")
        #expect(harness.accessLog().hasPrefix("203.0.113.9 192.0.2.7 51234 "))
    }

    @Test func tlsFollowsTheHeader() throws {
        let tls = try TLSChannelTests.tlsDirectives()
        defer { try? FileManager.default.removeItem(atPath: tls.directory) }
        let harness = try ConnectionHarness("RemoteIPProxyProtocol On\n" + tls.directives, tls: true)
        // The header, then the start of a TLS record: it reaches the TLS handlers.
        try harness.channel.writeInbound(ByteBuffer(bytes: Self.v2Header + [0x16, 0x03, 0x01, 0x00, 0x40]))
        harness.channel.embeddedEventLoop.run()
        #expect(try harness.hasNoOutput)
        #expect(harness.isOpen)
        #expect((try? harness.channel.pipeline.syncOperations.context(name: TLSContexts.detectorName)) == nil)
        #expect((try? harness.channel.pipeline.syncOperations.context(name: TLSContexts.sniName)) != nil)
    }

    @Test func plainHTTPAfterTheHeaderOnATLSPortIsLoggedWithTheClient() throws {
        let tls = try TLSChannelTests.tlsDirectives()
        defer { try? FileManager.default.removeItem(atPath: tls.directory) }
        let harness = try ConnectionHarness("RemoteIPProxyProtocol On\n" + tls.directives, tls: true)
        try harness.send("PROXY TCP4 203.0.113.9 127.0.0.1 51234 8443\r\n" + Self.request)
        #expect(try harness.readResponse().statusLine == "HTTP/1.1 400 Bad Request")
        #expect(harness.accessLog().hasPrefix("203.0.113.9 "), "\(harness.accessLog())")
    }
}
