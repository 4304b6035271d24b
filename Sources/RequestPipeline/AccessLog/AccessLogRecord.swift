/// Everything an access-log line can print about one finished request: the data behind
/// every mod_log_config `LogFormat` directive (see ``AccessLogFormat``).
///
/// A plain value: the daemon fills one in when the response is done and hands it to each
/// configured format. Strings are stored as received; escaping happens when formatting.
public struct AccessLogRecord: Sendable {
    /// `%X`: what happens to the connection after this response.
    public enum ConnectionStatus: Sendable, Equatable {
        /// `X`: the connection was aborted before the response completed.
        case aborted
        /// `+`: the connection may be kept alive after the response is sent.
        case keepAlive
        /// `-`: the connection will be closed after the response is sent.
        case close
    }

    /// `%a`, `%h`: the client's IP address (HostnameLookups Off).
    public var remoteIP: String = "-"
    /// `%{remote}p`: the client's port.
    public var remotePort: Int = 0
    /// `%{c}a`, `%{c}h`: the connection's peer when mod_remoteip replaced the client
    /// address (``remoteIP``); nil when the peer is the client.
    public var peerIP: String?
    /// `%A`: the local IP address the request arrived on.
    public var localIP: String = "-"
    /// `%{local}p`: the local port the request arrived on.
    public var localPort: Int = 0
    /// `%l`: the identd log name; nil (printed `-`) since isapid does no IdentityCheck.
    public var remoteLogname: String?
    /// `%u`: the authenticated user, or nil (printed `-`). An empty name prints `""`.
    public var remoteUser: String?
    /// When the request started (`%t`): whole seconds since the Unix epoch.
    public var requestTimeSeconds: Int64 = 0
    /// When the request started: the microseconds past ``requestTimeSeconds`` (0..<1_000_000).
    public var requestTimeMicroseconds: Int64 = 0
    /// The server's offset from UTC in seconds at the request time (`-25200` for `-0700`);
    /// `%t` and `%{format}t` print local time in this offset.
    public var utcOffsetSeconds: Int = 0
    /// The zone abbreviation `%{%Z}t` prints (`CET`); nil prints `UTC` at offset 0, else `+hhmm`.
    public var timeZoneAbbreviation: String?
    /// `%r`: the first line of the request as received, e.g. `GET /x?y HTTP/1.1`.
    public var requestLine: String = ""
    /// `%r` when ``requestLine`` is empty: the request target, printed between ``method`` and
    /// ``protocolVersion`` (the record builder's way, so that no line is put together);
    /// nil when ``requestLine`` is the whole of `%r`.
    public var requestTarget: String?
    /// `%m`: the request method.
    public var method: String = ""
    /// `%H`: the request protocol, e.g. `HTTP/1.1`.
    public var protocolVersion: String = "HTTP/1.1"
    /// Whether `%r` ends with ``protocolVersion``: not for HTTP/0.9.
    public var requestLineNamesVersion: Bool { AccessLogRecordBuilder.requestLineNamesVersion(protocolVersion) }
    /// `%U`: the decoded URL path of the original request, without the query string.
    public var urlPath: String = ""
    /// `%q`: the query string with its leading `?`, or `""` when the request had none.
    public var query: String = ""
    /// `%s`, `%<s`: the status of the original request (before internal redirects); 0 prints `-`.
    public var originalStatus: Int = 0
    /// `%>s`: the final status sent; status conditions (`%400,501{..}i`) test this one.
    public var finalStatus: Int = 0
    /// `%B`, `%b`: response body bytes sent, excluding headers.
    public var bodyBytesSent: Int64 = 0
    /// `%I`: bytes received including the request line and headers, or nil (printed `-`).
    public var bytesReceived: Int64?
    /// `%O`: bytes sent including headers, or nil (printed `-`).
    public var bytesSent: Int64?
    /// `%^FB`: microseconds from the request start to the first response byte, or nil (`-`).
    public var timeToFirstByteMicroseconds: Int64?
    /// `%D`, `%T`: how long the request took, in microseconds. The request end time
    /// (`%{end:...}t`) is the start plus this.
    public var durationMicroseconds: Int64 = 0
    /// `%v`: the canonical `ServerName` of the virtual host that served the request.
    public var serverName: String = ""
    /// `%V`: the server name according to UseCanonicalName (normally the Host used).
    public var requestServerName: String = ""
    /// `%p`, `%{canonical}p`: the canonical port of the server serving the request.
    public var canonicalPort: Int = 80
    /// `%P`: the process id.
    public var pid: Int32 = 0
    /// `%{tid}P`, `%{hextid}P`: the id of the thread that served the request.
    public var threadID: UInt64 = 0
    /// `%X`: the connection status when the response completed.
    public var connectionStatus: ConnectionStatus = .close
    /// `%f`: the file the request mapped to, or nil (`-`).
    public var filename: String?
    /// `%R`: the handler that produced the response, or nil (`-`).
    public var handler: String?
    /// `%k`: keep-alive requests handled on this connection before this one (0 for the first).
    public var keepAliveCount: Int = 0
    /// `%L`: the request's log id, or nil (`-`).
    public var logID: String?
    /// `%{Name}i`, `%{Name}C`: request header fields in the order received (the context's
    /// own array: the record shares it, no copy is made).
    public var requestHeaders: [(name: String, value: String)] = []
    /// `%{Name}o`: response header fields in the order sent (the response's own array).
    public var responseHeaders: [(name: String, value: String)] = []
    /// `%{Name}n`: notes left by the request phases.
    public var notes: [String: String] = [:]
    /// `%{VAR}e`: the request's environment variables (SetEnvIf and friends).
    public var environment: [String: String] = [:]
    /// `%{VAR}x`, `%{version}c`: what the TLS handshake negotiated; nil on plain HTTP.
    public var tls: TLSSessionInfo? {
        get { sharedTLS?.value }
        set { sharedTLS = newValue.map(Shared.init) }
    }
    /// `tls` behind one reference: inline, an optional TLSSessionInfo made the record ~300
    /// bytes larger, copied (memcpy) with every record on plain HTTP too.
    var sharedTLS: Shared<TLSSessionInfo>?

