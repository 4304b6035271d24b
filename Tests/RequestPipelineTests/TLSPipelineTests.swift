import Foundation
import Testing
import ServerConfig
@testable import RequestPipeline

/// What the pipeline does with a request that came over TLS: the variables extensions,
/// rewrite rules and logs see, and the scheme of every URL the server builds itself.
@Suite struct TLSPipelineTests {
    final class Capture: RequestHandler, @unchecked Sendable {
        var context: RequestContext?
        func handle(_ context: inout RequestContext, pipeline: Pipeline) -> Response {
            self.context = context
            return Response(status: 200)
        }
    }

    /// The context a handler gets for `target`, and the pipeline's configuration.
    static func captured(_ request: IncomingRequest, extraConfig: String = "") throws -> (RequestContext, Pipeline) {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/app.dll", "x")
        let capture = Capture()
        let pipeline = try tree.pipeline("DocumentRoot \(tree.htdocs)\nAddHandler capture .dll\n" + extraConfig,
                                         handlers: ["capture": capture])
        _ = pipeline.process(request)
        return (try #require(capture.context), pipeline)
    }

    @Test func cgiEnvironmentOnTLS() throws {
        var (context, pipeline) = try Self.captured(TLSSample.request("/app.dll", tls: TLSSample.session(client: TLSSample.client)))
        var env = CGIEnvironment(context, configuration: pipeline.configuration)
        #expect(env["REQUEST_SCHEME"] == "https")
        #expect(env["HTTPS"] == "on", "mod_ssl sets HTTPS whatever SSLOptions says")
        #expect(env["SSL_PROTOCOL"] == nil, "SSL_* only under SSLOptions +StdEnvVars")
        #expect(env["SERVER_PORT"] == "443")
        context.directoryConfig.sslOptions = SSLOptionsSetting(added: [.stdEnvVars])
        env = CGIEnvironment(context, configuration: pipeline.configuration)
        #expect(env["SSL_PROTOCOL"] == "TLSv1.3")
        #expect(env["SSL_CLIENT_S_DN_CN"] == "Alice, Smith")
        #expect(env["SSL_CLIENT_VERIFY"] == "SUCCESS")
        #expect(env["SSL_CLIENT_CERT"] == nil)
        context.directoryConfig.sslOptions = SSLOptionsSetting(added: [.stdEnvVars, .exportCertData])
        env = CGIEnvironment(context, configuration: pipeline.configuration)
        #expect(env["SSL_CLIENT_CERT"]?.hasPrefix("-----BEGIN CERTIFICATE-----") == true)
        // ALL_HTTP is built from HTTP_* only: the TLS variables never appear there.
        #expect(!env.variables.contains { $0.name.hasPrefix("HTTP_") && $0.name.contains("SSL") })
    }

    @Test func cgiEnvironmentOnPlainHTTP() throws {
        let (context, pipeline) = try Self.captured(TestRequest.make("/app.dll"))
        let env = CGIEnvironment(context, configuration: pipeline.configuration)
        #expect(env["REQUEST_SCHEME"] == "http")
        #expect(env["HTTPS"] == nil)
    }

    @Test func isapiRequestCarriesIISVariablesAndTheCertificate() throws {
        var (context, pipeline) = try Self.captured(TLSSample.request("/app.dll", tls: TLSSample.session(client: TLSSample.client)))
        var request = ISAPIExtensionRun.request(context, configuration: pipeline.configuration)
        func value(_ name: String) -> String? {
            (request.variables + request.serverOnlyVariables).first { $0.name == name }?.value
        }
        #expect(value("HTTPS") == "on")
        #expect(value("SERVER_PORT_SECURE") == "1")
        #expect(value("CERT_SUBJECT") == TLSSample.client.subjectIIS)
        #expect(value("CERT_FLAGS") == "1")
        #expect(value("HTTPS_KEYSIZE") == "256")
        #expect(value("SSL_PROTOCOL") == nil)
        #expect(request.clientCertificate?.derEncoded == [1, 2, 3])
        #expect(request.clientCertificate?.flags == 1)
        context.directoryConfig.sslOptions = SSLOptionsSetting(added: [.stdEnvVars])
        request = ISAPIExtensionRun.request(context, configuration: pipeline.configuration)
        #expect(value("SSL_CIPHER") == "TLS_AES_256_GCM_SHA384")

        let (plain, plainPipeline) = try Self.captured(TestRequest.make("/app.dll"))
        request = ISAPIExtensionRun.request(plain, configuration: plainPipeline.configuration)
        #expect(value("HTTPS") == "off")
        #expect(value("SERVER_PORT_SECURE") == "0")
        #expect(value("CERT_FLAGS") == "")
        #expect(request.clientCertificate == nil)
    }

    @Test func selfReferentialRedirectsSayHTTPS() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.mkdir("htdocs/sub")
        let pipeline = try tree.pipeline("""
            DocumentRoot \(tree.htdocs)
            ServerName www.example.test
            Redirect /moved /elsewhere
            RewriteEngine On
            RewriteRule ^/rw$ /target [R=301]
            RewriteCond %{HTTPS} off
            RewriteRule ^/secure$ https://%{HTTP_HOST}%{REQUEST_URI} [R=301,L]
            RewriteRule ^/scheme$ /s-%{REQUEST_SCHEME}-%{SSL:SSL_PROTOCOL}-%{SSL:SSL_CLIENT_S_DN_CN} [R]
            """)
        func location(_ request: IncomingRequest) -> String? { pipeline.process(request).1.headers["Location"] }
        #expect(location(TLSSample.request("/sub")) == "https://www.example.test/sub/")
        #expect(location(TLSSample.request("/sub", host: "www.example.test:8443")) == "https://www.example.test:8443/sub/")
        #expect(location(TLSSample.request("/moved")) == "https://www.example.test/elsewhere")
        #expect(location(TLSSample.request("/rw")) == "https://www.example.test/target")
        #expect(location(TLSSample.request("/rw", host: "www.example.test:443")) == "https://www.example.test/target")
        #expect(location(TestRequest.make("/rw")) == "http://www.example.test/target")
        // The usual "force HTTPS" rule: redirects plain HTTP only.
        #expect(location(TestRequest.make("/secure")) == "https://www.example.test/secure")
        #expect(pipeline.process(TLSSample.request("/secure")).1.status == 404)
        let tls = TLSSample.session(client: TLSSample.client)
        #expect(location(TLSSample.request("/scheme", tls: tls)) == "https://www.example.test/s-https-TLSv1.3-Alice,%20Smith")
        #expect(location(TestRequest.make("/scheme")) == "http://www.example.test/s-http--")
    }

