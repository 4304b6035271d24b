import Foundation
@testable import RequestPipeline

/// TLSSessionInfo values as the daemon's TLS handler would build them, without any TLS.
enum TLSSample {
    static let server = CertificateSummary(
        subjectDN: "CN=www.example.test,O=Example Ltd,C=US", issuerDN: "CN=Example CA,O=Example Ltd,C=US",
        subjectIIS: "C=US, O=Example Ltd, CN=www.example.test", issuerIIS: "C=US, O=Example Ltd, CN=Example CA",
        serialNumberHex: "0A1B2C", publicKeyBits: 2048,
        notBefore: "Dec  6 05:19:24 2026 GMT", notAfter: "Dec  6 05:19:24 2027 GMT", derEncoded: [0x30, 0x82, 0x01, 0x0A])

    static let client = CertificateSummary(
        subjectDN: "emailAddress=alice@example.test,CN=Alice\\, Smith,OU=Dev,OU=Staff,O=Example Ltd,C=US",
        issuerDN: "CN=Example Client CA,C=US",
        subjectIIS: "C=US, O=Example Ltd, OU=Staff, OU=Dev, CN=\"Alice, Smith\", E=alice@example.test",
        issuerIIS: "C=US, CN=Example Client CA",
        serialNumberHex: "1F2E3D4C5B", publicKeyBits: 256,
        notBefore: "Jan  1 00:00:00 2026 GMT", notAfter: "Jan  1 00:00:00 2036 GMT", derEncoded: [1, 2, 3])

    /// A TLS 1.3 session; with `client`, a verified client certificate (or `verification`).
    static func session(client: CertificateSummary? = nil, verification: TLSSessionInfo.ClientVerification = .success,
                        serverName: String? = "www.example.test") -> TLSSessionInfo {
        TLSSessionInfo(
            protocolVersion: "TLSv1.3", cipherName: "TLS_AES_256_GCM_SHA384", cipherKeyBits: 256,
            cipherAlgorithmKeyBits: 256, serverName: serverName, sessionReuse: .initial, serverCertificate: server,
            clientCertificate: client, clientVerification: client == nil ? .none : verification)
    }

    /// A request on a TLS connection to port 443, `Host: www.example.test`.
    static func request(_ target: String, tls: TLSSessionInfo = session(), headers: [(String, String)] = [],
                        host: String = TestRequest.host) -> IncomingRequest {
        var fields: HeaderFields = ["Host": host]
        for (name, value) in headers { fields.add(name, value) }
        return IncomingRequest(
            method: "GET", target: target, headers: fields,
            connection: ConnectionInfo(remoteAddress: "127.0.0.1", remotePort: 40000, localAddress: "127.0.0.1",
                                       localPort: 443, tls: tls),
            receivedAtMicroseconds: TestRequest.nowMicroseconds)
    }
}
