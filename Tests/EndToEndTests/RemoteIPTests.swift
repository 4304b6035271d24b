import Foundation
import Testing

/// mod_remoteip end to end: curl from 127.0.0.1 with `X-Forwarded-For`, to a virtual host
/// that trusts 127.0.0.1 and to one that does not. The extension's REMOTE_ADDR and the
/// access log show the client behind the trusted proxy; the other host ignores the header.
@Suite struct RemoteIPTests {
    static func config(_ root: ServerRoot) -> String {
        ISAPITests.config(root, extra: """
            LogFormat "%v %a %{c}a \\"%{X-Forwarded-For}i\\" %r" remoteip
            CustomLog "logs/remoteip_log" remoteip
            LogLevel remoteip:trace1
            RemoteIPHeader X-Forwarded-For
            <VirtualHost *>
                ServerName trusting.test
                RemoteIPTrustedProxy 127.0.0.1
            </VirtualHost>
            <VirtualHost *>
                ServerName other.test
                RemoteIPTrustedProxy 192.0.2.1
            </VirtualHost>
            """)
    }

    static func curl(_ daemon: DaemonProcess, host: String, forwardedFor: String) throws -> String {
        let result = try runCommand(URL(fileURLWithPath: "/usr/bin/curl"), [
            "-sS", "--max-time", "10", "-H", "Host: \(host)", "-H", "X-Forwarded-For: \(forwardedFor)",
            "http://127.0.0.1:\(daemon.port)/scripts/servervars.dll",
        ], timeout: 20)
        #expect(result.status == 0, "curl: \(result.stderr)")
        return result.stdout
    }

    @Test func aTrustedProxysClientReachesTheExtensionAndTheLog() throws {
        let daemon = try ISAPITests.start(["servervars"], config: Self.config)
        defer { daemon.stop() }

        let trusted = try Self.curl(daemon, host: "trusting.test", forwardedFor: "203.0.113.5")
        #expect(trusted.components(separatedBy: "\n").contains("REMOTE_ADDR=203.0.113.5"), "\(trusted)")
        let ignored = try Self.curl(daemon, host: "other.test", forwardedFor: "203.0.113.5")
        #expect(ignored.components(separatedBy: "\n").contains("REMOTE_ADDR=127.0.0.1"), "\(ignored)")

        let expected = [
            #"trusting.test 203.0.113.5 127.0.0.1 "-" GET /scripts/servervars.dll HTTP/1.1"#,
            #"other.test 127.0.0.1 127.0.0.1 "203.0.113.5" GET /scripts/servervars.dll HTTP/1.1"#,
        ]
        let logged = eventually(timeout: 5) {
            daemon.root.read("logs/remoteip_log").split(separator: "\n").map(String.init) == expected
        }
        #expect(logged, "\(daemon.root.read("logs/remoteip_log"))")
        // The error log names the client, with port 0 (unknown behind the proxy), as Apache's.
        let traced = eventually(timeout: 5) {
            daemon.errorLog.split(separator: "\n").contains {
                $0.contains("[client 203.0.113.5:0]") && $0.contains("IS02150")
                    && $0.contains("Using 203.0.113.5 as client's IP by proxies 127.0.0.1")
            }
        }
        #expect(traced, "\(daemon.errorLog)")
    }
}

