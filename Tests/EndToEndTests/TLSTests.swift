import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// HTTPS end to end: SNI choosing between two virtual hosts (and their certificates),
/// plain HTTP on the TLS port, Host/SNI agreement, SSLProtocol, client certificates, and
/// `-t` errors. Certificates from `TestCertificates`; clients are curl and openssl.
@Suite(.serialized) struct TLSTests {
    /// Two name-based TLS virtual hosts on one `Listen 127.0.0.1:0 https`; `extra` goes
    /// into the main server (and so to both hosts).
    static func config(_ certificates: TestCertificates, extra: String = "", hostExtra: String = "") -> String {
        TestConfig.standard(
            """
            \(extra)
            <VirtualHost *>
                ServerName a.test
                SSLEngine on
                SSLCertificateFile "\(certificates.certificate("a.test"))"
                SSLCertificateKeyFile "\(certificates.key("a.test"))"
                \(hostExtra)
            </VirtualHost>
            <VirtualHost *>
                ServerName b.test
                ServerAlias www.b.test
                SSLEngine on
                SSLCertificateFile "\(certificates.certificate("b.test"))"
                SSLCertificateKeyFile "\(certificates.key("b.test"))"
                \(hostExtra)
            </VirtualHost>
            """, listen: false
        ).replacingOccurrences(of: "# no Listen here", with: "Listen 127.0.0.1:0 https")
    }

    static func start(_ extra: String = "", hostExtra: String = "") throws -> (DaemonProcess, TestCertificates) {
        let certificates = try TestCertificates.get()
        let daemon = try DaemonProcess.start(config(certificates, extra: extra, hostExtra: hostExtra)) { root in
            try TestConfig.writeSite(root)
        }
        return (daemon, certificates)
    }

    static func curlHTTPS(
        _ daemon: DaemonProcess, _ certificates: TestCertificates, name: String,
        path: String = "/", extra: [String] = []
    ) throws -> CommandResult {
        try curl(
            [
                "--cacert", certificates.caCertificate, "--resolve", "\(name):\(daemon.port):127.0.0.1",
                "-v", "https://\(name):\(daemon.port)\(path)",
            ] + extra)
    }

