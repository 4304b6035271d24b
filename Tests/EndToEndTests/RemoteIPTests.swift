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
    }
}
