import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServerConfig
import Testing

@testable import HTTPDaemon

/// What the daemon's bootstrap gives an accepted connection, on a real loopback socket:
/// the options once applied per channel through futures are set synchronously now, or
/// inherited from the listener (issue 14 item 7), and both ends are formatted as before.
@Suite struct ConnectionSetUpTests {
    @Test func acceptedConnectionHasItsOptionsHandlersAndAddresses() throws {
        let root = NSTemporaryDirectory() + "/isapid-setup-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let configuration = try ConfigLoader.load(text: "ErrorLog logs/error_log\n", serverRoot: root)
        let daemon = DaemonContext(state: try ServingState(configuration: configuration, logFiles: LogFiles(), handlers: [:]))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let address = ListenAddress(host: "127.0.0.1", port: 0)
        let listener = try Daemon.makeBootstrap(for: address, group: group, daemon: daemon)
            .bind(host: "127.0.0.1", port: 0).wait()
        defer { try? listener.close().wait() }
        let port = try #require(listener.localAddress?.port)
        // ListenBacklog (Apache's default, 511), and as many accepts per wake-up as it holds.
        #expect(try listener.getOption(.backlog).wait() == 511)
        #expect(try listener.getOption(.maxMessagesPerRead).wait() == 511)

        // AcceptFilter http data (the default): the listener defers accepting until data.
        #expect(try listener.getOption(.tcpOption(.init(rawValue: TCP_DEFER_ACCEPT))).wait() > 0)

        let client = try ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).wait()
        defer { try? client.close().wait() }
        let clientPort = try #require(client.localAddress?.port)
        // The first byte of a request: with the deferred accept, the kernel hands the
        // connection over only now.
        try client.writeAndFlush(ByteBuffer(string: "G")).wait()
        // The server side registers the connection once its set-up ran.
        let deadline = Date().addingTimeInterval(5)
        while daemon.openConnections.isEmpty && Date() < deadline { usleep(5_000) }
        let accepted = try #require(daemon.openConnections.first)

