import Foundation

/// mod_ssl's variables (`ssl_var_lookup`): what `%{SSL:…}` in mod_rewrite, `%{…}x` in
/// LogFormat and, under `SSLOptions +StdEnvVars`, the environment of an extension read.
extension TLSSessionInfo {
    /// A variable by mod_ssl's name (`HTTPS`, `SSL_PROTOCOL`, `SSL_CLIENT_S_DN_CN`, …),
    /// compared ignoring case as mod_ssl does; nil for a name without a value here (a
    /// client variable without a client certificate, an unknown name).
    public func sslVariable(_ name: String) -> String? {
        let upper = name.uppercased()
        switch upper {
        case "HTTPS": return "on"
        case "SSL_PROTOCOL": return protocolVersion
        case "SSL_CIPHER": return cipherName
        case "SSL_CIPHER_EXPORT": return "false"
        case "SSL_CIPHER_USEKEYSIZE": return String(cipherKeyBits)
        case "SSL_CIPHER_ALGKEYSIZE": return String(cipherAlgorithmKeyBits)
        case "SSL_SESSION_RESUMED": return sessionReuse.rawValue
        case "SSL_TLS_SNI": return serverName
        case "SSL_CLIENT_VERIFY": return clientVerification.variableValue
        default: break
        }
        if upper.hasPrefix("SSL_CLIENT_") {
            return clientCertificate?.sslVariable(String(name.dropFirst("SSL_CLIENT_".count)))
        }
        if upper.hasPrefix("SSL_SERVER_") {
            return serverCertificate.sslVariable(String(name.dropFirst("SSL_SERVER_".count)))
        }
        return nil
    }

    /// mod_ssl's answer on any connection: `HTTPS` is "off" and every SSL_* variable is
    /// unset on plain HTTP.
    public static func variable(_ name: String, of tls: TLSSessionInfo?) -> String? {
        guard let tls else { return name.uppercased() == "HTTPS" ? "off" : nil }
        return tls.sslVariable(name)
    }

    /// The SSL_* names mod_ssl's fixup exports under `+StdEnvVars`, in its order (those
    /// isapid has a value for); DN components and the PEM certificates follow them.
    static let standardEnvironmentNames = [
        "SSL_PROTOCOL", "SSL_CIPHER", "SSL_CIPHER_EXPORT", "SSL_CIPHER_USEKEYSIZE", "SSL_CIPHER_ALGKEYSIZE",
        "SSL_CLIENT_VERIFY", "SSL_CLIENT_M_SERIAL", "SSL_CLIENT_V_START", "SSL_CLIENT_V_END", "SSL_CLIENT_V_REMAIN",
        "SSL_CLIENT_S_DN", "SSL_CLIENT_I_DN", "SSL_SERVER_M_SERIAL", "SSL_SERVER_V_START", "SSL_SERVER_V_END",
        "SSL_SERVER_S_DN", "SSL_SERVER_I_DN", "SSL_SESSION_RESUMED",
    ]

    /// What mod_ssl adds to a request's environment on this connection: `HTTPS=on`
    /// always; under `+StdEnvVars` every non-empty SSL_* variable (SSL_TLS_SNI when the
    /// client sent SNI, and each DN's components as SSL_CLIENT_S_DN_CN, …); under
    /// `+ExportCertData` SSL_SERVER_CERT and SSL_CLIENT_CERT as PEM.
    public func environment(_ options: TLSVariableOptions) -> [(name: String, value: String)] {
        var result: [(name: String, value: String)] = [("HTTPS", "on")]
        if options.contains(.stdEnvVars) {
            for name in Self.standardEnvironmentNames {
                if let value = sslVariable(name), !value.isEmpty { result.append((name, value)) }
            }
            if let serverName, !serverName.isEmpty { result.append(("SSL_TLS_SNI", serverName)) }
            if let clientCertificate {
                result += clientCertificate.dnComponentVariables(prefix: "SSL_CLIENT_")
            }
            result += serverCertificate.dnComponentVariables(prefix: "SSL_SERVER_")
        }
        if options.contains(.exportCertData) {
            result.append(("SSL_SERVER_CERT", serverCertificate.pem))
            if let clientCertificate { result.append(("SSL_CLIENT_CERT", clientCertificate.pem)) }
        }
        return result
    }
}

extension CertificateSummary {
    /// mod_ssl's `SSL_CLIENT_…`/`SSL_SERVER_…` variables of one certificate, by the part
    /// of the name after the prefix (`S_DN`, `M_SERIAL`, `S_DN_CN`, …).
    func sslVariable(_ suffix: String) -> String? {
        switch suffix.uppercased() {
        case "S_DN": return subjectDN
        case "I_DN": return issuerDN
        case "M_SERIAL": return serialNumberHex
        case "V_START": return notBefore
        case "V_END": return notAfter
        case "V_REMAIN": return Self.daysRemaining(until: notAfter).map(String.init)
        case "CERT": return pem
        default: break
        }
        for (prefix, dn) in [("S_DN_", subjectDN), ("I_DN_", issuerDN)] where suffix.uppercased().hasPrefix(prefix) {
            let wanted = suffix.dropFirst(prefix.count)
            return DistinguishedName.components(ofRFC2253: dn).first { Self.same($0.name, wanted) }?.value
        }
        return nil
    }

