import Foundation

/// mod_proxy's (and mod_ssl's proxy) directives isapid's reverse proxy (RewriteProxy, `[P]`) honours.
let proxyDirectives: [DirectiveSpec] = [
    // Apache: the seconds to wait for upstream data (connecting excluded); unset, Timeout.
    // isapid accepts '<n>ms' too, as it does for KeepAliveTimeout.
    DirectiveSpec(
        "ProxyTimeout", module: "mod_proxy.c", contexts: .server, arity: 1...1,
        syntax: "takes one argument, the seconds (or '<n>ms') to wait for data from an upstream"
    ) { d, t in
        let seconds = try d.seconds()
        guard seconds > 0 else { throw d.invalid("ProxyTimeout must be greater than 0") }
        t.server.proxyTimeoutSeconds = seconds
    },
    // Apache: parameters of the worker for a URL; a [P] target whose scheme, host and port
    // match uses them. isapid knows `connectiontimeout` and `timeout` (seconds or '<n>ms').
    DirectiveSpec(
        "ProxySet", module: "mod_proxy.c", contexts: .server, arity: 2...99,
        syntax: "takes an upstream URL and key=value parameters (connectiontimeout=, timeout=)"
    ) { d, t in
        guard let worker = ProxyWorkerParameters(url: d.arguments[0]) else {
            throw d.invalid("'\(d.arguments[0])' is not an http:// or https:// URL")
        }
        var parameters = t.server.proxyWorkers.first { $0.sameUpstream(worker) } ?? worker
        for argument in d.arguments.dropFirst() {
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw d.invalid("'\(argument)' is not a key=value parameter") }
            guard let seconds = ProxyWorkerParameters.seconds(parts[1]), seconds > 0 else {
                throw d.invalid("\(parts[0]): '\(parts[1])' is not a time in seconds greater than 0")
            }
            switch parts[0].lowercased() {
            case "connectiontimeout": parameters.connectTimeoutSeconds = seconds
            case "timeout": parameters.timeoutSeconds = seconds
            default: throw d.invalid("parameter '\(parts[0])' is not supported (connectiontimeout, timeout are)")
            }
        }
        t.server.proxyWorkers.removeAll { $0.sameUpstream(parameters) }
        t.server.proxyWorkers.append(parameters)
    },
    // mod_ssl: the CA certificates https upstreams are checked against.
    DirectiveSpec(
        "SSLProxyCACertificateFile", module: "mod_ssl.c", contexts: .server, arity: 1...1,
        syntax: "takes one argument, the file of the CA certificates for https upstreams (PEM)"
    ) { d, t in
        let path = t.resolvePath(d.arguments[0])
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size > 0 else { throw d.invalid("file '\(path)' does not exist or is empty") }
        t.server.sslProxyCACertificateFile = path
    },
    // mod_ssl: whether an https upstream's certificate is checked (`none` or `require`;
    // isapid's default is `require`, mod_ssl's is `none`).
    DirectiveSpec(
        "SSLProxyVerify", module: "mod_ssl.c", contexts: .server, arity: 1...1,
        syntax: "takes one argument, none or require"
    ) { d, t in
        switch d.arguments[0].lowercased() {
        case "none": t.server.sslProxyVerify = false
        case "require": t.server.sslProxyVerify = true
        default: throw d.invalid("must be none or require ('optional' and 'optional_no_ca' are not supported)")
        }
    },
    // mod_ssl: whether an https upstream's certificate must name the host the URL names.
    DirectiveSpec(
        "SSLProxyCheckPeerName", module: "mod_ssl.c", contexts: .server, arity: 1...1,
        syntax: "takes one argument, On or Off"
    ) { d, t in
        t.server.sslProxyCheckPeerName = try d.flag()
    },
]

/// `ProxySet <url> key=value...`: one upstream's (Apache's worker's) parameters, found by
/// the target's scheme, host and port (the URL's path is not compared).
public struct ProxyWorkerParameters: Sendable, Equatable {
    public var scheme: String
    /// Lower-cased, without IPv6 brackets.
    public var host: String
    public var port: Int
    /// `connectiontimeout`: how long connecting (name lookup included) may take.
    public var connectTimeoutSeconds: Double?
    /// `timeout`: this upstream's ProxyTimeout.
    public var timeoutSeconds: Double?

    /// Parses `http[s]://host[:port][/path]`; nil for anything else.
    init?(url: String) {
        let lower = url.lowercased()
        let scheme = lower.hasPrefix("https://") ? "https" : lower.hasPrefix("http://") ? "http" : ""
        guard !scheme.isEmpty else { return nil }
        let rest = lower.dropFirst(scheme.count + 3)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        var host = Substring(authority)
        var port = scheme == "https" ? 443 : 80
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = Int(after.dropFirst()) else { return nil }
                port = number
            }
        } else if let colon = host.firstIndex(of: ":") {
            guard let number = Int(host[host.index(after: colon)...]) else { return nil }
            port = number
            host = host[..<colon]
        }
        guard !host.isEmpty, !host.contains("@"), (1...65535).contains(port) else { return nil }
        self.scheme = scheme
        self.host = String(host)
        self.port = port
    }

    func sameUpstream(_ other: ProxyWorkerParameters) -> Bool {
        scheme == other.scheme && host == other.host && port == other.port
    }

    /// Seconds, or milliseconds with `ms` (as ProxyTimeout takes them).
    static func seconds(_ text: String) -> Double? {
        let lower = text.lowercased()
        let (number, scale) = lower.hasSuffix("ms") ? (lower.dropLast(2), 0.001) : (Substring(lower), 1.0)
        guard let value = Double(number), value.isFinite else { return nil }
        return value * scale
    }
}
