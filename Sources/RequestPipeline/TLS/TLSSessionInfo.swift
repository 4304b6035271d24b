/// What a TLS connection negotiated, read once when its handshake completes: the facts
/// mod_ssl exports as SSL_* variables and IIS as HTTPS_* and CERT_*. Plain text only
/// (names already formatted), so that the pipeline and the ISAPI host depend on no TLS
/// library; HTTPDaemon/TLS fills it from swift-nio-ssl and swift-certificates.
public struct TLSSessionInfo: Sendable, Equatable {
    /// mod_ssl's SSL_PROTOCOL: "TLSv1.2", "TLSv1.3".
    public var protocolVersion: String
    /// The cipher suite by its OpenSSL name (mod_ssl's SSL_CIPHER), e.g.
    /// "ECDHE-RSA-AES256-GCM-SHA384" or "TLS_AES_256_GCM_SHA384".
    public var cipherName: String
    /// Bits of the cipher's key in use (SSL_CIPHER_USEKEYSIZE, IIS's HTTPS_KEYSIZE).
    public var cipherKeyBits: Int
    /// Bits the cipher's algorithm supports (SSL_CIPHER_ALGKEYSIZE).
    public var cipherAlgorithmKeyBits: Int
    /// The host name the client sent in SNI (SSL_TLS_SNI), nil when it sent none.
    public var serverName: String?
    public var sessionReuse: SessionReuse
    /// The certificate this server presented (the virtual host's).
    public var serverCertificate: CertificateSummary
    /// The certificate the client presented, nil when it presented none.
    public var clientCertificate: CertificateSummary?
    public var clientVerification: ClientVerification

    public init(protocolVersion: String, cipherName: String, cipherKeyBits: Int, cipherAlgorithmKeyBits: Int,
                serverName: String?, sessionReuse: SessionReuse, serverCertificate: CertificateSummary,
                clientCertificate: CertificateSummary?, clientVerification: ClientVerification) {
        self.protocolVersion = protocolVersion
        self.cipherName = cipherName
        self.cipherKeyBits = cipherKeyBits
        self.cipherAlgorithmKeyBits = cipherAlgorithmKeyBits
        self.serverName = serverName
        self.sessionReuse = sessionReuse
        self.serverCertificate = serverCertificate
        self.clientCertificate = clientCertificate
        self.clientVerification = clientVerification
    }

    /// mod_ssl's SSL_SESSION_RESUMED.
    public enum SessionReuse: String, Sendable, Equatable {
        case initial = "Initial"
        case resumed = "Resumed"
    }

    /// mod_ssl's SSL_CLIENT_VERIFY: how the client's certificate fared.
    public enum ClientVerification: Sendable, Equatable {
        /// No certificate was asked for or none was sent ("NONE").
        case none
        /// Sent and verified against SSLCACertificateFile ("SUCCESS").
        case success
        /// Sent, not verified, and let through (`SSLVerifyClient optional_no_ca`): "GENEROUS".
        case generous
        /// Sent and refused ("FAILED:reason").
        case failed(reason: String)

        public var variableValue: String {
            switch self {
            case .none: return "NONE"
            case .success: return "SUCCESS"
            case .generous: return "GENEROUS"
            case .failed(let reason): return "FAILED:\(reason)"
            }
        }
    }
}

/// One X.509 certificate, as the variables name it.
public struct CertificateSummary: Sendable, Equatable {
    /// Subject and issuer distinguished names in RFC 2253 form, most specific first
    /// ("CN=www.example.com,O=Example,C=US"): mod_ssl's SSL_*_S_DN / SSL_*_I_DN.
    public var subjectDN: String
    public var issuerDN: String
    /// The same names as IIS prints them, in X.500 order with ", " between parts
    /// ("C=US, O=Example, CN=www.example.com"): CERT_SUBJECT, HTTPS_SERVER_SUBJECT, ….
    public var subjectIIS: String
    public var issuerIIS: String
    /// The serial number as mod_ssl prints it (upper-case hex, SSL_*_M_SERIAL).
    public var serialNumberHex: String
    /// Bits of the public key (IIS's HTTPS_SECRETKEYSIZE for the server's).
    public var publicKeyBits: Int
    /// Validity as mod_ssl prints it ("Dec  6 05:19:24 2026 GMT"): SSL_*_V_START / V_END.
    public var notBefore: String
    public var notAfter: String
    /// The certificate's DER encoding (CERT_CONTEXT's pbCertEncoded, SSL_CLIENT_CERT as PEM).
    public var derEncoded: [UInt8]

    public init(subjectDN: String, issuerDN: String, subjectIIS: String, issuerIIS: String, serialNumberHex: String,
                publicKeyBits: Int, notBefore: String, notAfter: String, derEncoded: [UInt8]) {
        self.subjectDN = subjectDN
        self.issuerDN = issuerDN
        self.subjectIIS = subjectIIS
        self.issuerIIS = issuerIIS
        self.serialNumberHex = serialNumberHex
        self.publicKeyBits = publicKeyBits
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.derEncoded = derEncoded
    }
}
