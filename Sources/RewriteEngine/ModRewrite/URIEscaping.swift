import Foundation

/// The escaping functions mod_rewrite uses, byte for byte as Apache's (lower-case hex).
public enum URIEscaping {
    private static let hex = Array("0123456789abcdef".utf8)

    /// Apache's `ap_escape_uri`: everything but letters, digits and `$-_.+!*'(),:;@&=/~`.
    public static func escapePath(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isPathSafe(byte) { output.append(byte) } else { appendEscaped(byte, to: &output) }
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func isPathSafe(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || Array("$-_.+!*'(),:;@&=/~".utf8).contains(byte)
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    static func appendEscaped(_ byte: UInt8, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "%"))
        output.append(hex[Int(byte >> 4)])
        output.append(hex[Int(byte & 0x0F)])
    }

    /// Apache's `escape_absolute_uri` for the URLs it redirects to: the scheme and
    /// authority stay, the path is escaped as by `escapePath`.
    public static func escapeAbsoluteURI(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return escapePath(url) }
        let afterScheme = url[schemeEnd.upperBound...]
        guard let slash = afterScheme.firstIndex(of: "/") else { return url }
        return String(url[..<slash]) + escapePath(String(url[slash...]))
    }

    /// Apache's `escape_backref` for the [B] family: by default every byte except
    /// letters, digits and `_` (a space becomes `+` unless [BNP]); with [B=chars] only
    /// those; with [BCTLS] only controls and spaces (plus [B=chars]); never [BNE=chars].
    static func escapeBackReference(_ text: String, flags: RewriteRuleFlags) -> String {
        let only = flags.escapeCharacters.map { Array($0.utf8) }
        let never = flags.noEscapeCharacters.map { Array($0.utf8) }
        var output: [UInt8] = []
        for byte in text.utf8 {
            let selected: Bool
            if flags.escapeControls {
                selected = byte <= 0x20 || byte == 0x7F || (only?.contains(byte) ?? false)
            } else {
                selected = only.map { $0.contains(byte) } ?? true
            }
            guard selected, !(never?.contains(byte) ?? false) else {
                output.append(byte)
                continue
            }
            if isAlphanumeric(byte) || byte == UInt8(ascii: "_") {
                output.append(byte)
            } else if byte == UInt8(ascii: " ") && !flags.spaceAsPercent20 {
                output.append(UInt8(ascii: "+"))
            } else {
                appendEscaped(byte, to: &output)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// mod_proxy's canonicalisation of a proxied URL's path (`ap_proxy_canonenc`): valid
    /// `%XX` escapes stay, other bytes outside the path characters are escaped with
    /// upper-case hex.
    public static func canonicalizeProxyURL(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://"), let slash = url[schemeEnd.upperBound...].firstIndex(of: "/") else {
            return url
        }
        let bytes = Array(url[slash...].utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count, hexValue(bytes[index + 1]) != nil, hexValue(bytes[index + 2]) != nil {
                output += bytes[index...(index + 2)]
                index += 3
                continue
            }
            if isPathSafe(byte) {
                output.append(byte)
            } else {
                let upper = Array("0123456789ABCDEF".utf8)
                output += [UInt8(ascii: "%"), upper[Int(byte >> 4)], upper[Int(byte & 0x0F)]]
            }
            index += 1
        }
        return String(url[..<slash]) + String(decoding: output, as: UTF8.self)
    }

    /// `%XX` decoded once; invalid escapes are kept as written.
    public static func percentDecode(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(UInt8(ascii: "%")) else { return text }
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
               let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
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
