import ISAPIHost

/// A request as it arrived: what the decoder read, where from, and when.
public struct IncomingRequest: Sendable {
    public var method: String
    /// The request-target exactly as sent (origin-form or absolute-form).
    public var target: String
    public var versionMajor: Int
    public var versionMinor: Int
    public var headers: HeaderFields
    public var connection: ConnectionInfo
    /// Microseconds since the Unix epoch when the request line arrived.
    public var receivedAtMicroseconds: Int64
    /// Content-Length, or nil for no body / chunked.
    public var contentLength: Int64?
    public var isChunked: Bool

    public init(method: String, target: String, versionMajor: Int = 1, versionMinor: Int = 1, headers: HeaderFields = [:],
                connection: ConnectionInfo = ConnectionInfo(), receivedAtMicroseconds: Int64 = 0,
                contentLength: Int64? = nil, isChunked: Bool = false) {
        self.method = method
        self.target = target
        self.versionMajor = versionMajor
        self.versionMinor = versionMinor
        self.headers = headers
        self.connection = connection
        self.receivedAtMicroseconds = receivedAtMicroseconds
        self.contentLength = contentLength
        self.isChunked = isChunked
    }

    public var protocolName: String { "HTTP/\(versionMajor).\(versionMinor)" }
    public var requestLine: String { "\(method) \(target) \(protocolName)" }
    public var hasBody: Bool { isChunked || (contentLength ?? 0) > 0 }
}

/// Both ends of the connection a request came on.
public struct ConnectionInfo: Sendable {
    public var remoteAddress: String
    public var remotePort: Int
    public var localAddress: String
    public var localPort: Int
    /// How many requests this connection carried before this one (Apache's %k).
    public var keepAliveCount: Int
    /// What the TLS handshake negotiated; nil on a plain-HTTP connection.
    public var tls: TLSSessionInfo? {
        get { sharedTLS?.value }
        set { sharedTLS = newValue.map(Shared.init) }
    }
    /// `tls` behind one reference: a ConnectionInfo is copied ~9 times per request, and a
    /// TLSSessionInfo inline (two certificates' worth of strings) made each copy ~300 bytes
    /// of memcpy and ~20 reference counts more, on plain-HTTP connections too.
    private var sharedTLS: Shared<TLSSessionInfo>?
    /// mod_remoteip: the peer that opened the connection (Apache's `c->client_ip`) once
    /// `remoteAddress` holds the client a trusted proxy reported; nil when the peer is the
    /// client. See `Phases/RemoteIP.swift`.
    public var peerAddress: String?
    /// Who named the client in `remoteAddress`/`remotePort`.
    public var clientOrigin = ClientOrigin.peer
    /// This connection's ISAPI filter state (see Filters/); nil when no filter is configured.
    public var filterSession: FilterSession?

    /// mod_remoteip's two ways of learning the client behind a balancer.
    public enum ClientOrigin: Sendable, Equatable {
        /// The peer is the client (or mod_remoteip is not in use).
        case peer
        /// A trusted proxy's `RemoteIPHeader` named the client; its port is unknown.
        case remoteIPHeader
        /// The connection began with a PROXY header (`RemoteIPProxyProtocol On`): the client
        /// and its real port when it named one (`peerAddress` is then the balancer), the
        /// peer itself for a `LOCAL`/`UNKNOWN` header. Request headers are not consulted.
        case proxyProtocol
    }

    public init(remoteAddress: String = "127.0.0.1", remotePort: Int = 0, localAddress: String = "127.0.0.1",
                localPort: Int = 80, keepAliveCount: Int = 0, tls: TLSSessionInfo? = nil) {
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
        self.localAddress = localAddress
        self.localPort = localPort
        self.keepAliveCount = keepAliveCount
        self.sharedTLS = tls.map(Shared.init)
    }

    /// Whether the request came over TLS (without copying what it negotiated).
    public var isSecure: Bool { sharedTLS != nil }

    /// "https" on a TLS connection, else "http" (REQUEST_SCHEME, redirects' scheme).
    public var scheme: String { isSecure ? "https" : "http" }
}
