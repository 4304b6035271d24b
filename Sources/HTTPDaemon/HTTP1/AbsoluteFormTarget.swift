import ServerConfig

/// An absolute-form request-target's authority (`http://host[:port]/path`), checked on
/// bytes (it is read only for targets that do not start with `/`). The host must be an
/// RFC 3986 host: a reg-name, a dotted IPv4 address or a bracketed IPv6/IPvFuture
/// literal, with Apache's strict hostname rules for names (letters, digits, `-`, `_`;
/// no empty label; a name of digits and dots must be a dotted quad without leading
/// zeros; a dotted name's last label starts with a letter); the port is digits up to 65535.
enum AbsoluteFormTarget {
    enum Reading: Equatable {
        /// Origin form, `*`, authority form, or no `scheme://`: not this reader's business.
        case notAbsoluteForm
        /// A valid authority, as the Host field should read: the host lower-cased without
        /// a trailing dot, then `:port` when the target named one.
        case host(String)
        /// An absolute-form target that HttpProtocolOptions Strict answers with 400.
        case malformed(String)
    }

    static func read(_ target: UnsafeRawBufferPointer) -> Reading {
        let count = target.count
        guard count > 0, isAlpha(target[0]) else { return .notAbsoluteForm }
        var index = 1
        while index < count && isSchemeChar(target[index]) { index += 1 }
        guard index + 2 < count, target[index] == Byte.colon, target[index + 1] == Byte.slash,
              target[index + 2] == Byte.slash
        else { return .notAbsoluteForm }
        let scheme = UnsafeRawBufferPointer(rebasing: target[0..<index])
        guard (index == 4 && Byte.equalsLowercased(scheme, "http")) || (index == 5 && Byte.equalsLowercased(scheme, "https"))
        else { return .malformed("absolute-form target with a scheme other than http or https") }

        let start = index + 3
        var end = start
        while end < count {
            let byte = target[end]
            if byte == Byte.slash || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#") { break }
            if byte == UInt8(ascii: "@") { return .malformed("userinfo in an absolute-form target") }
            end += 1
        }
        guard end > start else { return .malformed("absolute-form target without a host") }

        var host: [UInt8] = []
        var hostEnd: Int
        if target[start] == UInt8(ascii: "[") {
            guard let close = (start..<end).first(where: { target[$0] == UInt8(ascii: "]") }),
                  isIPLiteral(UnsafeRawBufferPointer(rebasing: target[(start + 1)..<close]))
            else { return .malformed("invalid IP literal in an absolute-form target") }
            hostEnd = close + 1
            host = Array(UnsafeRawBufferPointer(rebasing: target[start..<hostEnd]))
        } else {
            hostEnd = start
            while hostEnd < end && target[hostEnd] != Byte.colon { hostEnd += 1 }
            guard let name = hostName(UnsafeRawBufferPointer(rebasing: target[start..<hostEnd])) else {
                return .malformed("invalid host name in an absolute-form target")
            }
            host = name
        }
        if hostEnd < end {
            guard target[hostEnd] == Byte.colon else { return .malformed("invalid absolute-form authority") }
            let port = UnsafeRawBufferPointer(rebasing: target[(hostEnd + 1)..<end])
            var value = 0
            for byte in port {
                guard Byte.isDigit(byte), value <= 65535 else {
                    return .malformed("invalid port in an absolute-form target")
                }
                value = value * 10 + Int(byte &- Byte.zero)
            }
            guard value <= 65535 else { return .malformed("invalid port in an absolute-form target") }
            if !port.isEmpty {
                host.append(Byte.colon)
                host.append(contentsOf: port)
            }
        }
        for index in host.indices where host[index] &- UInt8(ascii: "A") < 26 { host[index] |= 0x20 }
        return .host(String(decoding: host, as: UTF8.self))
    }

    // MARK: Names

    /// A reg-name or IPv4 address under Apache's strict rules; the name without a
    /// trailing dot, or nil.
    static func hostName(_ name: UnsafeRawBufferPointer) -> [UInt8]? {
        var count = name.count
        if count > 1 && name[count - 1] == UInt8(ascii: ".") { count -= 1 }
        guard count > 0 else { return nil }
        var labelStart = 0
        var allDigits = true
        var dots = 0
        var leadingZero = false
        for index in 0...count {
            if index == count || name[index] == UInt8(ascii: ".") {
                guard index > labelStart else { return nil }  // empty label
                if index - labelStart > 1 && name[labelStart] == Byte.zero { leadingZero = true }
                if index < count {
                    dots += 1
                    labelStart = index + 1
                }
                continue
            }
            let byte = name[index]
            if Byte.isDigit(byte) { continue }
            guard isAlpha(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") else { return nil }
            allDigits = false
        }
        if allDigits {
            guard dots == 3 && !leadingZero else { return nil }  // RFC 3986 §7.4
        } else if dots > 0 && !isAlpha(name[labelStart]) {
            return nil  // the top-level domain starts with a letter (RFC 1123 §2.1)
        }
        return Array(UnsafeRawBufferPointer(rebasing: name[0..<count]))
    }

    // MARK: IP literals

    /// The inside of `[...]`: an IPv6 address (RFC 3986 §3.2.2, checked by the C library's
    /// `inet_pton`, as `Require ip` reads addresses) or `v<hex>.<chars>`.
    static func isIPLiteral(_ literal: UnsafeRawBufferPointer) -> Bool {
        let count = literal.count
        guard count > 0 else { return false }
        if literal[0] | 0x20 == UInt8(ascii: "v") {
            var index = 1
            while index < count && Byte.hexValue(literal[index]) != nil { index += 1 }
            guard index > 1, index + 1 < count, literal[index] == UInt8(ascii: ".") else { return false }
            return literal[(index + 1)...].allSatisfy { Byte.isHostChar($0) && $0 != UInt8(ascii: "%") && $0 != UInt8(ascii: "[")
                && $0 != UInt8(ascii: "]") }
        }
        return IPAddress.isIPv6(String(decoding: literal, as: UTF8.self))
    }

    @inline(__always)
    private static func isAlpha(_ byte: UInt8) -> Bool { (byte | 0x20) &- UInt8(ascii: "a") < 26 }

    /// `ALPHA / DIGIT / "+" / "-" / "."`.
    @inline(__always)
    private static func isSchemeChar(_ byte: UInt8) -> Bool {
        isAlpha(byte) || Byte.isDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: ".")
    }
}