    @Test func httpdIniSeesHTTPS() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("conf/httpd.ini", """
            [ISAPI_Rewrite]
            RewriteCond %HTTPS ^off$
            RewriteRule /login(.*) https\\://secure.example.test/login$1 [I,RP]
            RewriteCond %SERVER_PORT_SECURE ^1$
            RewriteCond %CERT_FLAGS ^1$
            RewriteRule /whoami /id-ok [I,R]
            """)
        let pipeline = try tree.pipeline("DocumentRoot htdocs\n")
        let plain = pipeline.process(TestRequest.make("/login/x")).1
        #expect(plain.status == 301)
        #expect(plain.headers["Location"] == "https://secure.example.test/login/x")
        #expect(pipeline.process(TLSSample.request("/login/x")).1.status == 404)
        let withCertificate = pipeline.process(TLSSample.request("/whoami", tls: TLSSample.session(client: TLSSample.client))).1
        #expect(withCertificate.status == 302)
        #expect(withCertificate.headers["Location"] == "https://www.example.test/id-ok")
        #expect(pipeline.process(TLSSample.request("/whoami")).1.status == 404)
    }

    @Test func headerValuesReadTLSVariables() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/index.html", "hi")
        let pipeline = try tree.pipeline("""
            DocumentRoot \(tree.htdocs)
            Header always set X-TLS "%{SSL_PROTOCOL}s %{SSL_CLIENT_S_DN_CN}s %{HTTPS}e"
            """)
        let tls = TLSSample.session(client: TLSSample.client)
        #expect(pipeline.process(TLSSample.request("/index.html", tls: tls)).1.headers["X-TLS"] == "TLSv1.3 Alice, Smith on")
        #expect(pipeline.process(TestRequest.make("/index.html")).1.headers["X-TLS"] == "(null) (null) (null)")
    }

    @Test func accessLogReadsTLSVariables() throws {
        var (context, _) = try Self.captured(TLSSample.request("/app.dll", tls: TLSSample.session(client: TLSSample.client)))
        context.directoryConfig.sslOptions = SSLOptionsSetting(added: [.stdEnvVars])
        let record = AccessLogRecordBuilder.record(context, response: Response(status: 200), bytesSent: 0,
                                                   connection: .close, serverPort: 443)
        let format = try AccessLogFormat(
            "%{SSL_PROTOCOL}x %{SSL_CIPHER}x %{HTTPS}x %{SSL_CLIENT_S_DN_CN}x %{version}c %{subjectdn}c %{HTTPS}e %{SSL_PROTOCOL}e %{SSL_TLS_SNI}x")
        #expect(format.format(record)
                == "TLSv1.3 TLS_AES_256_GCM_SHA384 on Alice, Smith TLSv1.3 \(TLSSample.client.subjectDN.replacingOccurrences(of: "\\", with: "\\\\")) on TLSv1.3 www.example.test")
        let (plain, _) = try Self.captured(TestRequest.make("/app.dll"))
        let plainRecord = AccessLogRecordBuilder.record(plain, response: Response(status: 200), bytesSent: 0,
                                                        connection: .close, serverPort: 80)
        #expect(format.format(plainRecord) == "- - off - - - - - -")
    }
}
