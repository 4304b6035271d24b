import Foundation
import RequestPipeline
import SwiftASN1
import X509

extension CertificateSummary {
    /// Reads a certificate (DER) into the texts mod_ssl and IIS print for it.
    ///
    /// swift-certificates parses and checks the certificate and gives its validity; the
    /// names, the serial number and the public key are read from the encoded certificate
    /// itself, so that the names keep their encoded order and string types and the serial
    /// its sign (swift-certificates gives its magnitude), on which the printing depends. Throws for bytes that are not a certificate, and for a certificate
    /// swift-certificates cannot read (its public key is not RSA, P-256/384/521 or Ed25519).
    public init(derEncoded: [UInt8]) throws {
        let certificate = try Certificate(derEncoded: derEncoded)
        let parts = try TBSCertificateParts(tbsCertificate: certificate.tbsCertificateBytes)
        let subject = try DistinguishedNameText(name: parts.subject)
        let issuer = try DistinguishedNameText(name: parts.issuer)
        self.init(
            subjectDN: subject.rfc2253,
            issuerDN: issuer.rfc2253,
            subjectIIS: subject.iis,
            issuerIIS: issuer.iis,
            serialNumberHex: Self.openSSLSerial(parts.serialNumber),
            publicKeyBits: try Self.publicKeyBits(subjectPublicKeyInfo: parts.subjectPublicKeyInfo),
            notBefore: Self.openSSLTime(certificate.notValidBefore),
            notAfter: Self.openSSLTime(certificate.notValidAfter),
            derEncoded: derEncoded)
    }

    /// The serial number as OpenSSL's `i2a_ASN1_INTEGER` prints it (mod_ssl's
    /// SSL_*_M_SERIAL, `openssl x509 -serial`): the magnitude's bytes in upper-case hex
    /// without leading zero bytes ("00" for zero), "-" first for a negative number.
    static func openSSLSerial(_ twosComplement: ArraySlice<UInt8>) -> String {
        guard let first = twosComplement.first else { return "00" }
        var magnitude = Array(twosComplement)
        let negative = first & 0x80 != 0
        if negative {
            // Two's complement: invert and add one.
            magnitude = magnitude.map { ~$0 }
            for index in magnitude.indices.reversed() {
                magnitude[index] &+= 1
                if magnitude[index] != 0 { break }
            }
        }
        let significant = magnitude.drop { $0 == 0 }
        return (negative ? "-" : "") + (significant.isEmpty ? "00" : upperHex(significant))
    }

    /// A time as OpenSSL's `ASN1_TIME_print` writes it (mod_ssl's SSL_*_V_START and
    /// V_END): "Dec  6 05:19:24 2026 GMT", the day padded with a space.
    static func openSSLTime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String {
            let value = value ?? 0
            return value < 10 ? "0\(value)" : "\(value)"
        }
        let day = parts.day ?? 0
        return "\(months[(parts.month ?? 1) - 1]) \(day < 10 ? " " : "")\(day) "
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) \(parts.year ?? 0) GMT"
    }

    /// Bits of the public key as OpenSSL's `EVP_PKEY_get_bits` counts them: the RSA
    /// modulus's, the curve's for EC (P-256 → 256), 253 for Ed25519.
    static func publicKeyBits(subjectPublicKeyInfo: ASN1Node) throws -> Int {
        // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
        let (algorithm, key) = try twoChildren(subjectPublicKeyInfo)
        guard case .constructed(let algorithmFields) = algorithm.content else {
            throw ASN1Error.unexpectedFieldType(algorithm.identifier)
        }
        var fields = algorithmFields.makeIterator()
        guard let oidNode = fields.next() else { throw ASN1Error.invalidASN1Object(reason: "no algorithm") }
        let parameters = fields.next()
        switch try ASN1ObjectIdentifier(derEncoded: oidNode).description {
        case "1.2.840.113549.1.1.1", "1.2.840.113549.1.1.10":  // rsaEncryption, RSASSA-PSS
            // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
            let bits = try ASN1BitString(derEncoded: key)
            let (modulus, _) = try twoChildren(try DER.parse(bits.bytes))
            guard case .primitive(let bytes) = modulus.content else { throw ASN1Error.unexpectedFieldType(modulus.identifier) }
            let significant = bytes.drop { $0 == 0 }
            guard let top = significant.first else { return 0 }
            return (significant.count - 1) * 8 + (8 - top.leadingZeroBitCount)
        case "1.2.840.10045.2.1":  // id-ecPublicKey, with the named curve as parameters
            guard let parameters else { throw ASN1Error.invalidASN1Object(reason: "no curve") }
            switch try ASN1ObjectIdentifier(derEncoded: parameters).description {
            case "1.2.840.10045.3.1.7": return 256
            case "1.3.132.0.34": return 384
            case "1.3.132.0.35": return 521
            case let curve: throw ASN1Error.invalidASN1Object(reason: "unknown curve \(curve)")
            }
        case "1.3.101.112":  // Ed25519
            return 253
        case let other:
            throw ASN1Error.invalidASN1Object(reason: "unknown public key algorithm \(other)")
        }
    }

    private static func twoChildren(_ node: ASN1Node) throws -> (ASN1Node, ASN1Node) {
        guard case .constructed(let children) = node.content else { throw ASN1Error.unexpectedFieldType(node.identifier) }
        var iterator = children.makeIterator()
        guard let first = iterator.next(), let second = iterator.next() else {
            throw ASN1Error.invalidASN1Object(reason: "fewer than two fields")
        }
        return (first, second)
    }
}

/// The fields of a TBSCertificate (RFC 5280 §4.1) the summary reads as encoded.
private struct TBSCertificateParts {
    /// The serial number's INTEGER content: big-endian two's complement.
    var serialNumber: ArraySlice<UInt8>
    var issuer: ASN1Node
    var subject: ASN1Node
    var subjectPublicKeyInfo: ASN1Node

    init(tbsCertificate: ArraySlice<UInt8>) throws {
        // TBSCertificate ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, serialNumber,
        //   signature, issuer, validity, subject, subjectPublicKeyInfo, ... }
        let root = try DER.parse(tbsCertificate)
        guard case .constructed(let children) = root.content else { throw ASN1Error.unexpectedFieldType(root.identifier) }
        let fields = Array(children).filter { !($0.identifier.tagClass == .contextSpecific && $0.identifier.tagNumber == 0) }
        guard fields.count >= 6 else { throw ASN1Error.invalidASN1Object(reason: "a TBSCertificate of \(fields.count) fields") }
        guard case .primitive(let serial) = fields[0].content else { throw ASN1Error.unexpectedFieldType(fields[0].identifier) }
        serialNumber = serial
        issuer = fields[2]
        subject = fields[4]
        subjectPublicKeyInfo = fields[5]
    }
}
