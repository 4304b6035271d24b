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

    public var protocolName: String { Self.protocolName(major: versionMajor, minor: versionMinor) }
    /// `HTTP/major.minor`.
    static func protocolName(major: Int, minor: Int) -> String { "HTTP/\(major).\(minor)" }
    /// The line as received: an HTTP/0.9 line names no version (Apache's `the_request`,
    /// which `%r` and THE_REQUEST print).
    public var requestLine: String {
        versionMajor == 0 ? "\(method) \(target)" : "\(method) \(target) \(protocolName)"
    }
    /// HTTP/1.0 or 0.9: no chunked framing, and a body without a length ends with the connection.
    public var isBeforeHTTP11: Bool { versionMajor == 0 || (versionMajor == 1 && versionMinor == 0) }
    public var hasBody: Bool { isChunked || (contentLength ?? 0) > 0 }
}

/// Both ends of the connection a request came on.
///
/// What does not change from request to request (both ends, TLS, mod_remoteip's view of
/// the client) sits behind one `Shared` reference: a ConnectionInfo is copied into every
/// request, and with it each time a request or its context is; inline, its five strings
/// and references made each copy ~100 bytes of memcpy and six reference counts. A change
/// (mod_remoteip, the PROXY protocol, tests) makes a new `Shared`.
public struct ConnectionInfo: Sendable {
    /// The connection's ends.
    private struct Ends: Sendable {
        var remoteAddress: String
        var remotePort: Int
        var localAddress: String
        var localPort: Int
        var tls: TLSSessionInfo?
        var peerAddress: String?
        var clientOrigin = ClientOrigin.peer
    }

    private var ends: Shared<Ends>
    /// How many requests this connection carried before this one (Apache's %k).
    public var keepAliveCount: Int
    /// This connection's ISAPI filter state (see Filters/); nil when no filter is configured.
    public var filterSession: FilterSession?

    private mutating func changeEnds(_ change: (inout Ends) -> Void) {
        var changed = ends.value
        change(&changed)
        ends = Shared(changed)
    }

    public var remoteAddress: String {
        get { ends.value.remoteAddress }
        set { changeEnds { $0.remoteAddress = newValue } }
    }
    public var remotePort: Int {
        get { ends.value.remotePort }
        set { changeEnds { $0.remotePort = newValue } }
    }
    public var localAddress: String {
        get { ends.value.localAddress }
        set { changeEnds { $0.localAddress = newValue } }
    }
    public var localPort: Int {
        get { ends.value.localPort }
        set { changeEnds { $0.localPort = newValue } }
    }
    /// What the TLS handshake negotiated; nil on a plain-HTTP connection.
    public var tls: TLSSessionInfo? {
        get { ends.value.tls }
        set { changeEnds { $0.tls = newValue } }
    }
    /// mod_remoteip: the peer that opened the connection (Apache's `c->client_ip`) once
    /// `remoteAddress` holds the client a trusted proxy reported; nil when the peer is the
    /// client. See `Phases/RemoteIP.swift`.
    public var peerAddress: String? { ends.value.peerAddress }
    /// Who named the client in `remoteAddress`/`remotePort`.
    public var clientOrigin: ClientOrigin { ends.value.clientOrigin }

    /// mod_remoteip and the PROXY protocol: `origin` named the client `address` (and
    /// `port`, when it gave one) behind `peer`, the host that opened the connection (nil
    /// when that is the client itself); one change of the ends for all of it.
    public mutating func clientNamed(by origin: ClientOrigin, address: String, port: Int? = nil, peer: String?) {
        changeEnds { ends in
            ends.peerAddress = peer
            ends.remoteAddress = address
            if let port { ends.remotePort = port }
            ends.clientOrigin = origin
        }
    }

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
        ends = Shared(Ends(remoteAddress: remoteAddress, remotePort: remotePort, localAddress: localAddress,
                           localPort: localPort, tls: tls, peerAddress: nil))
        self.keepAliveCount = keepAliveCount
    }

    /// Whether the request came over TLS (without copying what it negotiated).
    public var isSecure: Bool { ends.value.tls != nil }

    /// "https" on a TLS connection, else "http" (REQUEST_SCHEME, redirects' scheme).
    public var scheme: String { isSecure ? "https" : "http" }
}