    /// `S_DN_CN`, `S_DN_O`, `I_DN_CN`, … as mod_ssl's `modssl_var_extract_dns` exports them:
    /// a repeated component gets `_1`, `_2`, … after its first occurrence.
    func dnComponentVariables(prefix: String) -> [(name: String, value: String)] {
        var result: [(name: String, value: String)] = []
        for (part, dn) in [("S_DN_", subjectDN), ("I_DN_", issuerDN)] {
            var seen: [String: Int] = [:]
            for component in DistinguishedName.components(ofRFC2253: dn) {
                let count = seen[component.name, default: 0]
                seen[component.name] = count + 1
                let name = prefix + part + component.name + (count == 0 ? "" : "_\(count)")
                result.append((name, component.value))
            }
        }
        return result
    }

    private static func same(_ a: String, _ b: Substring) -> Bool { a.uppercased() == b.uppercased() }

    /// The certificate as PEM (mod_ssl's SSL_CLIENT_CERT): base64 in lines of 64.
    var pem: String {
        let base64 = Data(derEncoded).base64EncodedString()
        var text = "-----BEGIN CERTIFICATE-----\n"
        var rest = Substring(base64)
        while !rest.isEmpty {
            text += rest.prefix(64) + "\n"
            rest = rest.dropFirst(64)
        }
        return text + "-----END CERTIFICATE-----\n"
    }

    /// SSL_*_V_REMAIN: whole days until `notAfter` ("Dec  6 05:19:24 2026 GMT"), 0 once
    /// it has passed; nil when the date cannot be read.
    static func daysRemaining(until notAfter: String, now: Int64 = Int64(time(nil))) -> Int? {
        let words = notAfter.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard words.count == 5, words[4] == "GMT", let month = months.firstIndex(of: String(words[0])),
              let day = Int64(words[1]), let year = Int64(words[3]) else { return nil }
        let clock = words[2].split(separator: ":").compactMap { Int64($0) }
        guard clock.count == 3 else { return nil }
        let end = HTTPDate.days(fromCivil: year, month + 1, day) * 86_400 + clock[0] * 3_600 + clock[1] * 60 + clock[2]
        return max(0, Int((end - now) / 86_400))
    }
}

/// The components of a distinguished name, by mod_ssl's short names.
enum DistinguishedName {
    /// The attribute names mod_ssl exports (`ssl_var_lookup_ssl_cert_dn_rec`), by the
    /// names an RFC 2253 string may spell them with.
    static let shortNames: [String: String] = [
        "C": "C", "ST": "ST", "SP": "ST", "L": "L", "O": "O", "OU": "OU", "CN": "CN", "TITLE": "T", "T": "T",
        "INITIALS": "I", "I": "I", "GN": "G", "GIVENNAME": "G", "G": "G", "SN": "S", "SURNAME": "S", "S": "S",
        "DESCRIPTION": "D", "D": "D", "UID": "UID", "EMAILADDRESS": "Email", "EMAIL": "Email", "E": "Email",
    ]

    /// The components of an RFC 2253 name ("CN=a,O=b\\,c,C=US") in X.500 order (the
    /// string's reverse, as the certificate holds them), escapes undone; attributes
    /// mod_ssl does not name are left out.
    static func components(ofRFC2253 dn: String) -> [(name: String, value: String)] {
        var result: [(name: String, value: String)] = []
        for part in split(dn) {
            guard let equals = part.firstIndex(of: "=") else { continue }
            let type = part[..<equals].trimmingCharacters(in: .whitespaces).uppercased()
            guard let name = shortNames[type] else { continue }
            result.append((name, unescape(part[part.index(after: equals)...])))
        }
        return result.reversed()
    }

    /// The name split at unescaped `,`, `;` and `+` (each attribute of a multi-valued
    /// RDN counts as a component, as in mod_ssl).
    static func split(_ dn: String) -> [Substring] {
        var parts: [Substring] = []
        var start = dn.startIndex
        var index = dn.startIndex
        var quoted = false
        while index < dn.endIndex {
            let character = dn[index]
            if character == "\\" {
                index = dn.index(after: index)
                if index < dn.endIndex { index = dn.index(after: index) }
                continue
            }
            if character == "\"" { quoted.toggle() }
            if !quoted && (character == "," || character == ";" || character == "+") {
                parts.append(dn[start..<index])
                start = dn.index(after: index)
            }
            index = dn.index(after: index)
        }
        if start < dn.endIndex { parts.append(dn[start...]) }
        return parts
    }

    /// RFC 2253 escapes undone: `\,` → `,`, `\4A` → the byte 0x4A, surrounding quotes removed.
    static func unescape(_ value: Substring) -> String {
        var bytes: [UInt8] = []
        var input = Array(value.utf8)
        if input.count >= 2, input.first == UInt8(ascii: "\""), input.last == UInt8(ascii: "\"") {
            input = Array(input.dropFirst().dropLast())
        }
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte == UInt8(ascii: "\\"), index + 1 < input.count {
                if index + 2 < input.count, let high = hexValue(input[index + 1]), let low = hexValue(input[index + 2]) {
                    bytes.append(high << 4 | low)
                    index += 3
                } else {
                    bytes.append(input[index + 1])
                    index += 2
                }
                continue
            }
            bytes.append(byte)
            index += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
