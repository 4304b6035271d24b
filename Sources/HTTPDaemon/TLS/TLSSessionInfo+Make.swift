import NIOSSL
import RequestPipeline
import ServerConfig

/// The glue between swift-nio-ssl's view of a finished handshake and the plain
/// `TLSSessionInfo` the pipeline carries.
extension TLSSessionInfo {
    /// What the handshake on this connection negotiated. The protocol comes from the
    /// TLS handler; the cipher suite from the ServerHello when a hello observer saw it.
    static func make(handler: NIOSSLHandler, host: TLSHostContext, serverName: String?,
                     cipher: (name: String, keyBits: Int, algorithmKeyBits: Int)?,
                     sessionReuse: SessionReuse) -> TLSSessionInfo {
        let clientCertificate = (try? handler.peerCertificate?.toDERBytes()).flatMap { $0 }.map(summary(ofDER:))
        let verification: ClientVerification
        switch (clientCertificate, host.verifyClient) {
        case (nil, _), (_, .none): verification = .none
        case (_, .optionalNoCA): verification = .generous
        case (_, .optional), (_, .require): verification = .success
        }
        return TLSSessionInfo(
            protocolVersion: handler.tlsVersion.map(Self.name(of:)) ?? "",
            cipherName: cipher?.name ?? "", cipherKeyBits: cipher?.keyBits ?? 0,
            cipherAlgorithmKeyBits: cipher?.algorithmKeyBits ?? 0,
            serverName: serverName, sessionReuse: sessionReuse, serverCertificate: host.serverCertificate,
            clientCertificate: clientCertificate, clientVerification: verification)
    }

    /// mod_ssl's SSL_PROTOCOL spelling.
    static func name(of version: TLSVersion) -> String {
        switch version {
        case .tlsv1: return "TLSv1"
        case .tlsv11: return "TLSv1.1"
        case .tlsv12: return "TLSv1.2"
        case .tlsv13: return "TLSv1.3"
        }
    }

    /// A certificate's summary from its DER bytes (the names and dates are filled in by
    /// `CertificateSummary(derEncoded:)` where it is available; the bytes always are).
    static func summary(ofDER der: [UInt8]) -> CertificateSummary {
        CertificateSummary(subjectDN: "", issuerDN: "", subjectIIS: "", issuerIIS: "", serialNumberHex: "",
                           publicKeyBits: 0, notBefore: "", notAfter: "", derEncoded: der)
    }
}
