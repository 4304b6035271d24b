import Testing
@testable import ServerConfig

/// `RemoteIPProxyProtocol` and `RemoteIPProxyProtocolExceptions`: a setting belongs to
/// the address:port of the server it is written in (the main server's to every address),
/// a later one for the same address replaces the earlier with a warning, as Apache's AH03491.
@Suite struct RemoteIPProxyProtocolDirectiveTests {
    @Test func theMainServersSettingCoversEveryAddress() throws {
        let config = try TemporaryTree().load("RemoteIPProxyProtocol On\n")
        let setting = config.remoteIPProxyProtocol
        #expect(setting.isRequired(localAddress: "127.0.0.1", localPort: 80, peer: "192.0.2.1"))
        #expect(setting.isRequired(localAddress: "::1", localPort: 8443, peer: "::1"))
        let without = try TemporaryTree().load("")
        #expect(!without.remoteIPProxyProtocol.isRequired(localAddress: "127.0.0.1", localPort: 80, peer: "192.0.2.1"))
    }

    @Test func aVirtualHostsSettingCoversItsAddressesOnly() throws {
        let config = try TemporaryTree().load("""
            <VirtualHost *:8080>
                ServerName a.example
                RemoteIPProxyProtocol On
            </VirtualHost>
            <VirtualHost 127.0.0.2:8081>
                RemoteIPProxyProtocol On
            </VirtualHost>
            """)
        let setting = config.remoteIPProxyProtocol
        #expect(setting.isRequired(localAddress: "127.0.0.1", localPort: 8080, peer: "192.0.2.1"))
        #expect(!setting.isRequired(localAddress: "127.0.0.1", localPort: 80, peer: "192.0.2.1"))
        #expect(setting.isRequired(localAddress: "127.0.0.2", localPort: 8081, peer: "192.0.2.1"))
        #expect(!setting.isRequired(localAddress: "127.0.0.1", localPort: 8081, peer: "192.0.2.1"))
    }

    @Test func anOffForAnAddressWinsOverTheMainServersOn() throws {
        let config = try TemporaryTree().load("""
            RemoteIPProxyProtocol On
            <VirtualHost *:9090>
                RemoteIPProxyProtocol Off
            </VirtualHost>
            """)
        #expect(config.remoteIPProxyProtocol.isRequired(localAddress: "127.0.0.1", localPort: 80, peer: "192.0.2.1"))
        #expect(!config.remoteIPProxyProtocol.isRequired(localAddress: "127.0.0.1", localPort: 9090, peer: "192.0.2.1"))
        #expect(!config.warnings.contains { $0.message.contains("RemoteIPProxyProtocol") })
    }

    @Test func nameBasedHostsOnOneAddressShareTheSettingAndDisagreementIsWarned() throws {
        let config = try TemporaryTree().load("""
            <VirtualHost *:8080>
                ServerName a.example
                RemoteIPProxyProtocol On
            </VirtualHost>
            <VirtualHost *:8080>
                ServerName b.example
                RemoteIPProxyProtocol Off
            </VirtualHost>
            """)
        // The later setting is the address's, for a.example too.
        #expect(!config.remoteIPProxyProtocol.isRequired(localAddress: "127.0.0.1", localPort: 8080, peer: "192.0.2.1"))
        let warning = try #require(config.warnings.first)
        #expect(warning.line == 7)
        #expect(warning.message.contains("RemoteIPProxyProtocol: previous setting for *:8080"))
        #expect(warning.message.contains("new setting is 'Off'"))
    }

    @Test func exceptionsAreNetworks() throws {
        let config = try TemporaryTree().load("""
            RemoteIPProxyProtocol On
            RemoteIPProxyProtocolExceptions 127.0.0.1 10.0.0.0/8
            RemoteIPProxyProtocolExceptions 2001:db8::/32
            """)
        let setting = config.remoteIPProxyProtocol
        #expect(!setting.isRequired(localAddress: "127.0.0.1", localPort: 80, peer: "127.0.0.1"))
        #expect(!setting.isRequired(localAddress: "127.0.0.1", localPort: 80, peer: "10.9.8.7"))
        #expect(!setting.isRequired(localAddress: "::1", localPort: 80, peer: "2001:db8::5"))
        #expect(setting.isRequired(localAddress: "127.0.0.1", localPort: 80, peer: "127.0.0.2"))
    }

    @Test func badArgumentsAreErrorsAtTheirLine() throws {
        let tree = TemporaryTree()
        let flag = try #require(tree.error("\nRemoteIPProxyProtocol Maybe\n"))
        #expect(flag.line == 2)
        #expect(flag.kind == .badArguments)
        let network = try #require(tree.error("RemoteIPProxyProtocolExceptions 10.0.0.0/8 balancer.example\n"))
        #expect(network.message == "RemoteIPProxyProtocolExceptions: ip address 'balancer.example' appears to be invalid")
        let none = try #require(tree.error("RemoteIPProxyProtocolExceptions\n"))
        #expect(none.kind == .badArguments)
        let inDirectory = try #require(tree.error("<Directory />\nRemoteIPProxyProtocol On\n</Directory>\n"))
        #expect(inDirectory.kind == .notAllowedHere)
    }
}
