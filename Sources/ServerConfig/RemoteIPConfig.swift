/// mod_remoteip's settings for one server (the main server or a `<VirtualHost>`): which
/// request header carries the client address, which peers may present it, and where to
/// record the proxies it passed. Each field is nil when not written, so that a virtual
/// host takes the main server's value field by field, as Apache merges them.
public struct RemoteIPConfig: Sendable, Equatable {
    /// `RemoteIPHeader`: the header holding the client address list (`X-Forwarded-For`).
    public var header: String?
    /// `RemoteIPProxiesHeader`: the header that receives the trusted proxies passed.
    public var proxiesHeader: String?
    /// `RemoteIPTrustedProxy`, `RemoteIPInternalProxy` and their `...List` forms, in the
    /// order written (the first that matches a peer decides its kind). nil when none was
    /// written: then every peer is trusted as an external proxy.
    public var proxies: [RemoteIPProxy]?

    public init(header: String? = nil, proxiesHeader: String? = nil, proxies: [RemoteIPProxy]? = nil) {
        self.header = header
        self.proxiesHeader = proxiesHeader
        self.proxies = proxies
    }

    /// This (a virtual host's) settings over the main server's: each unset field is taken
    /// from `main` (Apache's `merge_remoteip_server_config`).
    public func merged(over main: RemoteIPConfig) -> RemoteIPConfig {
        RemoteIPConfig(header: header ?? main.header, proxiesHeader: proxiesHeader ?? main.proxiesHeader,
                       proxies: proxies ?? main.proxies)
    }
}

/// One entry of the proxy list: a network, and whether it is an internal proxy (which may
/// report private addresses) or a trusted external one (whose reports must be public).
public struct RemoteIPProxy: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `RemoteIPTrustedProxy`: trusted, but a private address it reports is refused,
        /// and it is recorded in `RemoteIPProxiesHeader`.
        case trusted
        /// `RemoteIPInternalProxy`: trusted with private addresses too; not recorded.
        case `internal`
    }

    public let network: IPRange
    public let kind: Kind

    public init(network: IPRange, kind: Kind) {
        self.network = network
        self.kind = kind
    }
}

/// `RemoteIPProxyProtocol` and `RemoteIPProxyProtocolExceptions`: whether a connection must
/// start with HAProxy's PROXY header. Server-wide, as Apache keeps both in the main
/// server's configuration: the setting belongs to the address:port a virtual host is
/// written for (the main server's is every address), so all the name-based virtual hosts
/// of one address share it; a later setting for the same address replaces an earlier one
/// with a warning, as Apache's AH03491 notice.
public struct RemoteIPProxyProtocol: Sendable, Equatable {
    /// One `RemoteIPProxyProtocol` line, for one address of its server.
    public struct Setting: Sendable, Equatable {
        /// The `<VirtualHost>` address; nil for the main server (every address and port).
        public let address: HostAddress?
        public let state: State
        public let location: SourceLocation
    }

    public enum State: String, Sendable, Equatable {
        case on = "On"
        case off = "Off"
    }

    public var settings: [Setting] = []
    /// Peers that may connect without the header (health checks, administrators).
    public var exceptions: [IPRange] = []

    public init() {}

    /// Whether a connection to `localAddress`:`localPort` from `peer` must send the header:
    /// an `On` covers the address and no `Off` does, and the peer is no exception.
    public func isRequired(localAddress: String, localPort: Int, peer: String) -> Bool {
        let matching = settings.filter { Self.covers($0.address, localAddress, localPort) }
        guard matching.contains(where: { $0.state == .on }), !matching.contains(where: { $0.state == .off }) else {
            return false
        }
        guard let peerAddress = IPAddress(peer) else { return true }
        return !exceptions.contains { $0.contains(peerAddress) }
    }

    /// Records a setting; one for the very same address replaces the earlier, and says so.
    mutating func set(_ state: State, address: HostAddress?, at location: SourceLocation) -> ConfigError? {
        var warning: ConfigError?
        if let index = settings.firstIndex(where: { $0.address == address }) {
            let previous = settings.remove(at: index)
            if previous.state != state {
                warning = ConfigError(
                    file: location.file, line: location.line, kind: .badArguments,
                    message: "RemoteIPProxyProtocol: previous setting for \(Self.describe(address)) from "
                        + "\(previous.location.file):\(previous.location.line) is being overridden; "
                        + "new setting is '\(state.rawValue)' (the setting belongs to the address, shared by "
                        + "every virtual host on it)")
            }
        }
        settings.append(Setting(address: address, state: state, location: location))
        return warning
    }

    /// Apache's `remoteip_sockaddr_compat`: the same IP (or a wildcard), the same port (or none).
    static func covers(_ address: HostAddress?, _ localAddress: String, _ localPort: Int) -> Bool {
        guard let address else { return true }
        if let port = address.port, port != 0, port != localPort { return false }
        if address.isWildcard { return true }
        guard let written = IPAddress(address.host), let local = IPAddress(localAddress) else {
            return address.host.caseInsensitiveEquals(localAddress)
        }
        return written == local
    }

    static func describe(_ address: HostAddress?) -> String {
        guard let address else { return "the main server (every address)" }
        return "\(address.host):\(address.port.map(String.init) ?? "*")"
    }
}
