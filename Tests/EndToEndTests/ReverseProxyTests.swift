import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The reverse proxy (`[P]`) on the event loop, end to end: slow upstreams hold no
/// extension thread, ProxyTimeout answers 504, https upstreams are trusted through
/// SSLProxyCACertificateFile, and bodies stream both ways.
@Suite struct ReverseProxyTests {
    /// A daemon with hello.dll, `ThreadsPerChild 4` and `/up/...` proxied to `upstream`.
    static func start(_ upstream: String, extra: String = "") throws -> DaemonProcess {
        try ISAPITests.start(
            ["hello"],
            config: { root in
                ISAPITests.config(
                    root,
                    extra: """
                        ThreadsPerChild 4
                        RewriteEngine On
                        RewriteRule ^/up/(.*)$ \(upstream)/$1 [P]
                        \(extra)
                        """)
            })
    }

    @Test func aSlowUpstreamHoldsNoExtensionThread() throws {
        let upstream = try GatedUpstream { connection in
            guard connection.readHead() != nil else { return }
            connection.waitForGate()
            connection.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow")
        }
        defer { upstream.stop() }
        let daemon = try Self.start("http://127.0.0.1:\(upstream.port)")
        defer { daemon.stop() }
        // Twice as many proxied requests as extension threads, all waiting on the upstream.
        let slow = try (0..<8).map { _ in try daemon.connect() }
        for client in slow { try client.send("GET /up/x HTTP/1.1\r\nHost: localhost\r\n\r\n") }
        #expect(
            eventually(timeout: 10) { upstream.headsRead == 8 }, "\(upstream.headsRead) requests reached the upstream")
        // Meanwhile 100 extension requests complete on the 4 threads.
        for index in 0..<100 {
            let response = try daemon.get("/scripts/hello.dll?n=\(index)")
            #expect(response.status == 200, "request \(index): \(response.status)")
            if response.status != 200 { break }
        }
        upstream.open()
        for client in slow {
            let response = client.readResponses(1, timeout: 10).first
            #expect(response?.status == 200)
            #expect(response?.bodyText == "slow")
        }
        #expect(
            eventually(timeout: 5) { daemon.root.read("logs/access_log").contains("\"GET /up/x HTTP/1.1\" 200 4 ") })
    }

    @Test func aSilentUpstreamIsA504AfterProxyTimeout() throws {
        let upstream = try GatedUpstream { connection in
            guard connection.readHead() != nil else { return }
            connection.waitForGate()
        }
        defer { upstream.stop() }
        let daemon = try Self.start("http://127.0.0.1:\(upstream.port)", extra: "ProxyTimeout 1")
        defer { daemon.stop() }
        let started = Date()
        let response = try daemon.request("GET /up/x HTTP/1.1\r\nHost: localhost\r\n\r\n", timeout: 10)
        #expect(response.status == 504)
        #expect(Date().timeIntervalSince(started) < 8)
        #expect(eventually(timeout: 5) { daemon.root.read("logs/error_log").contains("IS02204") })
        #expect(eventually(timeout: 5) { daemon.root.read("logs/access_log").contains("\"GET /up/x HTTP/1.1\" 504 ") })
    }

    @Test func anHTTPSUpstreamIsTrustedThroughSSLProxyCACertificateFile() throws {
        let (tlsUpstream, certificates) = try TLSTests.start()
        defer { tlsUpstream.stop() }
        let target = "https://127.0.0.1:\(tlsUpstream.port)"
        // The certificate names a.test, not the address: the name check is off here.
        let trusted = try Self.start(
            target,
            extra: """
                SSLProxyCACertificateFile "\(certificates.caCertificate)"
                SSLProxyCheckPeerName off
                """)
        defer { trusted.stop() }
        let response = try trusted.get("/up/a.txt")
        #expect(response.status == 200)
        #expect(response.bodyText == "alpha document\n")

        // Without the CA file the upstream's certificate is not trusted; with the name check
        // on, the address is not the name the certificate carries: both are 502.
        let untrusted = try Self.start(target, extra: "SSLProxyCheckPeerName off")
        defer { untrusted.stop() }
        #expect(try untrusted.get("/up/a.txt").status == 502)
        let wrongName = try Self.start(target, extra: "SSLProxyCACertificateFile \"\(certificates.caCertificate)\"")
        defer { wrongName.stop() }
        #expect(try wrongName.get("/up/a.txt").status == 502)
        #expect(eventually(timeout: 5) { untrusted.root.read("logs/error_log").contains("IS02207") })
        #expect(eventually(timeout: 5) { wrongName.root.read("logs/error_log").contains("IS02207") })
        // SSLProxyVerify none (mod_ssl's default) takes any certificate.
        let unchecked = try Self.start(target, extra: "SSLProxyVerify none")
        defer { unchecked.stop() }
        #expect(try unchecked.get("/up/a.txt").bodyText == "alpha document\n")
    }

    @Test func theFirstBytesOfALargeBodyReachTheClientBeforeTheUpstreamFinished() throws {
        let total = 2_000_000
        let first = 100_000
        let upstream = try GatedUpstream { connection in
            guard connection.readHead() != nil else { return }
            connection.write("HTTP/1.1 200 OK\r\nContent-Length: \(total)\r\n\r\n")
            connection.write([UInt8](repeating: UInt8(ascii: "a"), count: first))
            connection.waitForGate()
            connection.write([UInt8](repeating: UInt8(ascii: "b"), count: total - first))
        }
        defer { upstream.stop() }
        let daemon = try Self.start("http://127.0.0.1:\(upstream.port)")
        defer { daemon.stop() }
        let client = try daemon.connect()
        try client.send("GET /up/big HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let firstArrived = client.read(timeout: 10) { bytes in
            bytes.filter { $0 == UInt8(ascii: "a") }.count >= first
        }
        #expect(firstArrived, "the first \(first) bytes did not arrive while the upstream waited")
        upstream.open()
        let response = client.readResponses(1, timeout: 20).first
        #expect(response?.status == 200)
        #expect(response?.body.count == total)
    }

    @Test func aLargeClientBodyReachesTheUpstreamAsItArrives() throws {
        let total = 4_000_000
        let first = 300_000
        let upstream = try GatedUpstream { connection in
            guard let length = connection.readHead(), connection.readBody(length) else { return }
            connection.write("HTTP/1.1 200 OK\r\nContent-Length: \("got \(length)".utf8.count)\r\n\r\ngot \(length)")
        }
        defer { upstream.stop() }
        let daemon = try Self.start("http://127.0.0.1:\(upstream.port)")
        defer { daemon.stop() }
        let client = try daemon.connect()
        try client.send("POST /up/upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(total)\r\n\r\n")
        try client.send([UInt8](repeating: 1, count: first))
        // The upstream reads what was sent before the client sent the rest.
        #expect(
            eventually(timeout: 10) { upstream.bodyBytesRead >= first - 64 * 1024 },
            "the upstream had \(upstream.bodyBytesRead) bytes")
        try client.send([UInt8](repeating: 2, count: total - first))
        let response = client.readResponses(1, timeout: 20).first
        #expect(response?.status == 200)
        #expect(response?.bodyText == "got \(total)")
    }

    @Test func aReloadSwapsTheProxysSettingsAndItsPools() throws {
        let upstream = try DaemonProcess.start(TestConfig.standard())
        defer { upstream.stop() }
        let daemon = try Self.start("http://127.0.0.1:\(upstream.port)")
        defer { daemon.stop() }
        #expect(try daemon.get("/up/a.txt").bodyText == "alpha document\n")
        let config = daemon.root.read("conf/httpd.conf")
            .replacingOccurrences(
                of: "^/up/(.*)$ http://127.0.0.1:\(upstream.port)/$1",
                with: "^/up/ http://127.0.0.1:\(upstream.port)/b.txt")
        try daemon.root.writeConfig(config)
        daemon.sendSignal(SIGHUP)
        #expect(
            eventually(timeout: 5) { (try? daemon.get("/up/a.txt"))?.bodyText.hasPrefix("bravo") == true },
            "error log: \(daemon.root.read("logs/error_log"))")
        #expect(daemon.isRunning)
    }
}
