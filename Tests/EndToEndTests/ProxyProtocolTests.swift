import Foundation
import Testing

/// `RemoteIPProxyProtocol On` end to end: a raw client sends a v1 PROXY header and then
/// its request; the extension's REMOTE_ADDR/REMOTE_PORT and the access log show the
/// client the header named, `%{c}a` the peer. A connection without the header is closed
/// and logged. With Debian's haproxy installed, the same through `send-proxy-v2`.
@Suite struct ProxyProtocolTests {
    static func config(_ root: ServerRoot) -> String {
        ISAPITests.config(root, extra: """
            LogFormat "%a %{c}a %{remote}p %r" pp
            CustomLog "logs/pp_log" pp
            RemoteIPProxyProtocol On
            """)
    }

    static func lines(_ text: String) -> [String] { text.components(separatedBy: "\n") }

    @Test func aV1HeaderThenARequestReachesTheExtensionAsTheClient() throws {
        let daemon = try ISAPITests.start(["servervars"], config: Self.config)
        defer { daemon.stop() }
        let response = try daemon.request("PROXY TCP4 203.0.113.9 127.0.0.1 51234 80\r\n"
            + "GET /scripts/servervars.dll HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        #expect(response.status == 200)
        #expect(Self.lines(response.bodyText).contains("REMOTE_ADDR=203.0.113.9"), "\(response.bodyText)")
        #expect(Self.lines(response.bodyText).contains("REMOTE_PORT=51234"), "\(response.bodyText)")
        let logged = eventually(timeout: 5) {
            daemon.root.read("logs/pp_log").contains("203.0.113.9 127.0.0.1 51234 GET /scripts/servervars.dll HTTP/1.1")
        }
        #expect(logged, "\(daemon.root.read("logs/pp_log"))")
    }

    @Test func aConnectionWithoutTheHeaderIsClosedAndLogged() throws {
        let daemon = try ISAPITests.start(["servervars"], config: Self.config)
        defer { daemon.stop() }
        let client = try daemon.connect()
        try client.send("GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(client.waitForClose(timeout: 5))
        #expect(client.buffer.isEmpty)
        #expect(eventually(timeout: 5) { daemon.errorLog.contains("IS02190") }, "\(daemon.errorLog)")
        // The daemon keeps serving those that send it.
        let response = try daemon.request("PROXY TCP4 203.0.113.9 127.0.0.1 51234 80\r\n"
            + "GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        #expect(response.status == 200)
    }

    static let haproxy = "/usr/sbin/haproxy"

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: haproxy),
                   "needs Debian's haproxy: apt-get install haproxy (make test-deps)"))
    func throughHAProxyWithSendProxyV2() throws {
        let daemon = try ISAPITests.start(["servervars"], config: Self.config)
        defer { daemon.stop() }
        let front = try LoopbackPort.unused()
        let root = daemon.root
        // HAProxy connects from 127.0.0.2: the peer (%{c}a) differs from the client (%a).
        try root.write("haproxy.cfg", """
            global
                maxconn 100
            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend web
                bind 127.0.0.1:\(front)
                default_backend isapid
            backend isapid
                server one 127.0.0.1:\(daemon.port) send-proxy-v2 source 127.0.0.2

            """)
        let balancer = Process()
        balancer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        balancer.arguments = ["python3", "-c",
                              "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
                              Self.haproxy, "-db", "-f", root.path("haproxy.cfg")]
        balancer.standardInput = FileHandle.nullDevice
        balancer.standardOutput = FileHandle.nullDevice
        balancer.standardError = FileHandle.nullDevice
        try balancer.run()
        defer {
            kill(balancer.processIdentifier, SIGTERM)
            if !eventually(timeout: 5, { !balancer.isRunning }) { kill(balancer.processIdentifier, SIGKILL) }
            balancer.waitUntilExit()
        }
        #expect(eventually(timeout: 10) { RawClient.canConnect(port: front) })
        let client = try RawClient(port: front)
        try client.send("GET /scripts/servervars.dll HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        let response = try #require(client.readResponses(1, timeout: 10).first)
        #expect(response.status == 200)
        #expect(Self.lines(response.bodyText).contains("REMOTE_ADDR=127.0.0.1"), "\(response.bodyText)")
        let port = Self.lines(response.bodyText).first { $0.hasPrefix("REMOTE_PORT=") }.flatMap { Int($0.dropFirst(12)) }
        #expect((port ?? 0) > 0)
        let logged = eventually(timeout: 5) {
            daemon.root.read("logs/pp_log").contains("127.0.0.1 127.0.0.2 \(port ?? -1) GET /scripts/servervars.dll")
        }
        #expect(logged, "\(daemon.root.read("logs/pp_log"))")
    }
}
