import Foundation

/// mod_remoteip: the client address behind a load balancer. All are server-config
/// directives (main server and `<VirtualHost>`), as Apache's RSRC_CONF.
let remoteIPDirectives: [DirectiveSpec] = [
    DirectiveSpec("RemoteIPHeader", module: "mod_remoteip.c", contexts: .serverConfig, arity: 1...1,
                  syntax: "takes one argument, the request header to trust as the client IP, e.g. X-Forwarded-For") { d, t in
        t.host.remoteIP.header = d.arguments[0]
    },
    DirectiveSpec("RemoteIPProxiesHeader", module: "mod_remoteip.c", contexts: .serverConfig, arity: 1...1,
                  syntax: "takes one argument, the request header to record proxy IPs in, e.g. X-Forwarded-By") { d, t in
        t.host.remoteIP.proxiesHeader = d.arguments[0]
    },
    DirectiveSpec("RemoteIPTrustedProxy", module: "mod_remoteip.c", contexts: .serverConfig, arity: 1...Int.max,
                  syntax: "takes one or more addresses, networks (CIDR) or host names of trusted proxies") { d, t in
        for argument in d.arguments { try RemoteIPProxyList.add(argument, kind: .trusted, d, t) }
    },
    DirectiveSpec("RemoteIPInternalProxy", module: "mod_remoteip.c", contexts: .serverConfig, arity: 1...Int.max,
                  syntax: "takes one or more addresses, networks (CIDR) or host names of internal proxies") { d, t in
        for argument in d.arguments { try RemoteIPProxyList.add(argument, kind: .internal, d, t) }
    },
    DirectiveSpec("RemoteIPTrustedProxyList", module: "mod_remoteip.c", contexts: .serverConfig, arity: 1...1,
                  syntax: "takes one argument, the file listing trusted proxies") { d, t in
        try RemoteIPProxyList.read(file: d.arguments[0], kind: .trusted, d, t)
    },
    DirectiveSpec("RemoteIPInternalProxyList", module: "mod_remoteip.c", contexts: .serverConfig, arity: 1...1,
                  syntax: "takes one argument, the file listing internal proxies") { d, t in
        try RemoteIPProxyList.read(file: d.arguments[0], kind: .internal, d, t)
    },
    DirectiveSpec("RemoteIPProxyProtocol", module: "mod_remoteip.c", contexts: .serverConfig, arity: 1...1,
                  syntax: "Enable PROXY protocol handling ('on', 'off')") { d, t in
        let state: RemoteIPProxyProtocol.State = try d.flag() ? .on : .off
        // The main server's setting covers every address; a virtual host's, each of its own.
        let addresses: [HostAddress?] = t.context == .virtualHost ? t.host.addresses.map { Optional($0) } : [nil]
        for address in addresses {
            if let warning = t.server.remoteIPProxyProtocol.set(state, address: address, at: d.location) {
                t.server.warnings.append(warning)
            }
        }
    },
    DirectiveSpec("RemoteIPProxyProtocolExceptions", module: "mod_remoteip.c", contexts: .serverConfig,
                  arity: 1...Int.max,
                  syntax: "Disable PROXY protocol handling for this list of networks in CIDR format") { d, t in
        for argument in d.arguments {
            guard let network = IPRange(argument) else {
                let address = argument.split(separator: "/", maxSplits: 1).first.map(String.init) ?? argument
                throw d.invalid("ip address '\(address)' appears to be invalid")
            }
            t.server.remoteIPProxyProtocol.exceptions.append(network)
        }
    },
]

/// Parsing of the proxy lists, with Apache's rules: an argument that looks like an IP
/// (it has a `:`, or only digits and dots) is an address or network (`10.0.0.0/8`,
/// `10.1`, `10.0.0.0/255.0.0.0`, `2001:db8::/32`); anything else is a host name,
/// resolved now, each of its addresses becoming an entry.
enum RemoteIPProxyList {
    static func add(_ argument: String, kind: RemoteIPProxy.Kind, _ d: Directive, _ t: DirectiveTarget) throws(ConfigError) {
        let entries = try parse(argument, kind: kind, d)
        t.host.remoteIP.proxies = (t.host.remoteIP.proxies ?? []) + entries
    }

    static func parse(_ argument: String, kind: RemoteIPProxy.Kind, _ d: Directive) throws(ConfigError) -> [RemoteIPProxy] {
        let address = argument.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let looksLikeIP = address.contains(":") || address.allSatisfy { $0 == "." || $0.isASCII && $0.isNumber }
        if looksLikeIP {
            guard let network = IPRange(argument) else {
                throw d.invalid("RemoteIP: Error parsing IP \(argument) for \(d.name)")
            }
            return [RemoteIPProxy(network: network, kind: kind)]
        }
        if argument.contains("/") {
            let subnet = argument.split(separator: "/", maxSplits: 1)[1]
            throw d.invalid("RemoteIP: Error parsing IP \(argument) the subnet /\(subnet) is invalid for \(d.name)")
        }
        let addresses = resolve(hostName: String(address))
        guard !addresses.isEmpty else {
            throw d.invalid("RemoteIP: Error parsing IP \(argument) (the host name does not resolve) for \(d.name)")
        }
        return addresses.compactMap { IPRange($0) }.map { RemoteIPProxy(network: $0, kind: kind) }
    }

    /// `RemoteIPTrustedProxyList` / `RemoteIPInternalProxyList`: whitespace-separated
    /// entries, `#` starting a comment to the end of the line. A bad entry is an error
    /// at its own line of the list file.
    static func read(file: String, kind: RemoteIPProxy.Kind, _ d: Directive, _ t: DirectiveTarget) throws(ConfigError) {
        let path = t.resolvePath(file)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw d.invalid("Could not open file \(path)")
        }
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let location = SourceLocation(file: path, line: index + 1)
            for word in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }) {
                if word.hasPrefix("#") { break }
                let entry = Directive(name: d.name, arguments: [String(word)], location: location)
                try add(String(word), kind: kind, entry, t)
            }
        }
    }

    /// The addresses a host name has now (getaddrinfo), as text; empty when it has none.
    static func resolve(hostName: String) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(hostName, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var result: [String] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let entry = node {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0,
                           NI_NUMERICHOST) == 0 {
                let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !result.contains(text) { result.append(text) }
            }
            node = entry.pointee.ai_next
        }
        return result
    }
}
