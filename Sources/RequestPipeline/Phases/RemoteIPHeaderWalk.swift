import Foundation
import ServerConfig

/// mod_remoteip's rule for reading a proxy header (`X-Forwarded-For: client, proxy1, proxy2`),
/// as Apache 2.4's `remoteip_modify_request` applies it. Pure: no request, no logging.
///
/// The list is read from the right. While the host now in question (first the connection's
/// peer, then each address taken) is an acceptable proxy, the rightmost address left in
/// the list becomes the client and is removed from it. It stops at:
/// - a host that is not in the proxy list (when a list is configured; without one, every
///   host counts as a trusted external proxy);
/// - an empty element, or one that is not an IP address (host names are not resolved;
///   `1.2.3.4:80` and `[::1]` are not addresses);
/// - a private address (10/8, 127/8, 169.254/16, 172.16/12, 192.168/16; IPv6 outside
///   2000::/3) reported by an external proxy. Only internal proxies may report those, and
///   a host an external proxy reported is never treated as internal afterwards.
public enum RemoteIPHeaderWalk {
    /// Why the walk ended.
    public enum Stop: Sendable, Equatable {
        /// Every address in the header was taken.
        case exhausted
        /// This host is not in the proxy list: what it reports is not believed.
        case untrustedProxy(String)
        /// An element that is not an IP address (Apache's AH01568).
        case unparsable(String)
        /// A private address reported by an external proxy (Apache's AH01569).
        case privateAddress(String)
        /// An empty element (`a,,b`).
        case emptyElement
    }

    /// What the walk found.
    public struct Outcome: Sendable, Equatable {
        /// The client address: the last address taken, canonical text; nil when none was
        /// taken (the request keeps its peer as client and its header as sent).
        public var client: String?
        /// The header's new value: the part not taken; nil when all was taken (Apache then
        /// removes the header).
        public var remainingHeader: String?
        /// The external (trusted) proxies passed, nearest first: `RemoteIPProxiesHeader`
        /// and the `remoteip-proxy-ip-list` note, joined with ", ". Internal proxies are
        /// not listed.
        public var trustedProxies: [String]
        public var stop: Stop
    }

    /// Walks `header` as sent to a connection from `peer`.
    public static func walk(peer: String, header: String, proxies: [RemoteIPProxy]?) -> Outcome {
        var remaining: Substring? = Substring(header)
        var current = peer
        // With a proxy list, hosts count as internal until one matches as trusted.
        var isInternal = proxies != nil
        var trusted: [String] = []
        var client: String?
        var stop = Stop.exhausted
        walking: while let rest = remaining {
            if let proxies {
                guard let address = IPAddress(current), let match = proxies.first(where: { $0.network.contains(address) }) else {
                    stop = .untrustedProxy(current)
                    break walking
                }
                if isInternal { isInternal = match.kind == .internal }
            }
            let before: Substring?
            let element: Substring
            if let comma = rest.lastIndex(of: ",") {
                before = rest[..<comma]
                element = rest[rest.index(after: comma)...]
            } else {
                before = nil
                element = rest
            }
            let trimmed = trimSpaces(element)
            let failure: Stop?
            let parsed = trimmed.isEmpty ? nil : canonicalAddress(String(trimmed))
            if trimmed.isEmpty {
                failure = .emptyElement
            } else if parsed == nil {
                failure = .unparsable(String(trimmed))
            } else if !isInternal && isPrivate(parsed!) {
                failure = .privateAddress(String(trimmed))
            } else {
                failure = nil
            }
            if let failure {
                // The element goes back: after a comma as written (trailing spaces cut),
                // or alone, trimmed.
                if let before {
                    let kept = trimmed.isEmpty ? element : element[..<trimmed.endIndex]
                    remaining = Substring(before + "," + kept)
                } else {
                    remaining = trimmed
                }
                stop = failure
                break walking
            }
            if !isInternal { trusted.append(current) }
            current = parsed!
            client = current
            remaining = before
        }
        return Outcome(client: client, remainingHeader: remaining.map(String.init), trustedProxies: trusted, stop: stop)
    }

    /// An IPv4 or IPv6 literal in its canonical text (`2001:DB8::1` gives `2001:db8::1`);
    /// nil for anything else.
    static func canonicalAddress(_ text: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        if text.contains(":") {
            var v6 = in6_addr()
            guard inet_pton(AF_INET6, text, &v6) == 1,
                  inet_ntop(AF_INET6, &v6, &buffer, socklen_t(buffer.count)) != nil else { return nil }
        } else {
            var v4 = in_addr()
            guard inet_pton(AF_INET, text, &v4) == 1,
                  inet_ntop(AF_INET, &v4, &buffer, socklen_t(buffer.count)) != nil else { return nil }
        }
        return String(cString: buffer)
    }

    /// Apache's list of addresses an external proxy may not report: RFC 3330's private
    /// and local IPv4 blocks, and any IPv6 address outside global unicast 2000::/3.
    static func isPrivate(_ canonical: String) -> Bool {
        guard let address = IPAddress(canonical) else { return true }
        let bytes = address.bytes
        if canonical.contains(":") { return bytes[0] & 0xe0 != 0x20 }
        let (a, b) = (bytes[12], bytes[13])
        return a == 10 || a == 127 || (a == 169 && b == 254) || (a == 172 && b & 0xf0 == 16) || (a == 192 && b == 168)
    }

    private static func trimSpaces(_ text: Substring) -> Substring {
        var text = text
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}
