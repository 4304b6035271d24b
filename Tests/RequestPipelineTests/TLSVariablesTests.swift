import Foundation
import Testing
@testable import RequestPipeline

/// The variables mod_ssl and IIS derive from a TLS session, computed from plain values.
@Suite struct TLSVariablesTests {
    @Test func modSSLVariables() {
        let tls = TLSSample.session(client: TLSSample.client)
        #expect(tls.sslVariable("HTTPS") == "on")
        #expect(tls.sslVariable("SSL_PROTOCOL") == "TLSv1.3")
        #expect(tls.sslVariable("ssl_cipher") == "TLS_AES_256_GCM_SHA384")
        #expect(tls.sslVariable("SSL_CIPHER_USEKEYSIZE") == "256")
        #expect(tls.sslVariable("SSL_CIPHER_ALGKEYSIZE") == "256")
        #expect(tls.sslVariable("SSL_SESSION_RESUMED") == "Initial")
        #expect(tls.sslVariable("SSL_TLS_SNI") == "www.example.test")
        #expect(tls.sslVariable("SSL_CLIENT_VERIFY") == "SUCCESS")
        #expect(tls.sslVariable("SSL_CLIENT_S_DN") == TLSSample.client.subjectDN)
        #expect(tls.sslVariable("SSL_CLIENT_I_DN") == "CN=Example Client CA,C=US")
        #expect(tls.sslVariable("SSL_CLIENT_M_SERIAL") == "1F2E3D4C5B")
        #expect(tls.sslVariable("SSL_CLIENT_V_START") == "Jan  1 00:00:00 2026 GMT")
        #expect(tls.sslVariable("SSL_CLIENT_V_END") == "Jan  1 00:00:00 2036 GMT")
        #expect(tls.sslVariable("SSL_SERVER_S_DN") == "CN=www.example.test,O=Example Ltd,C=US")
        #expect(tls.sslVariable("SSL_SERVER_I_DN_CN") == "Example CA")
        #expect(tls.sslVariable("SSL_SERVER_M_SERIAL") == "0A1B2C")
        // DN components: escapes undone, X.500 order for repeated ones, mod_ssl's names.
        #expect(tls.sslVariable("SSL_CLIENT_S_DN_CN") == "Alice, Smith")
        #expect(tls.sslVariable("SSL_CLIENT_S_DN_OU") == "Staff")
        #expect(tls.sslVariable("SSL_CLIENT_S_DN_Email") == "alice@example.test")
        #expect(tls.sslVariable("SSL_CLIENT_CERT") == "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n")
        #expect(tls.sslVariable("SSL_NO_SUCH") == nil)
        // Without a client certificate its variables are unset, the verdict NONE.
        let anonymous = TLSSample.session()
        #expect(anonymous.sslVariable("SSL_CLIENT_S_DN") == nil)
        #expect(anonymous.sslVariable("SSL_CLIENT_VERIFY") == "NONE")
        // Plain HTTP: HTTPS is off, the rest unset.
        #expect(TLSSessionInfo.variable("HTTPS", of: nil) == "off")
        #expect(TLSSessionInfo.variable("SSL_PROTOCOL", of: nil) == nil)
    }

    @Test func environmentFollowsSSLOptions() {
        let tls = TLSSample.session(client: TLSSample.client)
        #expect(tls.environment([]).map(\.name) == ["HTTPS"])
        let standard = Dictionary(tls.environment(.stdEnvVars).map { ($0.name, $0.value) }) { first, _ in first }
        #expect(standard["HTTPS"] == "on")
        #expect(standard["SSL_PROTOCOL"] == "TLSv1.3")
        #expect(standard["SSL_CIPHER"] == "TLS_AES_256_GCM_SHA384")
        #expect(standard["SSL_TLS_SNI"] == "www.example.test")
        #expect(standard["SSL_CLIENT_S_DN_CN"] == "Alice, Smith")
        #expect(standard["SSL_CLIENT_S_DN_OU"] == "Staff")
        #expect(standard["SSL_CLIENT_S_DN_OU_1"] == "Dev")
        #expect(standard["SSL_SERVER_S_DN_O"] == "Example Ltd")
        #expect(standard["SSL_CLIENT_CERT"] == nil, "PEM only with +ExportCertData")
        let exported = tls.environment([.stdEnvVars, .exportCertData])
        #expect(exported.contains { $0.name == "SSL_CLIENT_CERT" && $0.value.hasPrefix("-----BEGIN CERTIFICATE-----\n") })
        #expect(exported.contains { $0.name == "SSL_SERVER_CERT" })
        // No SNI, no SSL_TLS_SNI (mod_ssl sets only non-empty values).
        #expect(!TLSSample.session(serverName: nil).environment(.stdEnvVars).contains { $0.name == "SSL_TLS_SNI" })
    }

