import Foundation

/// mod_authz_core's `Require` lines of one scope. As in Apache, several lines form an
/// implicit `<RequireAny>`: the request is granted when any of them grants it.
public struct AccessPolicy: Sendable, Equatable {
    public var rules: [AccessRule]

    public init(rules: [AccessRule]) { self.rules = rules }

    public func grants(remoteAddress: String, method: String) -> Bool {
        rules.contains { $0.grants(remoteAddress: remoteAddress, method: method) }
    }
}

/// One `Require` line.
public enum AccessRule: Sendable, Equatable {
    case all(granted: Bool)
    case ip([IPRange])
    /// `Require local`: loopback addresses (and, in Apache, the server's own address).
    case local
    case method(Set<String>)

    func grants(remoteAddress: String, method requestMethod: String) -> Bool {
        switch self {
        case .all(let granted): return granted
        case .ip(let ranges):
            guard let address = IPAddress(remoteAddress) else { return false }
            return ranges.contains { $0.contains(address) }
        case .local:
            guard let address = IPAddress(remoteAddress) else { return false }
            return IPRange.loopback.contains { $0.contains(address) }
        case .method(let methods): return methods.contains(requestMethod)
        }
    }
}

/// An IPv4 or IPv6 address as 16 bytes (IPv4 mapped into `::ffff:0:0/96`).
public struct IPAddress: Sendable, Equatable, Hashable {
    public let bytes: [UInt8]

    public init?(_ text: String) {
        var text = Substring(text)
        if text.hasPrefix("[") && text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, String(text), &v4) == 1 {
            let value = UInt32(bigEndian: v4.s_addr)
            bytes = Array(repeating: 0, count: 10) + [0xff, 0xff]
                + [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
        } else if inet_pton(AF_INET6, String(text), &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
    }

    /// Whether `text` is an IPv6 address in RFC 4291's text forms (an IPv4 tail included),
    /// as inside the brackets of a URI's IP-literal.
    public static func isIPv6(_ text: String) -> Bool {
        var v6 = in6_addr()
        return inet_pton(AF_INET6, text, &v6) == 1
    }
}

/// A network for `Require ip`: `10.1.2.3`, `10.1` (partial), `10.0.0.0/8`,
/// `10.0.0.0/255.0.0.0` or `2001:db8::/32`.
public struct IPRange: Sendable, Equatable {
    public let network: IPAddress
    public let prefixLength: Int

    static let loopback = [IPRange("127.0.0.0/8")!, IPRange("::1")!]

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, !first.isEmpty else { return nil }
        let isV4Syntax = first.allSatisfy { $0.isNumber || $0 == "." }
        if parts.count == 1 && isV4Syntax {
            // Partial addresses: "10.1" means 10.1.0.0/16.
            let octets = first.split(separator: ".", omittingEmptySubsequences: false)
            guard (1...4).contains(octets.count), octets.allSatisfy({ !$0.isEmpty && (UInt8($0) != nil) }) else { return nil }
            let padded = octets.map(String.init) + Array(repeating: "0", count: 4 - octets.count)
            guard let address = IPAddress(padded.joined(separator: ".")) else { return nil }
            network = address
            prefixLength = 96 + octets.count * 8
            return
        }
        guard let address = IPAddress(first) else { return nil }
        let v4 = isV4Syntax
        var length = v4 ? 128 : 128
        if parts.count == 2 {
            if let bits = Int(parts[1]) {
                guard bits >= 0, bits <= (v4 ? 32 : 128) else { return nil }
                length = v4 ? 96 + bits : bits
            } else if v4, let mask = IPAddress(parts[1]) {
                let maskBits = mask.bytes[12...].reduce(0) { $0 + $1.nonzeroBitCount }
                length = 96 + maskBits
            } else {
                return nil
            }
        }
        network = address
        prefixLength = length
    }

    public func contains(_ address: IPAddress) -> Bool {
        var remaining = prefixLength
        for i in 0..<16 where remaining > 0 {
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xff : ~(0xff >> UInt8(bits))
            if network.bytes[i] & mask != address.bytes[i] & mask { return false }
            remaining -= bits
        }
        return true
    }
}
