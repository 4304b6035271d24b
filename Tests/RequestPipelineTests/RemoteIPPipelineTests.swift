import Testing
import ServerConfig
@testable import RequestPipeline

/// mod_remoteip inside the pipeline: behind a trusted proxy, everything that asks for the
/// client (CGI/ISAPI variables, `%a`, `Require ip`, rewrite conditions) gets the address
/// the proxy reported; `%{c}a` and CONN_REMOTE_ADDR keep the peer; an untrusted peer's
/// header changes nothing.
@Suite struct RemoteIPPipelineTests {
    /// The test requests come from 127.0.0.1, port 40000.
    static func pipeline(_ tree: PipelineTree, _ extra: String = "", capture: CGIEnvironmentTests.Capture? = nil) throws -> Pipeline {
        tree.write("htdocs/app.cgi", "x")
        tree.write("htdocs/index.html", "index")
        tree.write("htdocs/client.txt", "client")
        tree.write("htdocs/peer.txt", "peer")
        return try tree.pipeline("""
            DocumentRoot \(tree.htdocs)
            AddHandler capture .cgi
            RemoteIPHeader X-Forwarded-For
            RemoteIPProxiesHeader X-Forwarded-By
            RemoteIPTrustedProxy 127.0.0.1
            \(extra)
            """, handlers: capture.map { ["capture": $0] } ?? [:])
    }

    static func log(_ context: RequestContext, _ format: String) throws -> String {
        let record = AccessLogRecordBuilder.record(context, response: Response(status: 200), bytesSent: 0,
                                                   connection: .close, serverPort: 80)
        return try AccessLogFormat(format).format(record)
    }

    static let logFormat = "%a %{c}a %h %{c}h %{remote}p \"%{X-Forwarded-For}i\" \"%{X-Forwarded-By}i\" %{remoteip-proxy-ip-list}n"

    @Test func behindATrustedProxyTheClientIsTheReportedAddress() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let capture = CGIEnvironmentTests.Capture()
        let pipeline = try Self.pipeline(tree, capture: capture)
        _ = pipeline.run("/app.cgi", headers: [("X-Forwarded-For", "203.0.113.5")])
        let context = try #require(capture.context)
        let env = CGIEnvironment(context, configuration: pipeline.configuration)
        #expect(env["REMOTE_ADDR"] == "203.0.113.5")
        // Apache's REMOTE_PORT is the connection's (c->client_addr).
        #expect(env["REMOTE_PORT"] == "40000")
        #expect(env["HTTP_X_FORWARDED_FOR"] == nil)
        #expect(env["HTTP_X_FORWARDED_BY"] == "127.0.0.1")
        #expect(context.request.connection.peerAddress == "127.0.0.1")
        #expect(context.logMetadata(id: "X")["client"] == "203.0.113.5:0")
        #expect(try Self.log(context, Self.logFormat) == #"203.0.113.5 127.0.0.1 203.0.113.5 127.0.0.1 0 "-" "127.0.0.1" 127.0.0.1"#)
    }

    @Test func theUntakenPartOfTheHeaderStays() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree)
        // 198.51.100.7 is not a trusted proxy: what it reports is left in the header.
        let (context, _) = pipeline.run("/index.html", headers: [("X-Forwarded-For", "203.0.113.5, 198.51.100.7")])
        #expect(try Self.log(context, Self.logFormat)
                == #"198.51.100.7 127.0.0.1 198.51.100.7 127.0.0.1 0 "203.0.113.5" "127.0.0.1" 127.0.0.1"#)
        // Repeated header lines are read as one list, as Apache merges them.
        let (merged, _) = pipeline.run("/index.html", headers: [("X-Forwarded-For", "203.0.113.5"),
                                                                ("X-Forwarded-For", "198.51.100.7")])
        #expect(merged.request.connection.remoteAddress == "198.51.100.7")
        #expect(merged.headers.values("X-Forwarded-For") == ["203.0.113.5"])
    }

    @Test func anUntrustedPeersHeaderIsIgnored() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree)
        let (context, _) = pipeline.run("/index.html", headers: [("X-Forwarded-For", "203.0.113.5")],
                                        remoteAddress: "192.0.2.99")
        #expect(context.request.connection.remoteAddress == "192.0.2.99")
        #expect(context.request.connection.peerAddress == nil)
        #expect(try Self.log(context, Self.logFormat) == #"192.0.2.99 192.0.2.99 192.0.2.99 192.0.2.99 40000 "203.0.113.5" "-" -"#)
    }

    @Test func requireIPSeesTheClient() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            <Directory "\(tree.htdocs)">
                Require ip 203.0.113.0/24
            </Directory>
            """)
        #expect(pipeline.run("/index.html", headers: [("X-Forwarded-For", "203.0.113.5")]).1.status == 200)
        #expect(pipeline.run("/index.html", headers: [("X-Forwarded-For", "198.51.100.1")]).1.status == 403)
        #expect(pipeline.run("/index.html").1.status == 403)
        // A client inside the range that is not behind a trusted proxy cannot claim it.
        #expect(pipeline.run("/index.html", headers: [("X-Forwarded-For", "203.0.113.5")], remoteAddress: "192.0.2.99").1.status
                == 403)
    }

    @Test func rewriteConditionsSeeTheClientAndTheConnection() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let pipeline = try Self.pipeline(tree, """
            RewriteEngine On
            RewriteCond %{REMOTE_ADDR} =203.0.113.5
            RewriteRule ^/who$ /client.txt [L]
            RewriteCond %{CONN_REMOTE_ADDR} =127.0.0.1
            RewriteRule ^/who$ /peer.txt [L]
            RewriteRule ^/port$ /index.html [E=PORT:%{REMOTE_PORT}]
            """)
        let behindProxy = pipeline.run("/who", headers: [("X-Forwarded-For", "203.0.113.5")])
        #expect(behindProxy.0.filePath == tree.htdocs + "/client.txt")
        let direct = pipeline.run("/who")
        #expect(direct.0.filePath == tree.htdocs + "/peer.txt")
        // mod_rewrite's REMOTE_PORT is the client's, unknown (0) behind a proxy.
        #expect(pipeline.run("/port", headers: [("X-Forwarded-For", "203.0.113.5")]).0.environment["PORT"] == "0")
        #expect(pipeline.run("/port").0.environment["PORT"] == "40000")
    }

    @Test func theSettingsOfTheChosenVirtualHostApply() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/index.html", "index")
        let pipeline = try tree.pipeline("""
            DocumentRoot \(tree.htdocs)
            <VirtualHost *:80>
                ServerName other.test
                RemoteIPHeader X-Forwarded-For
            </VirtualHost>
            """)
        let (main, _) = pipeline.process(TestRequest.make("/index.html", headers: [("X-Forwarded-For", "203.0.113.5")]))
        // TestRequest's Host (www.example.test) falls to the first virtual host, which has mod_remoteip on.
        #expect(main.request.connection.remoteAddress == "203.0.113.5")
        let plain = try tree.pipeline("DocumentRoot \(tree.htdocs)\n")
        let (untouched, _) = plain.run("/index.html", headers: [("X-Forwarded-For", "203.0.113.5")])
        #expect(untouched.request.connection.remoteAddress == "127.0.0.1")
        #expect(untouched.headers["X-Forwarded-For"] == "203.0.113.5")
    }
}
