/// The compiled, immutable configuration the daemon serves with. A reload builds a new
/// one beside the old and swaps it in only when it is valid.
public struct ServerConfiguration: Sendable {
    public var serverRoot: String
    /// The main configuration file, as given to the daemon.
    public var configFile: String
    public var listeners: [ListenAddress] = []
    /// The protocol of each `Listen` address: `https` as written, for port 443 without a
    /// protocol (as Apache), and for an address a `<VirtualHost>` with `SSLEngine on`
    /// serves (see `SSLValidation`); http otherwise.
    public var listenProtocols: [ListenAddress: ListenProtocol] = [:]
    /// Where each `Listen` was written.
    public var listenLocations: [ListenAddress: SourceLocation] = [:]
    /// `SSLSessionCache` and `SSLSessionCacheTimeout` (seconds); see `SSLSessionCacheSetting`.
    public var sslSessionCache: SSLSessionCacheSetting?
    public var sslSessionCacheTimeout: Int?
    /// The main server: the fallback for requests no `<VirtualHost>` takes, and the
    /// source of every setting a virtual host leaves unset.
    public var mainHost = VirtualHost()
    /// Virtual hosts in configuration order, already merged with the main server.
    public var virtualHosts: [VirtualHost] = []
    /// mod_remoteip's `RemoteIPProxyProtocol` and its exceptions (server-wide, by address).
    public var remoteIPProxyProtocol = RemoteIPProxyProtocol()

    public var timeoutSeconds: Int = 60
    /// `ProxyTimeout`: seconds the reverse proxy waits for upstream data; nil: the proxy's own default.
    public var proxyTimeoutSeconds: Double?
    /// `ProxySet`: per-upstream connect timeout and ProxyTimeout.
    public var proxyWorkers: [ProxyWorkerParameters] = []
    /// `SSLProxyCACertificateFile`: the CAs https upstreams are checked against; nil: the system's.
    public var sslProxyCACertificateFile: String?
    /// `SSLProxyVerify require` (true, isapid's default) or `none`.
    public var sslProxyVerify = true
    /// `SSLProxyCheckPeerName`: the upstream's certificate must name its host.
    public var sslProxyCheckPeerName = true
    public var keepAlive: Bool = true
    public var keepAliveTimeoutSeconds: Double = 5
    public var maxKeepAliveRequests: Int = 100
    public var limitRequestFields: Int = 100
    public var limitRequestFieldSize: Int = 8190
    public var limitRequestLine: Int = 8190
    /// `HttpProtocolOptions` of the main server: what the request decoder enforces.
    public var httpProtocolOptions = HTTPProtocolOptions()
    public var serverTokens: ServerTokens = .full
    public var serverSignature: Bool = false
    /// `ThreadsPerChild`: the size of the pool that runs blocking handlers (extensions).
    public var threadsPerChild: Int = 64
    /// `ExtendedStatus` (mod_status): server-status shows the request totals, CPU and
    /// rates; On by default, as in Apache 2.4.
    public var extendedStatus: Bool = true
    /// `MaxConnections`: open client connections beyond this are refused at accept.
    public var maxConnections: Int = 10_000
    /// `ListenBacklog`: connections the kernel queues for each listener before they are
    /// accepted (Apache's default, 511).
    public var listenBacklog: Int = 511
    /// `AcceptFilter protocol filter`, by lower-cased protocol name. On Linux any filter
    /// but `none` holds a new connection in the kernel until its first bytes arrive
    /// (TCP_DEFER_ACCEPT); Apache's Linux default is `data` for http and https.
    public var acceptFilters: [String: String] = ["http": "data", "https": "data"]
    public var gracefulShutdownTimeoutSeconds: Double = 10
    /// `PidFile`: where the supervising parent (or the `-X` process) records its pid;
    /// absolute, `ServerRoot/logs/isapid.pid` by default (Apache's is `logs/httpd.pid`).
    public var pidFile: String
    /// mod_unixd's `User` and `Group`: who the serving process runs as when isapid is
    /// started as root (nil: it keeps the identity it was started with).
    public var user: RunAsUser?
    public var group: RunAsGroup?