/// The same requests to Apache 2.4 (Debian's apache2 with mod_remoteip) and to isapid,
/// with the same mod_remoteip settings: their access logs must agree, field by field, on
/// the client, the peer, the header left and the proxies recorded.
@Suite struct RemoteIPApacheOracleTests {
    static let apacheBinary = "/usr/sbin/apache2"
    static let apacheModules = "/usr/lib/apache2/modules"
    static var apacheInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: apacheBinary)
            && FileManager.default.fileExists(atPath: apacheModules + "/mod_remoteip.so")
    }

    /// The mod_remoteip part both servers read; `address` is the `<VirtualHost>` address.
    static func remoteIPConfig(address: String) -> String {
        """
        RemoteIPHeader X-Forwarded-For
        RemoteIPProxiesHeader X-Forwarded-By
        LogFormat "%q|%v|%a|%{c}a|%h|%{c}h|%{X-Forwarded-For}i|%{X-Forwarded-By}i|%{remoteip-proxy-ip-list}n" rip
        CustomLog "logs/rip_log" rip
        <VirtualHost \(address)>
            ServerName trusting.test
            RemoteIPTrustedProxy 127.0.0.1 198.51.100.7
            RemoteIPInternalProxy 203.0.113.0/24
        </VirtualHost>
        <VirtualHost \(address)>
            ServerName internal.test
            RemoteIPInternalProxy 127.0.0.1 10.0.0.0/8
            RemoteIPTrustedProxy 192.0.2.50
        </VirtualHost>
        <VirtualHost \(address)>
            ServerName open.test
        </VirtualHost>
        """
    }

    /// (Host, extra header lines) of each request, all from 127.0.0.1.
    static let cases: [(String, [String])] = [
        ("trusting.test", ["X-Forwarded-For: 192.0.2.33"]),
        ("trusting.test", ["X-Forwarded-For: 192.0.2.33, 198.51.100.7"]),
        ("trusting.test", ["X-Forwarded-For: 192.0.2.33, 198.51.100.99, 198.51.100.7"]),
        ("trusting.test", ["X-Forwarded-For: 10.0.0.1"]),
        ("trusting.test", ["X-Forwarded-For: 192.168.7.7, 203.0.113.9"]),
        ("trusting.test", ["X-Forwarded-For: garbage , 198.51.100.7"]),
        ("trusting.test", ["X-Forwarded-For: 192.0.2.1,,198.51.100.7"]),
        ("trusting.test", ["X-Forwarded-For: ,  198.51.100.7"]),
        ("trusting.test", ["X-Forwarded-For: 2001:DB8::1"]),
        ("trusting.test", ["X-Forwarded-For: fe80::1"]),
        ("trusting.test", ["X-Forwarded-For: 192.0.2.1:5678"]),
        ("trusting.test", ["X-Forwarded-For: [2001:db8::1]"]),
        ("trusting.test", []),
        ("trusting.test", ["X-Forwarded-For: 192.0.2.33", "X-Forwarded-For: 198.51.100.7"]),
        ("trusting.test", ["X-Forwarded-For: 192.0.2.33", "X-Forwarded-By: spoofed"]),
        ("internal.test", ["X-Forwarded-For: 10.0.0.1"]),
        ("internal.test", ["X-Forwarded-For: 192.168.1.1, 10.0.0.5"]),
        ("internal.test", ["X-Forwarded-For: 192.168.1.1, 192.0.2.50"]),
        ("internal.test", ["X-Forwarded-For: 198.51.100.1, 192.0.2.50"]),
        ("internal.test", ["X-Forwarded-By: spoofed"]),
        ("open.test", ["X-Forwarded-For: 192.0.2.33, 198.51.100.7"]),
        ("open.test", ["X-Forwarded-For: 127.0.0.5"]),
    ]

    /// Sends every case on its own connection (`/index.html?N` for case N) and returns the
    /// log lines, in case order, once all are written.
    static func replay(port: Int, log: () -> String) throws -> [String] {
        for (index, (host, headers)) in cases.enumerated() {
            let client = try RawClient(port: port)
            let extra = headers.map { $0 + "\r\n" }.joined()
            try client.send("GET /index.html?\(index) HTTP/1.1\r\nHost: \(host)\r\n\(extra)Connection: close\r\n\r\n")
            #expect(client.readResponses(1, timeout: 10).first?.status == 200, "\(host) \(headers)")
        }
        _ = eventually(timeout: 10) { log().split(separator: "\n").count >= cases.count }
        // A server writes a line after its response, so lines may be out of order: sort by case.
        return log().split(separator: "\n").map(String.init)
            .sorted { Int($0.dropFirst().prefix { $0 != "|" }) ?? -1 < Int($1.dropFirst().prefix { $0 != "|" }) ?? -1 }
    }

    @Test(.enabled(if: apacheInstalled, "needs Debian's apache2 (with mod_remoteip): apt-get install apache2"))
    func isapidLogsWhatApacheLogs() throws {
        let apache = try ApacheOracle(modules: ["mpm_event", "authz_core", "remoteip"]) { port in
            Self.remoteIPConfig(address: "*:\(port)")
        }
        defer { apache.stop() }
        #expect(apache.waitUntilListening(), "\(apache.root.read("logs/error_log"))")
        let apacheLines = try Self.replay(port: apache.port) { apache.root.read("logs/rip_log") }

        let daemon = try DaemonProcess.start(TestConfig.standard(Self.remoteIPConfig(address: "*"))) { root in
            try root.write("htdocs/index.html", "index\n")
        }
        defer { daemon.stop() }
        let isapidLines = try Self.replay(port: daemon.port) { daemon.root.read("logs/rip_log") }

        #expect(apacheLines.count == Self.cases.count)
        for (index, (apacheLine, isapidLine)) in zip(apacheLines, isapidLines).enumerated() {
            #expect(isapidLine == apacheLine, "case \(index): \(Self.cases[index])")
        }
        #expect(isapidLines.count == apacheLines.count)
    }
}
