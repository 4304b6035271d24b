import Foundation
import SwiftASN1

/// A certificate's subject or issuer as it is encoded (RFC 5280 §4.1.2.4: a SEQUENCE of
/// RDNs, each a SET of type-and-value pairs, least specific first), printed the two ways
/// the server variables need: mod_ssl's and IIS's.
struct DistinguishedNameText {
    /// One attribute: its type and its value as encoded (any ASN.1 type).
    struct Attribute {
        var type: ASN1ObjectIdentifier
        var value: ASN1Node
    }

    /// The RDNs in encoded (X.500) order, each with its attributes in encoded order.
    var rdns: [[Attribute]]

    /// Reads a Name from its DER node, keeping the encoded order (DER sorts a multi-valued
    /// RDN's SET; OpenSSL and CryptoAPI print it in that order).
    init(name: ASN1Node) throws {
        guard case .constructed(let rdnNodes) = name.content else { throw ASN1Error.unexpectedFieldType(name.identifier) }
        rdns = try rdnNodes.map { rdn in
            guard case .constructed(let pairs) = rdn.content else { throw ASN1Error.unexpectedFieldType(rdn.identifier) }
            return try pairs.map { pair in
                guard case .constructed(let fields) = pair.content else { throw ASN1Error.unexpectedFieldType(pair.identifier) }
                var iterator = fields.makeIterator()
                guard let type = iterator.next(), let value = iterator.next(), iterator.next() == nil else {
                    throw ASN1Error.invalidASN1Object(reason: "an attribute is not a type and a value")
                }
                return Attribute(type: try ASN1ObjectIdentifier(derEncoded: type), value: value)
            }
        }
    }

    // MARK: mod_ssl

    /// RFC 2253 as mod_ssl 2.4 prints SSL_*_S_DN and SSL_*_I_DN: OpenSSL's
    /// `X509_NAME_print_ex(XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB)`. Most specific first
    /// ("CN=a.test,O=Example,C=US"), "+" inside a multi-valued RDN, OpenSSL's short names,
    /// `,+"\<>;` escaped with a backslash (and "#" or " " first, " " last), control
    /// characters as `\XX`, text beyond ASCII as UTF-8; an unknown type is printed as its
    /// dotted OID and its value as `#` and the hex of its DER.
    var rfc2253: String {
        var text = ""
        var previousRDN = -1
        // OpenSSL reverses the entries one by one, so a multi-valued RDN's order flips too.
        for (rdnIndex, rdn) in rdns.enumerated().reversed() {
            for attribute in rdn.reversed() {
                if previousRDN != -1 { text += previousRDN == rdnIndex ? "+" : "," }
                previousRDN = rdnIndex
                if let name = Self.openSSLShortNames[attribute.type.description] {
                    text += name + "="
                    text += Self.scalars(attribute.value).map(Self.rfc2253Escaped) ?? Self.hexDump(attribute.value)
                } else {
                    text += attribute.type.description + "=" + Self.hexDump(attribute.value)
                }
            }
        }
        return text
    }

