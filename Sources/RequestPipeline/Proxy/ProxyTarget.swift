import Glibc

/// Where and how to forward one request.
public struct ProxyTarget: Sendable, Equatable {
    /// The absolute `http://` or `https://` URL, with path and query, as the rewrite rule produced it.
    public var url: String
    /// ISAPI_Rewrite's RewriteProxy `F` flag: follow the upstream's redirects internally
    /// and answer with the final response.
    public var followsRedirects: Bool

    /// - Parameters:
    ///   - url: the absolute `http[s]://host[:port]/path?query` URL to forward to.
    ///   - followsRedirects: follow upstream 301/302/303/307/308 internally (at most 5 hops).
    public init(url: String, followsRedirects: Bool = false) {
        self.url = url
        self.followsRedirects = followsRedirects
    }
}

/// A parsed `http://` or `https://` URL as the proxy uses it: where to connect, what the
/// request line and the Host header say.
public struct UpstreamURL: Sendable, Equatable {
    /// `http` or `https`.
    public var scheme: String
    /// The name or address to resolve, lower-cased, without IPv6 brackets.
    public var host: String
    public var port: Int
    var isIPv6Literal: Bool
    /// The origin-form request target: path and query, percent-encoded where HTTP
    /// does not allow a byte, never empty.
    public var target: String

    /// Whether the upstream is reached over TLS.
    public var isHTTPS: Bool { scheme == "https" }

    /// The scheme's default port (80, 443).
    var defaultPort: Int { isHTTPS ? 443 : 80 }

    /// `host[:port]` for the Host header: brackets around IPv6, no port when it is the scheme's default.
    public var authority: String {
        let name = isIPv6Literal ? "[\(host)]" : host
        return port == defaultPort ? name : "\(name):\(port)"
    }

    /// The name log messages use: `scheme://host:port`, always with the port.
    var key: String { scheme + "://" + (isIPv6Literal ? "[\(host)]" : host) + ":\(port)" }

    /// Parses an absolute `http://` or `https://` URL; nil for any other scheme or a
    /// malformed one (user info, a bad port, characters no host name has).
    static func parse(_ url: String) -> UpstreamURL? {
        guard let parts = AbsoluteURL(url), parts.scheme == "http" || parts.scheme == "https" else { return nil }
        var tail = parts.rest
        if let hash = tail.firstIndex(of: "#") { tail = tail[..<hash] }
        var target = String(tail)
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        let port = parts.port ?? (parts.scheme == "https" ? 443 : 80)
        return UpstreamURL(scheme: parts.scheme, host: parts.host, port: port, isIPv6Literal: parts.isIPv6Literal,
                           target: Self.encodeTarget(target))
    }

    /// A redirect's Location resolved against this URL: an absolute `http(s)://` URL, a
    /// network-path (`//host/...`), an absolute path or a relative reference. Nil for
    /// other schemes, which the proxy cannot follow.
    func resolve(_ reference: String) -> UpstreamURL? {
        if reference.hasPrefix("//") { return Self.parse(scheme + ":" + reference) }
        if AbsoluteURL.scheme(of: reference) != nil { return Self.parse(reference) }
        var resolved = self
        var reference = Substring(reference)
        if let hash = reference.firstIndex(of: "#") { reference = reference[..<hash] }
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "/"
        if reference.hasPrefix("/") {
            resolved.target = String(reference)
        } else if reference.isEmpty {
            return self
        } else if reference.hasPrefix("?") {
            resolved.target = String(path + reference)
        } else {
            let directory = path[...(path.lastIndex(of: "/") ?? path.startIndex)]
            resolved.target = String(directory + reference)
        }
        resolved.target = Self.encodeTarget(resolved.target)
        return resolved
    }

    /// A Location or Content-Location the upstream sent, as the client must see it: one
    /// that points at this upstream (`scheme://host[:port]`) moves to `clientOrigin`
    /// (the client's scheme and Host) with the same path and query; others stay
    /// (mod_proxy's ProxyPassReverse for the target a rule forwarded to).
    func clientFacing(_ location: String, clientOrigin: String) -> String {
        guard let parts = AbsoluteURL(location), parts.scheme == scheme, parts.host == host,
              (parts.port ?? defaultPort) == port else { return location }
        return clientOrigin + (parts.rest.hasPrefix("/") ? parts.rest : "/" + parts.rest)
    }

    /// Percent-encodes the bytes a request-target may not carry (controls, space,
    /// non-ASCII, `"<>\^`{|}`); `%` and reserved characters stay as they are.
    static func encodeTarget(_ target: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(target.utf8.count)
        for byte in target.utf8 {
            switch byte {
            case 0...0x20, 0x7F...0xFF, UInt8(ascii: "\""), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\\"),
                 UInt8(ascii: "^"), UInt8(ascii: "`"), UInt8(ascii: "{"), UInt8(ascii: "|"), UInt8(ascii: "}"):
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// `scheme://authority` and what follows it, split and checked.
struct AbsoluteURL {
    /// Lower-cased.
    var scheme: String
    /// Lower-cased, without IPv6 brackets.
    var host: String
    var port: Int?
    var isIPv6Literal: Bool
    /// Everything after the authority: path, query, fragment (may be empty).
    var rest: Substring

    init?(_ url: String) {
        guard let scheme = Self.scheme(of: url) else { return nil }
        let afterScheme = url.dropFirst(scheme.count + 1)
        guard afterScheme.hasPrefix("//") else { return nil }
        let authorityAndRest = afterScheme.dropFirst(2)
        let authorityEnd = authorityAndRest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" }
            ?? authorityAndRest.endIndex
        let authority = authorityAndRest[..<authorityEnd]
        guard !authority.contains("@") else { return nil }
        var hostPart: Substring
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portPart = after.dropFirst()
            }
            var address = in6_addr()
            guard inet_pton(AF_INET6, String(hostPart), &address) == 1 else { return nil }
            isIPv6Literal = true
        } else {
            if let colon = authority.firstIndex(of: ":") {
                hostPart = authority[..<colon]
                portPart = authority[authority.index(after: colon)...]
            } else {
                hostPart = authority
            }
            guard !hostPart.isEmpty, hostPart.utf8.allSatisfy(Self.isHostByte) else { return nil }
            isIPv6Literal = false
        }
        if let portPart, !portPart.isEmpty {
            guard portPart.utf8.count <= 5, portPart.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  let number = Int(portPart), (1...65535).contains(number) else { return nil }
            port = number
        }
        self.scheme = scheme
        host = hostPart.lowercased()
        rest = authorityAndRest[authorityEnd...]
    }

    /// The lower-cased scheme of an absolute URL (`http:`, `https:`), or nil for a reference.
    static func scheme(of url: String) -> String? {
        guard let colon = url.firstIndex(of: ":") else { return nil }
        let name = url[..<colon]
        guard let first = name.utf8.first, Self.isLetter(first),
              name.utf8.allSatisfy({ Self.isLetter($0) || ($0 >= 48 && $0 <= 57) || $0 == 43 || $0 == 45 || $0 == 46 })
        else { return nil }
        return name.lowercased()
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 97 && (byte | 0x20) <= 122 }

    private static func isHostByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || (byte >= 48 && byte <= 57) || byte == 45 || byte == 46 || byte == 95
    }
}
