import Testing

@testable import ServerConfig

/// mod_ssl's directives: what they store, how virtual hosts inherit them, which listeners
/// speak TLS, and every error with its file and line. (The certificate files here are
/// placeholders: their contents are read by HTTPDaemon's TLS contexts, tested there.)
@Suite struct SSLDirectiveTests {
    /// A tree with non-empty placeholder PEM files under conf/.
    private func tree() -> TemporaryTree {
        let tree = TemporaryTree()
        for name in ["a.pem", "a.key", "b.pem", "chain.pem", "ca.pem"] { tree.write("conf/\(name)", "placeholder\n") }
        return tree
    }

    @Test func virtualHostsTakeTheMainServersSettingsAndKeepTheirOwnCertificates() throws {
        let tree = tree()
        let config = try tree.load(
            """
            Listen 127.0.0.1:8443 https
            SSLEngine on
            SSLCertificateFile conf/a.pem
            SSLCertificateKeyFile conf/a.key
            SSLProtocol -all +TLSv1.3
            SSLCipherSuite HIGH:!aNULL
            SSLVerifyClient require
            SSLCACertificateFile conf/ca.pem
            SSLVerifyDepth 100
            SSLStrictSNIVHostCheck on
            <VirtualHost *:8443>
                ServerName a.test
            </VirtualHost>
            <VirtualHost *:8443>
                ServerName b.test
                SSLCertificateFile conf/b.pem
                SSLCertificateChainFile conf/chain.pem
                SSLVerifyClient none
            </VirtualHost>
            """)
        let address = ListenAddress(host: "127.0.0.1", port: 8443)
        #expect(config.isTLS(address))
        let a = config.virtualHosts[0].ssl
        let b = config.virtualHosts[1].ssl
        #expect(a.isEnabled && b.isEnabled)
        #expect(a.certificateFile?.value == tree.root + "/conf/a.pem")
        #expect(a.certificateKeyFile?.value == tree.root + "/conf/a.key")
        #expect(a.certificateFile?.location.line == 3)
        #expect(b.certificateFile?.value == tree.root + "/conf/b.pem")
        #expect(b.certificateKeyFile == nil, "the main server's key does not belong to b's certificate")
        #expect(b.certificateChainFile?.value == tree.root + "/conf/chain.pem")
        #expect(a.effectiveProtocols == [.tlsv13])
        #expect(a.cipherSuite?.value == "HIGH:!aNULL")
        #expect(a.effectiveVerifyClient == .require)
        #expect(b.effectiveVerifyClient == .none)
        #expect(a.verifyDepth?.value == 100)
        #expect(a.effectiveStrictSNIVHostCheck)
    }

    @Test func listenProtocols() throws {
        let config = try tree().load(
            """
            Listen 80
            Listen 443
            Listen 127.0.0.1:8080 http
            Listen 8443 https
            Listen 9443 HTTPS
            <VirtualHost *:443>
                SSLEngine on
                SSLCertificateFile conf/a.pem
            </VirtualHost>
            <VirtualHost *:8443 *:9443>
                SSLEngine on
                SSLCertificateFile conf/a.pem
            </VirtualHost>
            """)
        #expect(config.listeners.count == 5)
        #expect(!config.isTLS(ListenAddress(host: nil, port: 80)))
        #expect(config.isTLS(ListenAddress(host: nil, port: 443)), "443 without a protocol is https, as in Apache")
        #expect(!config.isTLS(ListenAddress(host: "127.0.0.1", port: 8080)))
        #expect(config.isTLS(ListenAddress(host: nil, port: 8443)))
        #expect(config.isTLS(ListenAddress(host: nil, port: 9443)))
        #expect(config.listenLocations[ListenAddress(host: nil, port: 443)]?.line == 2)
    }

    @Test func anSSLVirtualHostMakesItsListenerSpeakTLSAsApacheDoes() throws {
        let config = try tree().load(
            """
            Listen 8443
            <VirtualHost *:8443>
                SSLEngine on
                SSLCertificateFile conf/a.pem
            </VirtualHost>
            """)
        #expect(config.isTLS(ListenAddress(host: nil, port: 8443)))
        #expect(config.hasTLS)
    }

    @Test func protocolSyntax() throws {
        func protocols(_ text: String) throws -> Set<SSLProtocolVersion> {
            let config = try tree().load("SSLProtocol \(text)\n")
            return config.mainHost.ssl.effectiveProtocols
        }
        #expect(try protocols("all") == [.tlsv12, .tlsv13])
        #expect(try protocols("all -SSLv3 -TLSv1 -TLSv1.1") == [.tlsv12, .tlsv13])
        #expect(try protocols("-all +TLSv1.2") == [.tlsv12])
        #expect(try protocols("TLSv1.3") == [.tlsv13])
        #expect(try protocols("all -TLSv1.3") == [.tlsv12])
        #expect(try tree().load("Listen 80\n").mainHost.ssl.effectiveProtocols == [.tlsv12, .tlsv13])
    }

    @Test func sslOptionsMergePerDirectory() throws {
        let tree = tree()
        tree.mkdir("htdocs/app")
        let config = try tree.load(
            """
            SSLOptions +StdEnvVars +FakeBasicAuth
            <Directory "htdocs/app">
                SSLOptions +ExportCertData -StdEnvVars
            </Directory>
            """)
        #expect(config.mainHost.defaults.effectiveSSLOptions == [.stdEnvVars, .fakeBasicAuth])
        let section = try #require(config.mainHost.directorySections.first)
        let merged = section.config.merged(over: config.mainHost.defaults)
        #expect(merged.effectiveSSLOptions == [.exportCertData, .fakeBasicAuth])
        let absolute = try tree.load("SSLOptions StdEnvVars\n").mainHost.defaults
        #expect(absolute.effectiveSSLOptions == [.stdEnvVars])
    }

