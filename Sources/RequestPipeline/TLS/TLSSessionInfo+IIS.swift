import Crypto

/// IIS's server variables about the secure channel (HTTPS, SERVER_PORT_SECURE,
/// HTTPS_*, CERT_*), as an extension reads them with GetServerVariable and httpd.ini
/// conditions as `%NAME`.
extension TLSSessionInfo {
    /// CERT_FLAGS' bits (IIS): bit 0, a client certificate is present; bit 1, its issuer
    /// is not one the server trusts (sent, but not verified against SSLCACertificateFile).
    public static let certificatePresent: UInt32 = 1 << 0
    public static let certificateIssuerUntrusted: UInt32 = 1 << 1

    /// CERT_FLAGS, and `dwCertificateFlags` of HSE_REQ_GET_CERT_INFO_EX: 0 without a
    /// client certificate, 1 for one verified, 3 for one let through unverified.
    public var certificateFlags: UInt32 {
        guard clientCertificate != nil else { return 0 }
        switch clientVerification {
        case .success: return Self.certificatePresent
        case .none, .generous, .failed: return Self.certificatePresent | Self.certificateIssuerUntrusted
        }
    }

    /// Every IIS variable of the channel on this connection, in IIS's alphabetical order.
    public var iisVariables: [(name: String, value: String)] {
        let client = clientCertificate
        let keySize = String(cipherKeyBits)
        let secretKeySize = String(serverCertificate.publicKeyBits)
        return [
            ("CERT_COOKIE", client?.cookie ?? ""),
            ("CERT_FLAGS", String(certificateFlags)),
            ("CERT_ISSUER", client?.issuerIIS ?? ""),
            ("CERT_KEYSIZE", keySize),
            ("CERT_SECRETKEYSIZE", secretKeySize),
            ("CERT_SERIALNUMBER", client?.iisSerialNumber ?? ""),
            ("CERT_SERVER_ISSUER", serverCertificate.issuerIIS),
            ("CERT_SERVER_SUBJECT", serverCertificate.subjectIIS),
            ("CERT_SUBJECT", client?.subjectIIS ?? ""),
            ("HTTPS", "on"),
            ("HTTPS_KEYSIZE", keySize),
            ("HTTPS_SECRETKEYSIZE", secretKeySize),
            ("HTTPS_SERVER_ISSUER", serverCertificate.issuerIIS),
            ("HTTPS_SERVER_SUBJECT", serverCertificate.subjectIIS),
            ("SERVER_PORT_SECURE", "1"),
        ]
    }

    /// What IIS answers on a plain-HTTP connection: HTTPS "off", SERVER_PORT_SECURE "0",
    /// every HTTPS_* and CERT_* variable empty (CERT_FLAGS too).
    public static let plainIISVariables: [(name: String, value: String)] = [
        "CERT_COOKIE", "CERT_FLAGS", "CERT_ISSUER", "CERT_KEYSIZE", "CERT_SECRETKEYSIZE", "CERT_SERIALNUMBER",
        "CERT_SERVER_ISSUER", "CERT_SERVER_SUBJECT", "CERT_SUBJECT",
    ].map { ($0, "") } + [
        ("HTTPS", "off"), ("HTTPS_KEYSIZE", ""), ("HTTPS_SECRETKEYSIZE", ""), ("HTTPS_SERVER_ISSUER", ""),
        ("HTTPS_SERVER_SUBJECT", ""), ("SERVER_PORT_SECURE", "0"),
    ]

    /// The IIS variables of a connection, TLS or not.
    public static func iisVariables(of tls: TLSSessionInfo?) -> [(name: String, value: String)] {
        tls?.iisVariables ?? plainIISVariables
    }

    /// One IIS variable by its upper-cased name; nil for a name that is not one of them.
    public static func iisVariable(_ name: String, of tls: TLSSessionInfo?) -> String? {
        switch name {
        case "HTTPS": return tls == nil ? "off" : "on"
        case "SERVER_PORT_SECURE": return tls == nil ? "0" : "1"
        default:
            guard name.hasPrefix("CERT_") || name.hasPrefix("HTTPS_") else { return nil }
            return iisVariables(of: tls).first { $0.name == name }?.value
        }
    }
}

extension CertificateSummary {
    /// CERT_SERIALNUMBER as IIS prints it: the serial's bytes, most significant first, as
    /// two lower-case hex digits each, joined by '-' ("0a-1b-2c").
    public var iisSerialNumber: String {
        var digits = Array(serialNumberHex.lowercased())
        if digits.count % 2 == 1 { digits.insert("0", at: 0) }
        return stride(from: 0, to: digits.count, by: 2).map { String(digits[$0..<$0 + 2]) }.joined(separator: "-")
    }

    /// CERT_COOKIE: a unique id of the certificate. IIS's is a hash of it; isapid's is the
    /// SHA-256 of the DER in lower-case hex (`openssl x509 -fingerprint -sha256` without
    /// the colons), stable for the certificate and the same on every server.
    public var cookie: String {
        SHA256.hash(data: derEncoded).map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }
}