    @Test func iisVariables() {
        func table(_ tls: TLSSessionInfo?) -> [String: String] {
            Dictionary(uniqueKeysWithValues: TLSSessionInfo.iisVariables(of: tls).map { ($0.name, $0.value) })
        }
        let client = table(TLSSample.session(client: TLSSample.client))
        #expect(client["HTTPS"] == "on")
        #expect(client["SERVER_PORT_SECURE"] == "1")
        #expect(client["HTTPS_KEYSIZE"] == "256")
        #expect(client["HTTPS_SECRETKEYSIZE"] == "2048")
        #expect(client["HTTPS_SERVER_SUBJECT"] == "C=US, O=Example Ltd, CN=www.example.test")
        #expect(client["HTTPS_SERVER_ISSUER"] == "C=US, O=Example Ltd, CN=Example CA")
        #expect(client["CERT_SERVER_SUBJECT"] == client["HTTPS_SERVER_SUBJECT"])
        #expect(client["CERT_SERVER_ISSUER"] == client["HTTPS_SERVER_ISSUER"])
        #expect(client["CERT_KEYSIZE"] == "256")
        #expect(client["CERT_SECRETKEYSIZE"] == "2048")
        #expect(client["CERT_SUBJECT"] == TLSSample.client.subjectIIS)
        #expect(client["CERT_ISSUER"] == "C=US, CN=Example Client CA")
        #expect(client["CERT_SERIALNUMBER"] == "1f-2e-3d-4c-5b")
        #expect(client["CERT_FLAGS"] == "1")
        // SHA-256 of the DER bytes 01 02 03.
        #expect(client["CERT_COOKIE"] == "039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81")

        let untrusted = table(TLSSample.session(client: TLSSample.client, verification: .generous))
        #expect(untrusted["CERT_FLAGS"] == "3")

        let anonymous = table(TLSSample.session())
        #expect(anonymous["CERT_FLAGS"] == "0")
        #expect(anonymous["CERT_SUBJECT"] == "" && anonymous["CERT_COOKIE"] == "" && anonymous["CERT_SERIALNUMBER"] == "")
        #expect(anonymous["HTTPS_KEYSIZE"] == "256")

        let plain = table(nil)
        #expect(plain["HTTPS"] == "off")
        #expect(plain["SERVER_PORT_SECURE"] == "0")
        for name in ["CERT_FLAGS", "CERT_COOKIE", "CERT_KEYSIZE", "HTTPS_KEYSIZE", "HTTPS_SERVER_SUBJECT"] {
            #expect(plain[name] == "", "\(name)")
        }
        #expect(TLSSessionInfo.iisVariable("HTTPS_KEYSIZE", of: TLSSample.session()) == "256")
        #expect(TLSSessionInfo.iisVariable("SERVER_NAME", of: nil) == nil)
    }

    @Test func serialNumbersAndRemainingDays() {
        var odd = TLSSample.client
        odd.serialNumberHex = "ABC"
        #expect(odd.iisSerialNumber == "0a-bc")
        let start = CertificateSummary.daysRemaining(until: "Jan  1 00:00:00 2036 GMT", now: 2_082_758_400 - 86_400 * 10)
        #expect(start == 10)
        #expect(CertificateSummary.daysRemaining(until: "Jan  1 00:00:00 2000 GMT") == 0)
        #expect(CertificateSummary.daysRemaining(until: "not a date") == nil)
    }

    @Test func distinguishedNames() {
        let parts = DistinguishedName.components(ofRFC2253: "CN=a\\+b+UID=x,O=\"Q, Inc\",OU=\\4A\\4b,unknown=z,C=DE")
        #expect(parts.map(\.name) == ["C", "OU", "O", "UID", "CN"])
        #expect(parts.map(\.value) == ["DE", "JK", "Q, Inc", "x", "a+b"])
    }
}