    @Test func sessionCacheIsAcceptedAndSaysWhatBoringSSLDoes() throws {
        let config = try tree().load(
            """
            SSLSessionCache shmcb:logs/ssl_scache(512000)
            SSLSessionCacheTimeout 300
            """)
        #expect(config.sslSessionCache == .store("shmcb:logs/ssl_scache(512000)"))
        #expect(config.sslSessionCacheTimeout == 300)
        #expect(config.warnings.contains { $0.line == 2 && $0.message.contains("BoringSSL's own lifetimes") })
        let none = try tree().load("SSLSessionCache none\n")
        #expect(none.sslSessionCache == SSLSessionCacheSetting.none)
        #expect(none.warnings.contains { $0.line == 1 && $0.message.contains("cannot turn session resumption off") })
    }

    @Test(
        arguments: [
            (
                "SSLEngine optional\n", 1,
                "SSLEngine: 'optional' (an upgrade to TLS inside HTTP, RFC 2817) is not supported"
            ),
            ("SSLEngine maybe\n", 1, "SSLEngine: Argument must be On, Off, or Optional"),
            ("SSLCertificateFile conf/missing.pem\n", 1, "does not exist or is empty"),
            (
                "SSLCertificateFile conf/a.pem\nSSLCertificateFile conf/b.pem\n", 2,
                "SSLCertificateFile: a second certificate for the same host (another key type) is not supported"
            ),
            (
                "SSLProtocol +TLSv1.1\n", 1,
                "SSLProtocol: +TLSv1.1 cannot be served: swift-nio-ssl (BoringSSL) serves TLSv1.2 and TLSv1.3 only"
            ),
            ("SSLProtocol TLSv1\n", 1, "SSLProtocol: TLSv1 cannot be served"),
            ("SSLProtocol -all\n", 1, "SSLProtocol: no protocol left to serve (TLSv1.2, TLSv1.3)"),
            ("SSLProtocol +TLSv9\n", 1, "SSLProtocol: Illegal protocol '+TLSv9'"),
            ("SSLProtocol SSLv2\n", 1, "SSLProtocol: SSLv2 no longer supported"),
            (
                "SSLCipherSuite TLSv1.3 TLS_AES_256_GCM_SHA384\n", 1,
                "SSLCipherSuite: TLSv1.3 cipher suites are not configurable in BoringSSL"
            ),
            ("SSLCipherSuite SSLv9 HIGH\n", 1, "SSLCipherSuite: protocol 'SSLv9' is not known (SSL or TLSv1.3)"),
            ("SSLHonorCipherOrder on\n", 1, "SSLHonorCipherOrder: On is not supported"),
            ("SSLVerifyClient sometimes\n", 1, "SSLVerifyClient: Invalid argument 'sometimes'"),
            (
                "<Directory htdocs>\nSSLVerifyClient require\n</Directory>\n", 2,
                "SSLVerifyClient: per-directory client authentication needs a TLS renegotiation"
            ),
            ("SSLVerifyDepth x\n", 1, "SSLVerifyDepth: 'x' is not a number"),
            ("SSLOptions +Frob\n", 1, "SSLOptions: Illegal option 'Frob'"),
            ("SSLSessionCache nowhere\n", 1, "SSLSessionCache: 'nowhere' is not none, nonenotnull"),
            ("<VirtualHost *:80>\nSSLSessionCache none\n</VirtualHost>\n", 2, "SSLSessionCache not allowed here"),
            ("Listen 80 spdy\n", 1, "Listen: protocol 'spdy' is not supported (isapid speaks http and https)"),
            (
                "Listen 443\n<VirtualHost *:443>\nServerName a\n</VirtualHost>\n", 2,
                "<VirtualHost> a answers on the TLS listener 0.0.0.0:443 but has no SSLEngine on"
            ),
            (
                "Listen 8443 https\n", 1,
                "the main server answers on the TLS listener 0.0.0.0:8443 but has no SSLEngine on"
            ),
            ("Listen 8443 https\nSSLEngine on\n", 2, "SSLEngine on: no SSLCertificateFile for this host"),
            (
                "SSLEngine on\nSSLCertificateFile conf/a.pem\nSSLVerifyClient require\n", 3,
                "SSLVerifyClient require: no SSLCACertificateFile to verify client certificates against"
            ),
            (
                "SSLEngine on\nSSLCertificateFile conf/a.pem\nSSLVerifyClient optional\n", 3,
                "SSLVerifyClient optional: no SSLCACertificateFile"
            ),
        ] as [(String, Int, String)])
    func errorsNameTheFileAndLine(text: String, line: Int, message: String) throws {
        let tree = tree()
        let error = try #require(tree.error(text))
        #expect(error.file == tree.root + "/conf/httpd.conf")
        #expect(error.line == line)
        #expect(error.message.contains(message), "\(error.message)")
    }

    @Test func optionalNoCANeedsNoCAFile() throws {
        let config = try tree().load("SSLEngine on\nSSLCertificateFile conf/a.pem\nSSLVerifyClient optional_no_ca\n")
        #expect(config.mainHost.ssl.effectiveVerifyClient == .optionalNoCA)
    }
}
