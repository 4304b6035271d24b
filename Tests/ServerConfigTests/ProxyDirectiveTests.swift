import Testing
@testable import ServerConfig

/// mod_proxy's ProxyTimeout: seconds or milliseconds, server-wide, unset by default;
/// a bad value is an error at its line; `<IfModule mod_proxy.c>` now holds.
@Suite struct ProxyDirectiveTests {
    @Test func proxyTimeoutTakesSecondsOrMilliseconds() throws {
        #expect(try TemporaryTree().load("").proxyTimeoutSeconds == nil)
        #expect(try TemporaryTree().load("ProxyTimeout 30\n").proxyTimeoutSeconds == 30)
        #expect(try TemporaryTree().load("ProxyTimeout 250ms\n").proxyTimeoutSeconds == 0.25)
        let inIfModule = try TemporaryTree().load("<IfModule mod_proxy.c>\nProxyTimeout 5\n</IfModule>\n")
        #expect(inIfModule.proxyTimeoutSeconds == 5)
    }

    @Test func badProxyTimeoutsAreErrorsAtTheirLine() throws {
        let tree = TemporaryTree()
        let zero = try #require(tree.error("\nProxyTimeout 0\n"))
        #expect(zero.kind == .badArguments)
        #expect(zero.line == 2)
        #expect(zero.message == "ProxyTimeout: ProxyTimeout must be greater than 0")
        let word = try #require(tree.error("ProxyTimeout soon\n"))
        #expect(word.message == "ProxyTimeout: 'soon' is not a time in seconds")
        let inDirectory = try #require(tree.error("<Directory />\nProxyTimeout 5\n</Directory>\n"))
        #expect(inDirectory.line == 2)
    }

    @Test func proxySetKeepsConnectAndReadTimeoutsPerUpstream() throws {
        let configuration = try TemporaryTree().load("""
            ProxySet http://Backend:8080/app connectiontimeout=2 timeout=30
            ProxySet https://[::1] connectiontimeout=250ms
            ProxySet http://backend:8080 timeout=20

            """)
        #expect(configuration.proxyWorkers.count == 2)
        let backend = try #require(configuration.proxyWorkers.first { $0.host == "backend" })
        #expect(backend.scheme == "http")
        #expect(backend.port == 8080)
        #expect(backend.connectTimeoutSeconds == 2)
        #expect(backend.timeoutSeconds == 20)
        let v6 = try #require(configuration.proxyWorkers.first { $0.host == "::1" })
        #expect(v6.scheme == "https")
        #expect(v6.port == 443)
        #expect(v6.connectTimeoutSeconds == 0.25)
        #expect(v6.timeoutSeconds == nil)
    }

    @Test func badProxySetLinesAreErrors() throws {
        let tree = TemporaryTree()
        #expect(try #require(tree.error("ProxySet ftp://h connectiontimeout=1\n")).message
            == "ProxySet: 'ftp://h' is not an http:// or https:// URL")
        #expect(try #require(tree.error("ProxySet http://h retry=5\n")).message
            == "ProxySet: parameter 'retry' is not supported (connectiontimeout, timeout are)")
        #expect(try #require(tree.error("ProxySet http://h connectiontimeout=soon\n")).message
            == "ProxySet: connectiontimeout: 'soon' is not a time in seconds greater than 0")
        #expect(try #require(tree.error("ProxySet http://h\n")).kind == .badArguments)
    }

    @Test func sslProxyDirectives() throws {
        let tree = TemporaryTree()
        let defaults = try tree.load("")
        #expect(defaults.sslProxyCACertificateFile == nil)
        #expect(defaults.sslProxyVerify)
        #expect(defaults.sslProxyCheckPeerName)
        _ = tree.write("conf/ca.pem", "-----BEGIN CERTIFICATE-----\n")
        let set = try tree.load("SSLProxyCACertificateFile conf/ca.pem\nSSLProxyVerify none\nSSLProxyCheckPeerName off\n")
        #expect(set.sslProxyCACertificateFile?.hasSuffix("/conf/ca.pem") == true)
        #expect(!set.sslProxyVerify)
        #expect(!set.sslProxyCheckPeerName)
        #expect(try #require(tree.error("SSLProxyCACertificateFile conf/missing.pem\n")).message.contains("does not exist"))
        #expect(try #require(tree.error("SSLProxyVerify optional\n")).kind == .badArguments)
    }
}
