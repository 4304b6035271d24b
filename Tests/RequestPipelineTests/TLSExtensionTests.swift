import Foundation
import Logging
import Testing
import ServerConfig
@testable import RequestPipeline

#if canImport(Glibc)
import Glibc
#endif

/// The `certinfo` sample (built by SwiftPM next to the test binary) run by the pipeline
/// for a request on a TLS connection: what an extension really reads of the channel and
/// the client certificate, through GetServerVariable and HSE_REQ_GET_CERT_INFO_EX.
@Suite struct TLSExtensionTests {
    static let sample: URL = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("libcertinfo.so")
    }()

    /// The sample's text for `request`, run through the whole pipeline and ISAPIHost.
    static func certinfo(_ request: IncomingRequest, options: String = "") throws -> String {
        try #require(FileManager.default.fileExists(atPath: sample.path), "swift build --build-tests builds \(sample.path)")
        // The sample calls GetLastError, which the host must export to what it loads.
        let process = dlopen(nil, RTLD_NOW)
        defer { if let process { dlclose(process) } }
        try #require(dlsym(process, "GetLastError") != nil, "this test process exports GetLastError")
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.mkdir("htdocs/scripts")
        try FileManager.default.copyItem(atPath: sample.path, toPath: tree.htdocs + "/scripts/certinfo.dll")
        let isapi = ISAPIRequestHandler()
        let pipeline = try tree.pipeline("""
            DocumentRoot \(tree.htdocs)
            AddHandler isapi-handler .dll
            <Directory \(tree.htdocs)/scripts>
                Options ExecCGI
            </Directory>
            """, handlers: ["isapi-handler": isapi])
        isapi.configurationLoaded(pipeline.configuration) { _ in Logger(label: "test") }
        defer { isapi.shutdown() }
        let (processed, response) = pipeline.process(request)
        var context = processed
        guard case .handOff(let handler) = response.body else {
            Issue.record("no extension run: \(response.status)")
            return ""
        }
        if options == "StdEnvVars" { context.directoryConfig.sslOptions = SSLOptionsSetting(added: [.stdEnvVars]) }
        let channel = FakeChannel()
        handler.run(Shared(context), channel: channel, pipeline: pipeline)
        #expect(channel.status == 200)
        return channel.text
    }

    @Test func aClientCertificateReachesTheExtension() throws {
        var client = TLSSample.client
        client.derEncoded = [0x30, 0x82, 0x01, 0x22] + [UInt8](repeating: 0x5A, count: 290)
        let tls = TLSSample.session(client: client, verification: .generous)
        let lines = try Self.certinfo(TLSSample.request("/scripts/certinfo.dll", tls: tls)).components(separatedBy: "\n")
        #expect(lines.contains("HTTPS=on"), "\(lines)")
        #expect(lines.contains("SERVER_PORT_SECURE=1"))
        #expect(lines.contains("HTTPS_KEYSIZE=256"))
        #expect(lines.contains("HTTPS_SECRETKEYSIZE=2048"))
        #expect(lines.contains("HTTPS_SERVER_SUBJECT=C=US, O=Example Ltd, CN=www.example.test"))
        #expect(lines.contains("CERT_SUBJECT=" + client.subjectIIS))
        #expect(lines.contains("CERT_ISSUER=C=US, CN=Example Client CA"))
        #expect(lines.contains("CERT_SERIALNUMBER=1f-2e-3d-4c-5b"))
        #expect(lines.contains("CERT_FLAGS=3"))
        #expect(lines.contains("CERT_COOKIE=" + client.cookie))
        #expect(lines.contains("SSL_PROTOCOL=<error 1413>"), "SSL_* only under SSLOptions +StdEnvVars")
        #expect(lines.contains("GET_CERT_INFO_EX=294 bytes, flags 3, first bytes 30 82 01 22 5a 5a 5a 5a"), "\(lines)")
    }

    @Test func standardEnvironmentVariablesUnderStdEnvVars() throws {
        let tls = TLSSample.session(client: TLSSample.client)
        let lines = try Self.certinfo(TLSSample.request("/scripts/certinfo.dll", tls: tls), options: "StdEnvVars")
            .components(separatedBy: "\n")
        #expect(lines.contains("SSL_PROTOCOL=TLSv1.3"), "\(lines)")
        #expect(lines.contains("SSL_CLIENT_S_DN=" + TLSSample.client.subjectDN))
        #expect(lines.contains("CERT_FLAGS=1"))
    }

    @Test func withoutACertificateOrTLS() throws {
        let anonymous = try Self.certinfo(TLSSample.request("/scripts/certinfo.dll")).components(separatedBy: "\n")
        #expect(anonymous.contains("HTTPS=on"), "\(anonymous)")
        #expect(anonymous.contains("CERT_FLAGS=0"))
        #expect(anonymous.contains("CERT_SUBJECT="))
        #expect(anonymous.contains("GET_CERT_INFO_EX=<error 232>"))
        let plain = try Self.certinfo(TestRequest.make("/scripts/certinfo.dll")).components(separatedBy: "\n")
        #expect(plain.contains("HTTPS=off"), "\(plain)")
        #expect(plain.contains("SERVER_PORT_SECURE=0"))
        #expect(plain.contains("CERT_FLAGS="))
        #expect(plain.contains("HTTPS_KEYSIZE="))
        #expect(plain.contains("GET_CERT_INFO_EX=<error 232>"))
    }
}
