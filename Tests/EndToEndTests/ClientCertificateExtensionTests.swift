import Foundation
import Testing

/// An extension on an HTTPS virtual host sees the secure channel as IIS shows it: the
/// sample `certinfo.dll` prints HTTPS, SERVER_PORT_SECURE, the CERT_* variables and what
/// HSE_REQ_GET_CERT_INFO_EX hands it, with and without a client certificate (curl, the
/// certificates of `TestCertificates`).
@Suite(.serialized) struct ClientCertificateExtensionTests {
    static func start() throws -> (DaemonProcess, TestCertificates) {
        let certificates = try TestCertificates.get()
        let config = TLSTests.config(
            certificates,
            extra: """
                SSLVerifyClient optional
                SSLCACertificateFile "\(certificates.caCertificate)"
                AddHandler isapi-handler .dll
                <Directory "htdocs/scripts">
                    Options ExecCGI
                    SSLOptions +StdEnvVars
                </Directory>
                """)
        let daemon = try DaemonProcess.start(config) { root in
            try TestConfig.writeSite(root)
            try ISAPITests.install(["certinfo"], into: root)
        }
        return (daemon, certificates)
    }

    /// `NAME=value` lines of certinfo's answer.
    static func lines(_ body: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in body.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }

    @Test func theExtensionReadsTheClientCertificate() throws {
        let (daemon, certificates) = try Self.start()
        let result = try TLSTests.curlHTTPS(
            daemon, certificates, name: "a.test", path: "/scripts/certinfo.dll",
            extra: ["--cert", certificates.certificate("client"), "--key", certificates.key("client")])
        #expect(result.status == 0, "\(result.stderr)")
        let values = Self.lines(result.stdout)
        #expect(values["HTTPS"] == "on", "\(result.stdout)")
        #expect(values["SERVER_PORT_SECURE"] == "1")
        #expect(values["CERT_SUBJECT"] == "O=isapid tests, CN=test client")
        #expect(values["CERT_ISSUER"] == "O=isapid tests, CN=isapid test CA")
        #expect(values["CERT_FLAGS"] == "1", "present, issuer trusted")
        #expect(values["HTTPS_SERVER_SUBJECT"] == "O=isapid tests, CN=a.test")
        #expect(values["HTTPS_SECRETKEYSIZE"] == "2048")
        #expect(values["SSL_PROTOCOL"] == "TLSv1.3", "SSLOptions +StdEnvVars applies in htdocs/scripts")
        #expect(values["SSL_CLIENT_S_DN"] == "CN=test client,O=isapid tests")
        // The DER the extension received is the client certificate's, byte for byte in size.
        let der = try runCommand(
            URL(fileURLWithPath: "/bin/sh"),
            ["-c", "/usr/bin/openssl x509 -in '\(certificates.certificate("client"))' -outform DER | wc -c"], timeout: 20)
        let size = der.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let expectedPrefix = "\(size) bytes, flags 1, first bytes 30 82"
        #expect(values["GET_CERT_INFO_EX"]?.hasPrefix(expectedPrefix) == true, "\(values["GET_CERT_INFO_EX"] ?? "")")
        let serial = try runCommand(
            URL(fileURLWithPath: "/usr/bin/openssl"),
            ["x509", "-in", certificates.certificate("client"), "-noout", "-serial"], timeout: 20)
        // IIS's CERT_SERIALNUMBER: the serial's bytes in hex, joined by '-'.
        let hex = serial.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "serial=", with: "").lowercased()
        let pairs = stride(from: 0, to: hex.count, by: 2).map {
            String(hex.dropFirst($0).prefix(2))
        }
        #expect(values["CERT_SERIALNUMBER"] == pairs.joined(separator: "-"))
    }

    @Test func withoutAClientCertificateThereIsNoData() throws {
        let (daemon, certificates) = try Self.start()
        let result = try TLSTests.curlHTTPS(daemon, certificates, name: "a.test", path: "/scripts/certinfo.dll")
        #expect(result.status == 0, "\(result.stderr)")
        let values = Self.lines(result.stdout)
        #expect(values["HTTPS"] == "on", "\(result.stdout)")
        #expect(values["CERT_FLAGS"] == "0")
        #expect(values["CERT_SUBJECT"] == "")
        #expect(values["GET_CERT_INFO_EX"] == "<error 232>", "ERROR_NO_DATA")
    }
}