    /// A record of empty/absent values (the defaults above), for a builder to fill in: no
    /// argument is evaluated or passed (the initializer below costs ~1.4k instructions
    /// even with every argument left out).
    public init() {}

    /// A record; every field defaults to an empty/absent value so callers and tests set only
    /// what they know.
    public init(
        remoteIP: String = "-", remotePort: Int = 0, peerIP: String? = nil, localIP: String = "-", localPort: Int = 0,
        remoteLogname: String? = nil, remoteUser: String? = nil,
        requestTimeSeconds: Int64 = 0, requestTimeMicroseconds: Int64 = 0, utcOffsetSeconds: Int = 0,
        timeZoneAbbreviation: String? = nil,
        requestLine: String = "", requestTarget: String? = nil, method: String = "", protocolVersion: String = "HTTP/1.1",
        urlPath: String = "", query: String = "",
        originalStatus: Int = 0, finalStatus: Int = 0,
        bodyBytesSent: Int64 = 0, bytesReceived: Int64? = nil, bytesSent: Int64? = nil,
        timeToFirstByteMicroseconds: Int64? = nil, durationMicroseconds: Int64 = 0,
        serverName: String = "", requestServerName: String = "", canonicalPort: Int = 80,
        pid: Int32 = 0, threadID: UInt64 = 0, connectionStatus: ConnectionStatus = .close,
        filename: String? = nil, handler: String? = nil, keepAliveCount: Int = 0, logID: String? = nil,
        requestHeaders: [(name: String, value: String)] = [], responseHeaders: [(name: String, value: String)] = [],
        notes: [String: String] = [:], environment: [String: String] = [:], tls: TLSSessionInfo? = nil
    ) {
        self.remoteIP = remoteIP
        self.remotePort = remotePort
        self.peerIP = peerIP
        self.localIP = localIP
        self.localPort = localPort
        self.remoteLogname = remoteLogname
        self.remoteUser = remoteUser
        self.requestTimeSeconds = requestTimeSeconds
        self.requestTimeMicroseconds = requestTimeMicroseconds
        self.utcOffsetSeconds = utcOffsetSeconds
        self.timeZoneAbbreviation = timeZoneAbbreviation
        self.requestLine = requestLine
        self.requestTarget = requestTarget
        self.method = method
        self.protocolVersion = protocolVersion
        self.urlPath = urlPath
        self.query = query
        self.originalStatus = originalStatus
        self.finalStatus = finalStatus
        self.bodyBytesSent = bodyBytesSent
        self.bytesReceived = bytesReceived
        self.bytesSent = bytesSent
        self.timeToFirstByteMicroseconds = timeToFirstByteMicroseconds
        self.durationMicroseconds = durationMicroseconds
        self.serverName = serverName
        self.requestServerName = requestServerName
        self.canonicalPort = canonicalPort
        self.pid = pid
        self.threadID = threadID
        self.connectionStatus = connectionStatus
        self.filename = filename
        self.handler = handler
        self.keepAliveCount = keepAliveCount
        self.logID = logID
        self.requestHeaders = requestHeaders
        self.responseHeaders = responseHeaders
        self.notes = notes
        self.environment = environment
        self.sharedTLS = tls.map(Shared.init)
    }

    /// The request start in microseconds since the epoch (Apache's `r->request_time`).
    public var requestStartMicroseconds: Int64 { requestTimeSeconds &* 1_000_000 &+ requestTimeMicroseconds }
    /// The request end in microseconds since the epoch: start plus duration.
    public var requestEndMicroseconds: Int64 { requestStartMicroseconds &+ durationMicroseconds }
}