    private static func rfc2253Escaped(_ scalars: [Unicode.Scalar]) -> String {
        var text = ""
        for (index, scalar) in scalars.enumerated() {
            guard scalar.isASCII else {
                text.unicodeScalars.append(scalar)
                continue
            }
            let first = index == 0
            let last = index == scalars.count - 1
            switch scalar {
            case ",", "+", "\"", "\\", "<", ">", ";":
                text += "\\" + String(scalar)
            case "#" where first, " " where first || last:
                text += "\\" + String(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                text += "\\" + upperHex([UInt8(scalar.value)])
            default:
                text.unicodeScalars.append(scalar)
            }
        }
        return text
    }

    /// OpenSSL's short names (`OBJ_nid2sn`) of the attribute types names carry.
    static let openSSLShortNames: [String: String] = [
        "2.5.4.3": "CN", "2.5.4.4": "SN", "2.5.4.5": "serialNumber", "2.5.4.6": "C", "2.5.4.7": "L",
        "2.5.4.8": "ST", "2.5.4.9": "street", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.12": "title",
        "2.5.4.13": "description", "2.5.4.17": "postalCode", "2.5.4.41": "name", "2.5.4.42": "GN",
        "2.5.4.43": "initials", "2.5.4.44": "generationQualifier", "2.5.4.46": "dnQualifier",
        "2.5.4.65": "pseudonym", "2.5.4.97": "organizationIdentifier", "2.5.4.15": "businessCategory",
        "1.2.840.113549.1.9.1": "emailAddress", "0.9.2342.19200300.100.1.1": "UID",
        "0.9.2342.19200300.100.1.25": "DC", "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL",
        "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST", "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC",
    ]

    // MARK: IIS

    /// As IIS prints CERT_SUBJECT, CERT_ISSUER and HTTPS_SERVER_SUBJECT: CryptoAPI's
    /// `CertNameToStr(CERT_X500_NAME_STR)`. X.500 order ("C=US, O=Example, CN=a.test"),
    /// ", " between RDNs and " + " inside one, CryptoAPI's key names (S for the state, E for
    /// the e-mail address), "OID." and the dotted OID for a type without one; a value with
    /// `,+="<>#;`, a line feed, or a space first or last is put in double quotes (a quote
    /// inside doubled), as is an empty one.
    var iis: String {
        rdns.map { rdn in
            rdn.map { attribute in
                let oid = attribute.type.description
                let key = Self.cryptoAPIKeyNames[oid] ?? "OID." + oid
                guard let scalars = Self.scalars(attribute.value) else { return key + "=" + Self.hexDump(attribute.value) }
                return key + "=" + Self.cryptoAPIQuoted(String(String.UnicodeScalarView(scalars)))
            }.joined(separator: " + ")
        }.joined(separator: ", ")
    }

    private static func cryptoAPIQuoted(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty || value.first == " " || value.last == " "
            || value.contains { ",+=\"\n<>#;".contains($0) }
        guard needsQuotes else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// CryptoAPI's X.500 key names (`CertNameToStr`, `CertOIDToAlgId`'s RDN table).
    static let cryptoAPIKeyNames: [String: String] = [
        "2.5.4.3": "CN", "2.5.4.4": "SN", "2.5.4.5": "SERIALNUMBER", "2.5.4.6": "C", "2.5.4.7": "L",
        "2.5.4.8": "S", "2.5.4.9": "STREET", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.12": "T",
        "2.5.4.13": "Description", "2.5.4.17": "PostalCode", "2.5.4.42": "G", "2.5.4.43": "I",
        "2.5.4.46": "dnQualifier", "1.2.840.113549.1.9.1": "E", "0.9.2342.19200300.100.1.25": "DC",
        "0.9.2342.19200300.100.1.1": "UID",
    ]

    // MARK: values

    /// The characters of a string-typed value (UTF8String, the one-byte string types read
    /// as Latin-1, BMPString, UniversalString), nil for a value of another type.
    static func scalars(_ value: ASN1Node) -> [Unicode.Scalar]? {
        guard value.identifier.tagClass == .universal, case .primitive(let bytes) = value.content else { return nil }
        switch value.identifier.tagNumber {
        case 12:  // UTF8String
            return Array(String(decoding: bytes, as: UTF8.self).unicodeScalars)
        case 18, 19, 20, 22, 26:  // Numeric, Printable, T61, IA5, Visible
            return bytes.map { Unicode.Scalar($0) }
        case 30:  // BMPString: UCS-2, big-endian
            return units(bytes, width: 2)
        case 28:  // UniversalString: UCS-4, big-endian
            return units(bytes, width: 4)
        default:
            return nil
        }
    }

    private static func units(_ bytes: ArraySlice<UInt8>, width: Int) -> [Unicode.Scalar]? {
        guard bytes.count % width == 0 else { return nil }
        return stride(from: bytes.startIndex, to: bytes.endIndex, by: width).map { start in
            let value = bytes[start..<(start + width)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return Unicode.Scalar(value) ?? "\u{FFFD}"
        }
    }

    private static func hexDump(_ value: ASN1Node) -> String {
        "#" + upperHex(value.encodedBytes)
    }
}

/// Upper-case hex, two digits a byte, no separators (as OpenSSL prints serials and dumps).
func upperHex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    let digits = Array("0123456789ABCDEF".utf8)
    var text: [UInt8] = []
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: text, as: UTF8.self)
}
