import Foundation
@testable import HTTPDaemon
import RequestPipeline
import Testing

/// CertificateSummary against what OpenSSL prints for the same certificate (mod_ssl prints
/// through OpenSSL: `-nameopt RFC2253,-esc_msb` is its SSL_*_DN format).
@Suite struct CertificateSummaryTests {
    /// What `openssl x509` prints for a DER certificate: field name → value.
    private func openSSLFacts(_ derPath: String) throws -> [String: String] {
        let text = try OpenSSLTool.run([
            "x509", "-inform", "DER", "-in", derPath, "-noout", "-subject", "-issuer", "-serial", "-startdate",
            "-enddate", "-nameopt", "RFC2253,-esc_msb",
        ])
        var facts: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            facts[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return facts
    }

    private func summary(_ derPath: String) throws -> CertificateSummary {
        try CertificateSummary(derEncoded: Array(try Data(contentsOf: URL(fileURLWithPath: derPath))))
    }

    @Test func rsaWithAMultiValuedRDNAndACommaToEscape() throws {
        let directory = try OpenSSLTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let made = try OpenSSLTool.makeCertificate(
            in: directory, name: "rsa", key: "rsa:2048", subject: "/C=US/O=Example, Inc./OU=Unit+CN=a.test",
            serial: "0x00C0FFEE0102")
        let summary = try summary(made.certificateDER)
        let openSSL = try openSSLFacts(made.certificateDER)

        #expect(summary.subjectDN == openSSL["subject"])
        #expect(summary.subjectDN == "CN=a.test+OU=Unit,O=Example\\, Inc.,C=US")
        #expect(summary.issuerDN == openSSL["issuer"])
        #expect(summary.serialNumberHex == openSSL["serial"])
        #expect(summary.serialNumberHex == "C0FFEE0102")
        #expect(summary.notBefore == openSSL["notBefore"])
        #expect(summary.notAfter == openSSL["notAfter"])
        #expect(summary.publicKeyBits == 2048)
        // IIS: X.500 order, the multi-valued RDN in its encoded (DER-sorted) order, quotes
        // around a value with a comma.
        #expect(summary.subjectIIS == "C=US, O=\"Example, Inc.\", OU=Unit + CN=a.test")
        #expect(summary.issuerIIS == summary.subjectIIS)
        #expect(summary.derEncoded == Array(try Data(contentsOf: URL(fileURLWithPath: made.certificateDER))))
    }

    @Test func ecP256WithUTF8AndCharactersRFC2253Escapes() throws {
        let directory = try OpenSSLTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let made = try OpenSSLTool.makeCertificate(
            in: directory, name: "ec", key: "ec", subject: "/C=DE/ST=Bayern/O=Café \"Ü\"/CN=#x;y<z>\\+w\\/v",
            serial: "7", days: 400)
        let summary = try summary(made.certificateDER)
        let openSSL = try openSSLFacts(made.certificateDER)

        #expect(summary.subjectDN == openSSL["subject"])
        #expect(summary.subjectDN == "CN=\\#x\\;y\\<z\\>\\+w/v,O=Café \\\"Ü\\\",ST=Bayern,C=DE")
        #expect(summary.serialNumberHex == openSSL["serial"])
        #expect(summary.serialNumberHex == "07")
        #expect(summary.notBefore == openSSL["notBefore"])
        #expect(summary.notAfter == openSSL["notAfter"])
        #expect(summary.publicKeyBits == 256)
        #expect(summary.subjectIIS == "C=DE, S=Bayern, O=\"Café \"\"Ü\"\"\", CN=\"#x;y<z>+w/v\"")
    }

    @Test func controlCharactersAndSpacesAtTheEnds() throws {
        let directory = try OpenSSLTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let made = try OpenSSLTool.makeCertificate(
            in: directory, name: "ctl", key: "ec", subject: "/CN=a\u{1}b\u{7F}c /O= lead/OU=a=b")
        let summary = try summary(made.certificateDER)
        #expect(summary.subjectDN == (try openSSLFacts(made.certificateDER))["subject"])
        #expect(summary.subjectDN == "OU=a=b,O=\\ lead,CN=a\\01b\\7Fc\\ ")
        #expect(summary.subjectIIS == "CN=\"a\u{1}b\u{7F}c \", O=\" lead\", OU=\"a=b\"")
    }

    @Test func bytesThatAreNotACertificateThrow() {
        #expect(throws: (any Error).self) { try CertificateSummary(derEncoded: [0x30, 0x03, 0x02, 0x01, 0x01]) }
        #expect(throws: (any Error).self) { try CertificateSummary(derEncoded: []) }
    }

    @Test func serialNumbersPrintAsOpenSSLPrintsThem() {
        #expect(CertificateSummary.openSSLSerial([0x00, 0x80, 0x01]) == "8001")
        #expect(CertificateSummary.openSSLSerial([0x01]) == "01")
        #expect(CertificateSummary.openSSLSerial([0x00]) == "00")
        #expect(CertificateSummary.openSSLSerial([0xFF]) == "-01")
        #expect(CertificateSummary.openSSLSerial([0xFF, 0x00]) == "-0100")
    }

    @Test func timesPrintAsASN1TimePrint() {
        // 2026-12-06 05:19:24 UTC and 2027-01-15 23:05:09 UTC.
        #expect(CertificateSummary.openSSLTime(Date(timeIntervalSince1970: 1_796_534_364)) == "Dec  6 05:19:24 2026 GMT")
        #expect(CertificateSummary.openSSLTime(Date(timeIntervalSince1970: 1_800_054_309)) == "Jan 15 23:05:09 2027 GMT")
    }
}