    /// `ErrorLog`: an absolute path, or nil for standard error.
    public var errorLog: String?
    public var logLevel = LogLevelSetting()
    /// mod_log_config's `BufferedLogs`: access-log lines are written in batches (4 KiB, or
    /// after a second) rather than each as it comes; flushed on reload and stop.
    public var bufferedLogs = false
    /// `LogFormat` nicknames.
    public var logFormats: [String: String] = [
        "common": #"%h %l %u %t "%r" %>s %b"#,
        "combined": #"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i""#,
        "vhost_combined": #"%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i""#,
        "referer": #"%{Referer}i -> %U"#,
        "agent": #"%{User-agent}i"#,
    ]
    /// mod_mime's `TypesConfig` file, read at load: lower-cased extension to media type.
    public var mimeTypes: [String: String] = [:]
    /// `ISAPICacheFile`: extensions loaded at start and kept until shutdown (global even
    /// when written in a virtual host, as in mod_isapi). Absolute paths.
    public var isapiCacheFiles: [String] = []
    /// `RewriteIniFile`: the global ISAPI_Rewrite 2 httpd.ini, applied before any site's
    /// (absolute; nil for none). A missing file simply has no rules.
    public var rewriteIniFile: String?
    /// `RewriteIniSiteFiles`: whether each virtual host's `DocumentRoot/httpd.ini` applies.
    public var rewriteIniSiteFiles = true
    /// `FileCacheValid`: seconds after which the file cache looks at a cached path again
    /// even when no change event came (the bound where inotify is silent); 0: no cache.
    public var fileCacheValid = 60
    /// The names `-D` and `Define` left defined once the configuration was read: what
    /// `<IfDefine>` and `${NAME}` see in `.htaccess` files.
    public var defines: [String: String] = [:]
    /// Non-fatal findings (an undefined `${VAR}`, an ignored directive) to log at start.
    public var warnings: [ConfigError] = []

    public init(serverRoot: String, configFile: String) {
        self.serverRoot = serverRoot
        self.rewriteIniFile = serverRoot + "/conf/httpd.ini"
        self.pidFile = serverRoot + "/logs/isapid.pid"
        self.configFile = configFile
    }

    /// Whether a listener speaks TLS.
    public func isTLS(_ address: ListenAddress) -> Bool { listenProtocols[address] == .https }

    /// Whether the listener of `address` defers accepting a connection until it has data
    /// (its protocol's `AcceptFilter` is not `none`).
    public func defersAccept(_ address: ListenAddress) -> Bool {
        let name = (listenProtocols[address] ?? .http).rawValue
        return acceptFilters[name].map { $0.lowercased() != "none" } ?? false
    }

    /// Whether any listener speaks TLS.
    public var hasTLS: Bool { listeners.contains(where: isTLS) }

    /// Every host that can answer a request: the main server first, then the virtual hosts.
    public var allHosts: [VirtualHost] { [mainHost] + virtualHosts }
}

/// `ServerTokens`: how much the `Server` header says.
public enum ServerTokens: String, Sendable, CaseIterable {
    case prod = "Prod"
    case major = "Major"
    case minor = "Minor"
    case minimal = "Minimal"
    case os = "OS"
    case full = "Full"
}

/// Apache's log levels, most severe first.
public enum ApacheLogLevel: Int, Sendable, Comparable, CaseIterable {
    case emerg, alert, crit, error, warn, notice, info, debug
    case trace1, trace2, trace3, trace4, trace5, trace6, trace7, trace8

    public init?(name: String) {
        guard let level = Self.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = level
    }

    public var name: String { String(describing: self) }

    public static func < (lhs: ApacheLogLevel, rhs: ApacheLogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// `LogLevel warn isapi:debug`: a default level and per-module overrides.
public struct LogLevelSetting: Sendable, Equatable {
    public var level: ApacheLogLevel = .warn
    public var moduleLevels: [String: ApacheLogLevel] = [:]

    public init() {}

    /// The level in force for a module (`core`, `isapi`, `rewrite`, ...).
    public func level(for module: String) -> ApacheLogLevel { moduleLevels[module] ?? level }
}