        // TCP_NODELAY is set on the listener only: Linux hands it on to accepted sockets.
        #expect(try accepted.getOption(.tcpOption(.tcp_nodelay)).wait() != 0)
        #expect(try accepted.getOption(.maxMessagesPerRead).wait() == 16)
        #expect(try accepted.getOption(.allowRemoteHalfClosure).wait())
        let seen = try accepted.eventLoop.submit {
            let pipeline = accepted.pipeline.syncOperations
            let handler = try pipeline.handler(type: HTTPConnectionHandler.self)
            let proxyProtocol = try? pipeline.handler(type: ProxyProtocolHandler.self)
            return [handler.remote.0, String(handler.remote.1), handler.local.0, String(handler.local.1),
                    proxyProtocol == nil ? "no PROXY handler" : "PROXY handler"]
        }.wait()
        #expect(seen == ["127.0.0.1", String(clientPort), "127.0.0.1", String(port), "no PROXY handler"])
    }

    /// A static file of more than one sendfile slice goes out with TCP_NOTSENT_LOWAT set
    /// (`FileSendPacing`), and the socket is back to the system's setting once the file
    /// was sent; a small file never sets it. The client reads nothing at first, so that the
    /// large file is still being sent when the option is looked at.
    @Test func aLargeFileIsSentWithTheUnsentLowWatermark() throws {
        let root = NSTemporaryDirectory() + "/isapid-pacing-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/htdocs", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let large = 24 << 20
        try Data(repeating: UInt8(ascii: "x"), count: large).write(to: URL(fileURLWithPath: root + "/htdocs/large.bin"))
        try Data("small\n".utf8).write(to: URL(fileURLWithPath: root + "/htdocs/small.txt"))
        let configuration = try ConfigLoader.load(
            text: "ErrorLog logs/error_log\nDocumentRoot \(root)/htdocs\n", serverRoot: root)
        let daemon = DaemonContext(state: try ServingState(configuration: configuration, logFiles: LogFiles(), handlers: [:]))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let listener = try Daemon.makeBootstrap(for: ListenAddress(host: "127.0.0.1", port: 0), group: group, daemon: daemon)
            .bind(host: "127.0.0.1", port: 0).wait()
        defer { try? listener.close().wait() }
        let port = try #require(listener.localAddress?.port)

        let received = ByteCounter(eventLoop: group.next())
        let client = try ClientBootstrap(group: group)
            .channelOption(.autoRead, value: false)
            .channelInitializer { channel in channel.pipeline.addHandler(received) }
            .connect(host: "127.0.0.1", port: port).wait()
        defer { try? client.close().wait() }
        let lowWatermark = ChannelOptions.tcpOption(.init(rawValue: TCP_NOTSENT_LOWAT))
        func accepted() -> Channel? { daemon.openConnections.first }
        func serverValue() throws -> Int? { try accepted().map { try $0.getOption(lowWatermark).wait() } }

        // A small file: the option is never set.
        try client.writeAndFlush(ByteBuffer(string: "GET /small.txt HTTP/1.1\r\nHost: a\r\n\r\n")).wait()
        client.read()
        try #require(received.waitFor(bytes: 1, seconds: 5), "no answer to the small file")
        #expect(try serverValue() == 0)
        let beforeLarge = received.count

        // The large file: set while it is sent (the client reads nothing meanwhile)...
        try client.writeAndFlush(ByteBuffer(string: "GET /large.bin HTTP/1.1\r\nHost: a\r\n\r\n")).wait()
        let deadline = Date().addingTimeInterval(5)
        while try serverValue() != FileSendPacing.unsentLowWatermark && Date() < deadline { usleep(5_000) }
        #expect(try serverValue() == FileSendPacing.unsentLowWatermark)
        // ...and back to the system's setting once it was all sent.
        try client.setOption(.autoRead, value: true).wait()
        #expect(received.waitFor(bytes: beforeLarge + large, seconds: 30), "received \(received.count - beforeLarge) bytes")
        let after = Date().addingTimeInterval(5)
        while try serverValue() != 0 && Date() < after { usleep(5_000) }
        #expect(try serverValue() == 0)
    }

    /// `AcceptFilter`: TCP_DEFER_ACCEPT on a listener of a protocol whose filter is not
    /// `none`, for the parent's own sockets and the bootstrap's alike.
    @Test(arguments: [("", true), ("AcceptFilter http none\n", false), ("AcceptFilter HTTP None\n", false),
                      ("AcceptFilter https none\n", true), ("AcceptFilter http data\n", true)])
    func acceptFilterDefersTheAccept(directive: String, defers: Bool) throws {
        let root = NSTemporaryDirectory() + "/isapid-accf-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let configuration = try ConfigLoader.load(text: "ErrorLog logs/error_log\n" + directive, serverRoot: root)
        let address = ListenAddress(host: "127.0.0.1", port: 0)
        #expect(configuration.defersAccept(address) == defers)

        let descriptor = try ListenerSocket.open(address, configuration)
        defer { close(descriptor) }
        var seconds: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        #expect(getsockopt(descriptor, Int32(IPPROTO_TCP), TCP_DEFER_ACCEPT, &seconds, &length) == 0)
        #expect((seconds > 0) == defers)

        let daemon = DaemonContext(state: try ServingState(configuration: configuration, logFiles: LogFiles(), handlers: [:]))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let listener = try Daemon.makeBootstrap(for: address, group: group, daemon: daemon).bind(host: "127.0.0.1", port: 0).wait()
        defer { try? listener.close().wait() }
        #expect(try (listener.getOption(.tcpOption(.init(rawValue: TCP_DEFER_ACCEPT))).wait() > 0) == defers)
    }

    /// The IPv4 formatting that replaced `inet_ntop` prints what NIO's `ipAddress` prints.
    @Test(arguments: ["0.0.0.0", "127.0.0.1", "10.0.0.1", "192.0.2.7", "203.0.113.99", "100.64.10.255",
                      "255.255.255.255", "1.20.100.9"])
    func ipv4AddressesFormatLikeInetNtop(_ text: String) throws {
        let address = try SocketAddress(ipAddress: text, port: 40000)
        #expect(address.textAndPort == (text, 40000))
        #expect(address.textAndPort.0 == address.ipAddress)
    }

    @Test func ipv6AndUnixAddressesKeepNIOsFormatting() throws {
        let v6 = try SocketAddress(ipAddress: "2001:db8::1", port: 8443)
        #expect(v6.textAndPort == ("2001:db8::1", 8443))
        let unix = try SocketAddress(unixDomainSocketPath: "/tmp/isapid-setup.sock")
        #expect(unix.textAndPort == ("-", 0))
    }
}

/// Counts the bytes a client channel reads, heads and bodies alike.
private final class ByteCounter: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let lock = NIOLock()
    private var total = 0
    let eventLoop: EventLoop

    init(eventLoop: EventLoop) { self.eventLoop = eventLoop }

    var count: Int { lock.withLock { total } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data).readableBytes
        lock.withLock { total += bytes }
    }

    /// Polls until at least `bytes` arrived or `seconds` passed.
    func waitFor(bytes: Int, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while count < bytes && Date() < deadline { usleep(5_000) }
        return count >= bytes
    }
}
