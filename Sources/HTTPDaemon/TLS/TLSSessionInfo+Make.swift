import NIOSSL
import RequestPipeline
import ServerConfig

/// The glue between swift-nio-ssl's view of a finished handshake and the plain
/// `TLSSessionInfo` the pipeline carries.
extension TLSSessionInfo {
    /// What the handshake on this connection negotiated: protocol, cipher suite and
    /// resumption from the hellos `TLSHelloObserver` read (NIOSSL does not expose them;
    /// the protocol falls back to NIOSSL's view), certificates from NIOSSL.
    static func make(
        handler: NIOSSLHandler, host: TLSHostContext, serverName: String?,
        hello: NegotiatedHello?
    ) -> TLSSessionInfo {
        let clientCertificate = (try? handler.peerCertificate?.toDERBytes()).flatMap { $0 }.map(summary(ofDER:))
        let verification: ClientVerification
        switch (clientCertificate, host.verifyClient) {
        case (nil, _), (_, .none): verification = .none
        case (_, .optionalNoCA): verification = .generous
        case (_, .optional), (_, .require): verification = .success
        }
        return TLSSessionInfo(
            protocolVersion: hello?.protocolVersion ?? handler.tlsVersion.map(Self.name(of:)) ?? "",
            cipherName: hello?.cipherSuite.name ?? "", cipherKeyBits: hello?.cipherSuite.keyBits ?? 0,
            cipherAlgorithmKeyBits: hello?.cipherSuite.algorithmKeyBits ?? 0,
            serverName: serverName, sessionReuse: hello?.sessionReuse ?? .initial,
            serverCertificate: host.serverCertificate,
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

    /// A certificate's summary from its DER bytes; one swift-certificates cannot read
    /// (BoringSSL accepted it) keeps its bytes with empty names.
    static func summary(ofDER der: [UInt8]) -> CertificateSummary {
        (try? CertificateSummary(derEncoded: der))
            ?? CertificateSummary(
                subjectDN: "", issuerDN: "", subjectIIS: "", issuerIIS: "", serialNumberHex: "",
                publicKeyBits: 0, notBefore: "", notAfter: "", derEncoded: der)
    }
}
