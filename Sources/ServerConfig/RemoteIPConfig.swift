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
