import Foundation
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
        // So is TCP_NOTSENT_LOWAT (the kernel holds at most ~16 KiB of an answer unsent).
        #expect(try accepted.getOption(.tcpOption(.init(rawValue: TCP_NOTSENT_LOWAT))).wait()
                == ChannelOptions.Types.SocketOption.Value(Daemon.unsentLowWatermark))
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