    @Test func sniChoosesTheVirtualHostAndItsCertificate() throws {
        let (daemon, certificates) = try Self.start("LogLevel debug")
        let a = try Self.curlHTTPS(daemon, certificates, name: "a.test")
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.stdout == TestConfig.indexBody)
        #expect(a.stderr.contains("subject: O=isapid tests; CN=a.test"), "\(a.stderr)")
        let b = try Self.curlHTTPS(daemon, certificates, name: "b.test")
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.stderr.contains("subject: O=isapid tests; CN=b.test"), "\(b.stderr)")
        // openssl names the certificate SNI chose, too.
        let sclient = try runCommand(
            URL(fileURLWithPath: "/usr/bin/openssl"),
            [
                "s_client", "-connect", "127.0.0.1:\(daemon.port)", "-servername", "b.test",
                "-CAfile", certificates.caCertificate, "-verify_return_error", "-brief",
            ],
            timeout: 20)
        #expect(
            sclient.stderr.contains("CN = b.test") || sclient.stdout.contains("CN = b.test"),
            "\(sclient.stdout)\n\(sclient.stderr)")
        #expect(eventually(timeout: 5) { daemon.root.read("logs/access_log").contains("\"GET / HTTP/1.1\" 200") })
        // What the connection learnt (TLSSessionInfo): protocol and cipher off the hellos, SNI.
        #expect(
            eventually(timeout: 5) {
                daemon.root.read("logs/error_log").contains(
                    "TLS handshake done: TLSv1.3 TLS_AES_256_GCM_SHA384 Initial, client certificate NONE for a.test")
            }, "\(daemon.root.read("logs/error_log"))")
        let tls12 = try Self.curlHTTPS(daemon, certificates, name: "b.test", extra: ["--tls-max", "1.2"])
        #expect(tls12.status == 0, "\(tls12.stderr)")
        #expect(
            eventually(timeout: 5) {
                daemon.root.read("logs/error_log").contains("TLS handshake done: TLSv1.2 ECDHE-RSA-AES")
            }, "\(daemon.root.read("logs/error_log"))")
    }

    /// Files above the in-memory limit leave through NIOSSL as read slices (it cannot
    /// sendfile): every byte arrives, %b counts them, and a range works the same way.
    @Test func largeFilesAreSentEncrypted() throws {
        let (daemon, certificates) = try Self.start()
        // 3 MiB + 7 of a pattern no slice boundary can hide.
        let line = (0..<64).map { String(format: "%02x", $0) }.joined() + "\n"  // 129 bytes
        var contents = String(repeating: line, count: (3 << 20) / line.utf8.count + 1)
        contents += "tail!!\n"
        try daemon.root.write("htdocs/large.txt", contents)
        let full = try Self.curlHTTPS(daemon, certificates, name: "a.test", path: "/large.txt")
        #expect(full.status == 0, "\(full.stderr)")
        #expect(full.stdout.utf8.count == contents.utf8.count)
        #expect(full.stdout == contents)
        let range = try Self.curlHTTPS(
            daemon, certificates, name: "a.test", path: "/large.txt", extra: ["-r", "300000-2000000"])
        #expect(range.stdout == String(contents.utf8.dropFirst(300_000).prefix(1_700_001))!)
        #expect(
            eventually(timeout: 5) {
                daemon.root.read("logs/access_log").contains("\"GET /large.txt HTTP/1.1\" 200 \(contents.utf8.count)")
            }, "\(daemon.root.read("logs/access_log"))")
    }

    @Test func anUnknownNameGetsTheAddressesDefaultHost() throws {
        let (daemon, certificates) = try Self.start()
        let other = try Self.curlHTTPS(daemon, certificates, name: "c.test", extra: ["--insecure"])
        #expect(other.status == 0, "\(other.stderr)")
        #expect(other.stderr.contains("CN=a.test"), "\(other.stderr)")
    }

    @Test func plainHTTPOnTheTLSPortGetsApachesBadRequest() throws {
        let (daemon, _) = try Self.start()
        let response = try daemon.request("GET /a.txt HTTP/1.1\r\nHost: a.test\r\n\r\n")
        #expect(response.status == 400)
        #expect(response.header("Connection") == "close")
        #expect(
            response.bodyText.contains(
                "Reason: You're speaking plain HTTP to an SSL-enabled server port.<br />\n"
                    + " Instead use the HTTPS scheme to access this URL, please.<br />"))
        #expect(eventually(timeout: 5) { daemon.root.read("logs/access_log").contains("\"GET /a.txt HTTP/1.1\" 400 ") })
        #expect(
            eventually(timeout: 5) {
                daemon.root.read("logs/error_log").contains("HTTP spoken on HTTPS port; trying to send HTML error page")
            })
        // The daemon serves on.
        let (a, certificates) = (daemon, try TestCertificates.get())
        #expect(try Self.curlHTTPS(a, certificates, name: "a.test").status == 0)
    }

    @Test func hostMustAgreeWithSNI() throws {
        let (daemon, certificates) = try Self.start()
        let misdirected = try Self.curlHTTPS(daemon, certificates, name: "a.test", extra: ["-H", "Host: b.test"])
        #expect(misdirected.stderr.contains("< HTTP/1.1 421 Misdirected Request"), "\(misdirected.stderr)")
        #expect(misdirected.stdout.contains("does not match\nthe Server Name Indication (SNI)"))
        // The same virtual host through an alias is fine.
        let alias = try Self.curlHTTPS(daemon, certificates, name: "b.test", extra: ["-H", "Host: www.b.test"])
        #expect(alias.stderr.contains("< HTTP/1.1 200 OK"), "\(alias.stderr)")
        #expect(eventually(timeout: 5) { daemon.root.read("logs/error_log").contains("IS02105") })
    }

    @Test func tls13OnlyRefusesATLS12Client() throws {
        let (daemon, certificates) = try Self.start("SSLProtocol -all +TLSv1.3")
        let old = try Self.curlHTTPS(daemon, certificates, name: "a.test", extra: ["--tls-max", "1.2"])
        #expect(old.status != 0, "a TLS 1.2 client was served")
        let new = try Self.curlHTTPS(daemon, certificates, name: "a.test")
        #expect(new.status == 0, "\(new.stderr)")
        #expect(new.stderr.contains("TLSv1.3"), "\(new.stderr)")
        #expect(eventually(timeout: 5) { daemon.root.read("logs/error_log").contains("IS02102") })
    }

    @Test func requiredClientCertificates() throws {
        let certificates = try TestCertificates.get()
        let (daemon, _) = try Self.start(
            """
            LogLevel info
            SSLVerifyClient require
            SSLCACertificateFile "\(certificates.caCertificate)"
            """)
        let without = try Self.curlHTTPS(daemon, certificates, name: "a.test")
        #expect(without.status != 0 && !without.stdout.contains("isapid e2e index"), "served without a certificate")
        let with = try Self.curlHTTPS(
            daemon, certificates, name: "a.test",
            extra: [
                "--cert", certificates.certificate("client"),
                "--key", certificates.key("client"),
            ])
        #expect(with.status == 0, "\(with.stderr)")
        #expect(with.stdout == TestConfig.indexBody)
    }

    /// SSLVerifyDepth as mod_ssl counts it: the test client's certificate is signed
    /// directly by the configured CA (depth 1), so 0 refuses it and 1 (the default) takes it;
    /// a certificate from another issuer is refused whatever the depth.
    @Test(arguments: [(0, false), (1, true)])
    func verifyDepthIsHonoured(depth: Int, served: Bool) throws {
        let certificates = try TestCertificates.get()
        let (daemon, _) = try Self.start(
            """
            LogLevel info
            SSLVerifyClient require
            SSLCACertificateFile "\(certificates.caCertificate)"
            SSLVerifyDepth \(depth)
            """)
        let result = try Self.curlHTTPS(
            daemon, certificates, name: "a.test",
            extra: ["--cert", certificates.certificate("client"), "--key", certificates.key("client")])
        #expect((result.status == 0 && result.stdout == TestConfig.indexBody) == served, "\(result.stderr)")
        // A server certificate is signed by the same CA but is not a client's to present
        // here with another key: a self-made pair stands for a stranger's certificate.
        let stranger = try Self.curlHTTPS(
            daemon, certificates, name: "a.test",
            extra: ["--cert", certificates.caCertificate, "--key", certificates.key("a.test")])
        #expect(stranger.status != 0, "a certificate whose key does not match was taken")
    }

    @Test func optionalClientCertificates() throws {
        let certificates = try TestCertificates.get()
        let (daemon, _) = try Self.start(
            """
            LogLevel debug
            SSLVerifyClient optional
            SSLCACertificateFile "\(certificates.caCertificate)"
            """, hostExtra: "")
        let clientCertificate = ["--cert", certificates.certificate("client"), "--key", certificates.key("client")]
        #expect(try Self.curlHTTPS(daemon, certificates, name: "a.test").stdout == TestConfig.indexBody)
        #expect(try Self.curlHTTPS(daemon, certificates, name: "a.test", extra: clientCertificate).status == 0)
        #expect(
            eventually(timeout: 5) {
                daemon.root.read("logs/error_log").contains("client certificate SUCCESS for a.test")
            })

        // optional_no_ca takes a certificate no CA here signed (a self-signed one).
        try certificates.openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=stranger",
            "-keyout", "stranger.key", "-out", "stranger.pem",
        ])
        let stranger = ["--cert", certificates.path("stranger.pem"), "--key", certificates.path("stranger.key")]
        #expect(
            try Self.curlHTTPS(daemon, certificates, name: "a.test", extra: stranger).status != 0,
            "optional verifies a certificate that is sent")
        let (generous, _) = try Self.start("LogLevel debug\nSSLVerifyClient optional_no_ca")
        #expect(
            try Self.curlHTTPS(generous, certificates, name: "b.test", extra: stranger).stdout == TestConfig.indexBody)
        #expect(
            eventually(timeout: 5) {
                generous.root.read("logs/error_log").contains("client certificate GENEROUS for b.test")
            }, "\(generous.root.read("logs/error_log"))")
    }

    @Test func strictSNIRefusesClientsWithoutSNI() throws {
        let (daemon, certificates) = try Self.start("SSLStrictSNIVHostCheck on")
        // An IP address in the URL: curl sends no SNI.
        let noSNI = try curl(["--insecure", "-v", "https://127.0.0.1:\(daemon.port)/"])
        #expect(noSNI.stderr.contains("< HTTP/1.1 403 Forbidden"), "\(noSNI.stderr)")
        #expect(eventually(timeout: 5) { daemon.root.read("logs/error_log").contains("IS02106") })
        #expect(try Self.curlHTTPS(daemon, certificates, name: "a.test").stdout == TestConfig.indexBody)
    }

    @Test func sessionsAreResumed() throws {
        let (daemon, certificates) = try Self.start("LogLevel debug")
        let session = certificates.path("session-\(daemon.port).pem")
        let common = [
            "s_client", "-connect", "127.0.0.1:\(daemon.port)", "-servername", "a.test", "-tls1_2",
            "-CAfile", certificates.caCertificate,
        ]
        let first = try runCommand(
            URL(fileURLWithPath: "/usr/bin/openssl"), common + ["-sess_out", session], timeout: 20)
        #expect(first.stdout.contains("New, TLSv1.2"), "\(first.stdout)")
        let second = try runCommand(
            URL(fileURLWithPath: "/usr/bin/openssl"), common + ["-sess_in", session], timeout: 20)
        #expect(second.stdout.contains("Reused, TLSv1.2"), "\(second.stdout)")
        #expect(
            eventually(timeout: 5) { daemon.root.read("logs/error_log").contains("Resumed, client certificate NONE") },
            "\(daemon.root.read("logs/error_log"))")
    }

    @Test func configTestReportsBadTLSFilesWithFileAndLine() throws {
        let certificates = try TestCertificates.get()
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        try root.writeConfig(Self.config(certificates, hostExtra: "SSLCipherSuite ECDHE+AESGCM:!aNULL"))
        let good = try runIsapid(["-t", "-f", "conf/httpd.conf", "-d", root.path])
        #expect(good.status == 0 && good.stdout.contains("Syntax OK"), "\(good.stderr)")
        // Without SSLCertificateKeyFile the key is read from SSLCertificateFile (after the certificate).
        let combined = try String(contentsOfFile: certificates.certificate("b.test"), encoding: .utf8)
            + String(contentsOfFile: certificates.key("b.test"), encoding: .utf8)
        try root.write("conf/b-combined.pem", combined)
        try root.writeConfig(
            Self.config(certificates)
                .replacingOccurrences(of: "SSLCertificateKeyFile \"\(certificates.key("b.test"))\"", with: "")
                .replacingOccurrences(of: certificates.certificate("b.test"), with: root.path("conf/b-combined.pem")))
        #expect(root.read("conf/httpd.conf").contains("b-combined.pem"))
        #expect(!root.read("conf/httpd.conf").contains("b.test.key"))
        let combinedTest = try runIsapid(["-t", "-f", "conf/httpd.conf", "-d", root.path])
        #expect(combinedTest.status == 0 && combinedTest.stdout.contains("Syntax OK"), "\(combinedTest.stderr)")
        let dump = try runIsapid(["-S", "-f", "conf/httpd.conf", "-d", root.path])
        #expect(dump.stdout.contains("*:*                    is a NameVirtualHost"), "\(dump.stdout)")
        #expect(dump.stdout.contains("Listen: 127.0.0.1:0 https"), "\(dump.stdout)")

        try root.writeConfig(Self.config(certificates, hostExtra: "SSLCipherSuite NOSUCHCIPHER"))
        let cipher = try runIsapid(["-t", "-f", "conf/httpd.conf", "-d", root.path])
        #expect(cipher.status != 0)
        let configLines = root.read("conf/httpd.conf").split(separator: "\n", omittingEmptySubsequences: false)
        let cipherLine = (configLines.firstIndex { $0.contains("NOSUCHCIPHER") } ?? -1) + 1
        #expect(
            cipher.stderr.contains("conf/httpd.conf:\(cipherLine): SSLCipherSuite: BoringSSL accepts no cipher suite"),
            "\(cipher.stderr)")

        // A key that does not belong to the certificate, then a missing one.
        let mismatched = Self.config(certificates).replacingOccurrences(
            of: "SSLCertificateKeyFile \"\(certificates.key("b.test"))\"",
            with: "SSLCertificateKeyFile \"\(certificates.key("a.test"))\"")
        try root.writeConfig(mismatched)
        let mismatch = try runIsapid(["-t", "-f", "conf/httpd.conf", "-d", root.path])
        #expect(mismatch.status != 0)
        #expect(mismatch.stderr.contains("does not match the certificate"), "\(mismatch.stderr)")

        try root.writeConfig(
            Self.config(certificates).replacingOccurrences(
                of: certificates.key("b.test"), with: root.path("conf/missing.key")))
        let missing = try runIsapid(["-t", "-f", "conf/httpd.conf", "-d", root.path])
        let missingLine =
            (root.read("conf/httpd.conf").split(separator: "\n", omittingEmptySubsequences: false)
                .firstIndex { $0.contains("missing.key") } ?? -1) + 1
        #expect(missing.status != 0)
        #expect(
            missing.stderr.contains("conf/httpd.conf:\(missingLine): SSLCertificateKeyFile: file '"),
            "\(missing.stderr)")
        #expect(missing.stderr.contains("does not exist or is empty"))
    }

    /// A graceful restart after the certificate was renewed serves the new one. Started as root with `User
    /// nobody` and a root-only key (`dropToNobody`), the parent, still root, starts a new
    /// serving process that reads the key before it drops to nobody (IS02107); else the
    /// process reloads in place.
    @Test(arguments: [false, true])
    func aReloadServesARenewedCertificate(dropToNobody: Bool) throws {
        guard !dropToNobody || getuid() == 0 else {
            print("TLSTests: the privilege-drop case needs root (a switch from root): skipped")
            return
        }
        let certificates = try TestCertificates.get()
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        let fm = FileManager.default
        func install(_ name: String) throws {
            for (source, target) in [
                (certificates.certificate(name), "conf/server.pem"), (certificates.key(name), "conf/server.key"),
            ] {
                try? fm.removeItem(atPath: root.path(target))
                try fm.copyItem(atPath: source, toPath: root.path(target))
            }
            #expect(chmod(root.path("conf/server.key"), 0o600) == 0)
        }
        try install("a.test")
        try root.writeConfig(
            TestConfig.standard(
                """
                \(dropToNobody ? "User nobody\nGroup nogroup" : "")
                SSLEngine on
                SSLCertificateFile conf/server.pem
                SSLCertificateKeyFile conf/server.key
                """, listen: false
            ).replacingOccurrences(of: "# no Listen here", with: "Listen 127.0.0.1:0 https"))
        let daemon = try DaemonProcess(root: root)
        defer { daemon.stop() }
        func servedSubject() throws -> String {
            let result = try curl(["--insecure", "-v", "-o", "/dev/null", "https://127.0.0.1:\(daemon.port)/"])
            return result.stderr.split(separator: "\n").first { $0.contains("subject:") }.map(String.init)
                ?? result.stderr
        }
        #expect(try servedSubject().contains("CN=a.test"))
        if dropToNobody {
            #expect(eventually(timeout: 5) { root.read("logs/error_log").contains("IS00562") }, "not serving as nobody")
        }
        try install("b.test")
        daemon.sendSignal(SIGUSR1)
        var subject = ""
        #expect(
            eventually(timeout: 10, interval: 0.1) {
                subject = (try? servedSubject()) ?? ""
                return subject.contains("CN=b.test")
            }, "still \(subject); error_log: \(root.read("logs/error_log"))")
        #expect(root.read("logs/error_log").contains("IS02107") == dropToNobody)
    }
}
