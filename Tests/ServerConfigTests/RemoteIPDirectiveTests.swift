import Testing
@testable import ServerConfig

/// mod_remoteip's directives: what they compile to, Apache's merge of the main server
/// into a virtual host, and bad addresses as errors with file and line.
@Suite struct RemoteIPDirectiveTests {
    @Test func directivesCompileInOrderWithTheirKinds() throws {
        let tree = TemporaryTree()
        let config = try tree.load("""
            RemoteIPHeader X-Forwarded-For
            RemoteIPProxiesHeader X-Forwarded-By
            RemoteIPTrustedProxy 192.0.2.10 198.51.100.0/24
            RemoteIPInternalProxy 10.0.0.0/255.0.0.0 172.16 2001:db8::/32
            """)
        let remoteIP = config.mainHost.remoteIP
        #expect(remoteIP.header == "X-Forwarded-For")
        #expect(remoteIP.proxiesHeader == "X-Forwarded-By")
        let proxies = try #require(remoteIP.proxies)
        #expect(proxies.map(\.kind) == [.trusted, .trusted, .internal, .internal, .internal])
        #expect(proxies.map(\.network) == ["192.0.2.10", "198.51.100.0/24", "10.0.0.0/8", "172.16.0.0/16", "2001:db8::/32"]
            .map { IPRange($0)! })
        #expect(proxies[1].network.contains(IPAddress("198.51.100.77")!))
        #expect(!proxies[1].network.contains(IPAddress("198.51.101.1")!))
    }

    @Test func withoutListsEveryPeerIsTrustedSoProxiesStaysUnset() throws {
        let config = try TemporaryTree().load("RemoteIPHeader X-Real-IP\n")
        #expect(config.mainHost.remoteIP == RemoteIPConfig(header: "X-Real-IP"))
    }

    @Test func hostNamesAreResolvedAtConfigTime() throws {
        let config = try TemporaryTree().load("RemoteIPTrustedProxy localhost\n")
        let proxies = try #require(config.mainHost.remoteIP.proxies)
        #expect(!proxies.isEmpty)
        #expect(proxies.allSatisfy { $0.kind == .trusted })
        #expect(proxies.contains { $0.network.contains(IPAddress("127.0.0.1")!) || $0.network.contains(IPAddress("::1")!) })
    }

    @Test func listFilesTakeWordsAndComments() throws {
        let tree = TemporaryTree()
        tree.write("conf/trusted.lst", """
            # the balancers
            192.0.2.1 192.0.2.2   # two of them
            198.51.100.0/24
            """)
        tree.write("conf/internal.lst", "10.0.0.0/8\n")
        let config = try tree.load("""
            RemoteIPHeader X-Forwarded-For
            RemoteIPTrustedProxyList conf/trusted.lst
            RemoteIPInternalProxyList conf/internal.lst
            """)
        let proxies = try #require(config.mainHost.remoteIP.proxies)
        #expect(proxies.map(\.network) == ["192.0.2.1", "192.0.2.2", "198.51.100.0/24", "10.0.0.0/8"].map { IPRange($0)! })
        #expect(proxies.map(\.kind) == [.trusted, .trusted, .trusted, .internal])
    }

    @Test func aVirtualHostTakesEachUnsetFieldFromTheMainServer() throws {
        let config = try TemporaryTree().load("""
            RemoteIPHeader X-Forwarded-For
            RemoteIPTrustedProxy 192.0.2.1
            <VirtualHost *:80>
                ServerName a.example
                RemoteIPProxiesHeader X-Forwarded-By
            </VirtualHost>
            <VirtualHost *:80>
                ServerName b.example
                RemoteIPHeader X-Client-IP
                RemoteIPInternalProxy 10.0.0.1
            </VirtualHost>
            """)
        let a = config.virtualHosts[0].remoteIP
        #expect(a.header == "X-Forwarded-For")
        #expect(a.proxiesHeader == "X-Forwarded-By")
        #expect(a.proxies == [RemoteIPProxy(network: IPRange("192.0.2.1")!, kind: .trusted)])
        let b = config.virtualHosts[1].remoteIP
        #expect(b.header == "X-Client-IP")
        // The proxy list is replaced, not appended to, as Apache merges it.
        #expect(b.proxies == [RemoteIPProxy(network: IPRange("10.0.0.1")!, kind: .internal)])
    }

    @Test func badAddressesAreErrorsAtTheirLine() throws {
        let tree = TemporaryTree()
        let error = try #require(tree.error("""
            RemoteIPHeader X-Forwarded-For
            RemoteIPTrustedProxy 192.0.2.1 300.1.2.3
            """))
        #expect(error.kind == .badArguments)
        #expect(error.line == 2)
        #expect(error.file.hasSuffix("conf/httpd.conf"))
        #expect(error.message == "RemoteIPTrustedProxy: RemoteIP: Error parsing IP 300.1.2.3 for RemoteIPTrustedProxy")

        let mask = try #require(tree.error("RemoteIPInternalProxy 10.0.0.0/33\n"))
        #expect(mask.line == 1)
        #expect(mask.message == "RemoteIPInternalProxy: RemoteIP: Error parsing IP 10.0.0.0/33 for RemoteIPInternalProxy")

        let hostWithMask = try #require(tree.error("RemoteIPTrustedProxy localhost/8\n"))
        #expect(hostWithMask.message
                == "RemoteIPTrustedProxy: RemoteIP: Error parsing IP localhost/8 the subnet /8 is invalid for RemoteIPTrustedProxy")

        let unresolvable = try #require(tree.error("\nRemoteIPTrustedProxy no-such-host.invalid\n"))
        #expect(unresolvable.line == 2)
        #expect(unresolvable.message.contains("Error parsing IP no-such-host.invalid"))
    }

    @Test func aBadEntryInAListFileIsAnErrorAtItsLineOfThatFile() throws {
        let tree = TemporaryTree()
        let list = tree.write("conf/trusted.lst", "192.0.2.1\n# comment\n192.0.2.2 1.2.3.4/40\n")
        let error = try #require(tree.error("RemoteIPTrustedProxyList conf/trusted.lst\n"))
        #expect(error.file == list)
        #expect(error.line == 3)
        #expect(error.message == "RemoteIPTrustedProxyList: RemoteIP: Error parsing IP 1.2.3.4/40 for RemoteIPTrustedProxyList")

        let missing = try #require(tree.error("\n\nRemoteIPInternalProxyList conf/none.lst\n"))
        #expect(missing.line == 3)
        #expect(missing.message == "RemoteIPInternalProxyList: Could not open file \(tree.root)/conf/none.lst")
    }

    @Test func contextAndArityFollowApache() throws {
        let tree = TemporaryTree()
        let inDirectory = try #require(tree.error("<Directory />\nRemoteIPHeader X-Forwarded-For\n</Directory>\n"))
        #expect(inDirectory.kind == .notAllowedHere)
        #expect(inDirectory.line == 2)
        let twoHeaders = try #require(tree.error("RemoteIPHeader X-Forwarded-For X-Real-IP\n"))
        #expect(twoHeaders.kind == .badArguments)
        let noProxy = try #require(tree.error("RemoteIPTrustedProxy\n"))
        #expect(noProxy.kind == .badArguments)
    }
}
