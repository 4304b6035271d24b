import Foundation

/// HAProxy's PROXY protocol header (version 1 text, version 2 binary), which a balancer
/// sends at the very start of a connection to say whom it is relaying: the groundwork of
/// mod_remoteip's `RemoteIPProxyProtocol On`. Pure: bytes in, a decision out.
///
/// `ProxyProtocolHandler` uses it at the head of the channel, before TLS and HTTP, and
/// is removed once the header is read.
enum ProxyProtocolHeader {
    /// The client the balancer reports; nil for v1 `UNKNOWN` and v2 `LOCAL` (health checks
    /// by the balancer itself: the connection's own addresses stand).
    struct Source: Sendable, Equatable {
        var address: String
        var port: Int
    }

    enum Parse: Sendable, Equatable {
        /// Too few bytes yet to decide.
        case needMore
        /// The header is `length` bytes long; what follows is the client's own stream.
        case header(Source?, length: Int)
        /// Not a PROXY header, or a malformed one: the connection is closed (Apache's
        /// AH03497-AH03510 family).
        case invalid(String)
    }

    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    static let v1Prefix = Array("PROXY ".utf8)
    /// The longest v1 line, CRLF included (the specification's 107 bytes).
    static let v1MaximumLength = 107

    static func parse(_ bytes: [UInt8]) -> Parse {
        if bytes.starts(with: v2Signature.prefix(min(bytes.count, v2Signature.count))), bytes.first == 0x0D {
            return parseV2(bytes)
        }
        if bytes.starts(with: v1Prefix.prefix(min(bytes.count, v1Prefix.count))), bytes.first == UInt8(ascii: "P") {
            return parseV1(bytes)
        }
        return bytes.isEmpty ? .needMore : .invalid("no valid PROXY header found")
    }

    /// `PROXY TCP4|TCP6|UNKNOWN src dst sport dport\r\n`.
    private static func parseV1(_ bytes: [UInt8]) -> Parse {
        // The CR may be at most at offset 105, so that CRLF ends by byte 107.
        guard let cr = bytes.prefix(v1MaximumLength - 1).firstIndex(of: 0x0D) else {
            return bytes.count >= v1MaximumLength - 1 ? .invalid("PROXY header line longer than 107 bytes") : .needMore
        }
        guard cr + 1 < bytes.count else { return .needMore }
        guard bytes[cr + 1] == 0x0A else { return .invalid("PROXY header line not ended by CRLF") }
        let line = String(decoding: bytes[..<cr], as: UTF8.self)
        let words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard words.count >= 2 else { return .invalid("no family found in header '\(line)'") }
        let family = words[1]
        if family == "UNKNOWN" { return .header(nil, length: cr + 2) }
        guard family == "TCP4" || family == "TCP6" else { return .invalid("unknown family '\(family)' in header '\(line)'") }
        guard words.count == 6 else { return .invalid("wrong number of fields in header '\(line)'") }
        guard isAddress(words[2], v6: family == "TCP6"), isAddress(words[3], v6: family == "TCP6") else {
            return .invalid("invalid address in header '\(line)'")
        }
        guard let port = Int(words[4]), (0...65535).contains(port), Int(words[5]).map({ (0...65535).contains($0) }) == true else {
            return .invalid("error parsing port in header '\(line)'")
        }
        return .header(Source(address: words[2], port: port), length: cr + 2)
    }

    /// The 12-byte signature, version/command, family/protocol, a 16-bit length, then
    /// the addresses (and TLVs, skipped).
    private static func parseV2(_ bytes: [UInt8]) -> Parse {
        guard bytes.count >= 16 else { return .needMore }
        let versionCommand = bytes[12]
        guard versionCommand >> 4 == 2 else { return .invalid("unsupported PROXY protocol version \(versionCommand >> 4)") }
        let length = 16 + (Int(bytes[14]) << 8 | Int(bytes[15]))
        guard bytes.count >= length else { return .needMore }
        switch versionCommand & 0x0F {
        case 0x00:
            return .header(nil, length: length)
        case 0x01:
            let body = Array(bytes[16..<length])
            switch bytes[13] {
            case 0x11:
                guard body.count >= 12 else { return .invalid("PROXY v2 TCP4 address block too short") }
                let address = body[0..<4].map(String.init).joined(separator: ".")
                return .header(Source(address: address, port: Int(body[8]) << 8 | Int(body[9])), length: length)
            case 0x21:
                guard body.count >= 36 else { return .invalid("PROXY v2 TCP6 address block too short") }
                var raw = in6_addr()
                withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: body[0..<16]) }
                var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                guard inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count)) != nil else {
                    return .invalid("PROXY v2 TCP6 address unreadable")
                }
                return .header(Source(address: String(cString: text), port: Int(body[32]) << 8 | Int(body[33])), length: length)
            default:
                return .invalid(String(format: "unsupported PROXY v2 protocol %.2x", bytes[13]))
            }
        default:
            return .invalid(String(format: "unsupported PROXY v2 command %.2x", versionCommand))
        }
    }

    private static func isAddress(_ text: String, v6: Bool) -> Bool {
        if v6 {
            var v6Address = in6_addr()
            return inet_pton(AF_INET6, text, &v6Address) == 1
        }
        var v4Address = in_addr()
        return inet_pton(AF_INET, text, &v4Address) == 1
    }
}
