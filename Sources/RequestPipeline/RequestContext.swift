import ServerConfig

/// Everything the phases know about one request as it moves through the pipeline.
/// Phases read and fill it in; nothing here touches a socket.
///
/// It is ~550 bytes, and a phase holds it `inout`: a call out of line to a helper or
/// accessor that takes it by value copies all of it first (the optimizer does not pass
/// the caller's storage). The helpers of the static path are `@inline(__always)` for that.
public struct RequestContext: Sendable {
    /// The request as it arrived; only mod_remoteip (phase 2) changes its client address.
    public internal(set) var request: IncomingRequest
    /// The decoded, normalized URL path now being served (changes on internal redirects).
    public var path: String = "/"
    /// The raw query string now being served, without `?`.
    public var query: String?
    /// The method now being served: an ErrorDocument redirect turns POST into GET,
    /// and a rewrite rule may change it.
    public var method: String
    /// The request headers now in force: as sent, until a rewrite rule changes them.
    /// Handlers, CGI variables and the access log read these, not `request.headers`.
    public var headers: HeaderFields
    /// The path of the request as it arrived, for `%U`.
    public var originalPath: String?
    public var originalQuery: String?

    /// The virtual host serving the request (phase 2 chooses it). Read in place (`_read`):
    /// it lives behind `sharedHost`, so copying the context does not copy it.
    public var host: VirtualHost {
        _read { yield sharedHost.value }
        set { sharedHost = Shared(newValue) }
    }
    /// `host`'s storage: the pipeline's own `Shared` of each virtual host (no allocation per request).
    var sharedHost: Shared<VirtualHost>
    /// The file the URL maps to (it may not exist), and the URL part past it.
    public var filePath: String?
    public var pathInfo: String = ""
    public var fileStatus: FileStatus?
    /// The file cache's entry for `filePath`, as phase 4 found it: its validators and a
    /// small file's bytes for the static answer, without a second look-up.
    var cachedFile: CachedFile?
    /// The merged per-directory configuration in force (phase 4 finds it). Read in place;
    /// changing a field (mod_rewrite's [T=] and [H=], rarely) copies it into a new `Shared`.
    public var directoryConfig: DirectoryConfig {
        @inline(__always) _read { yield sharedDirectoryConfig.value }
        _modify {
            var config = sharedDirectoryConfig.value
            yield &config
            sharedDirectoryConfig = Shared(config)
        }
    }
    /// `directoryConfig`'s storage: the host's defaults or a cached merge, shared.
    var sharedDirectoryConfig: Shared<DirectoryConfig>
    /// The cached mapping phase 4 found or made; see `currentMappedPath`.
    var mappedPath: MappedPath?
    /// The cached mapping, when it still describes this request (`MappedPath.describes`).
    var currentMappedPath: MappedPath? {
        @inline(__always) get {
            guard let mappedPath, mappedPath.describes(self) else { return nil }
            return mappedPath
        }
    }
    /// The handler chosen for the request, lower-cased; nil for the default (static files).
    public var handler: String?
    /// Set when an `ISAPIScriptMap` chose the handler: `filePath` is the script, and this
    /// engine runs it.
    public var scriptMap: ScriptMap?

    /// Apache's `r->notes` (`%{name}n`) and `r->subprocess_env` (`%{VAR}e`).
    public var notes: [String: String] = [:]
    public var environment: [String: String] = [:]
    /// Set by a rewrite rule (RewriteProxy, [P]): the request goes to this upstream
    /// instead of a local handler.
    public var proxyTarget: ProxyTarget?
    /// mod_rewrite in server context rewrote to this URL path: it is mapped under the
    /// DocumentRoot directly (no Alias, no Redirect), while `path` (Apache's r->uri)
    /// stays what was requested.
    public var rewrittenPath: String?
    /// mod_rewrite's [T=] and [H=]: override the type and handler chosen for the file.
    public var rewriteContentType: String?
    public var rewriteHandler: String?
    /// [END]: no more mod_rewrite for this request, internal redirects included.
    public var rewriteEnded = false
    /// A restart (internal redirect) is pending its server-context rewrite rules.
    var needsServerRewrite = false
    /// Headers every answer to this request carries (mod_rewrite's [CO] cookies).
    public var extraResponseHeaders = HeaderFields()
    /// Request headers mod_rewrite conditions decided on: Vary of a successful answer.
    public var varyHeaders: [String] = []
    /// mod_headers' `RequestHeader` lines ran (once per request, internal redirects included).
    var requestHeadersEdited = false
    /// Internal redirects so far (ErrorDocument, DirectoryIndex, and later rewrites).
    public var redirectCount = 0
    /// The ISAPI filters this request runs (Filters/); nil when none are configured.
    var filters: RequestFilters?

    /// A context served by `host`, with an empty per-directory configuration (the pipeline
    /// sets the host's defaults, then the merged one).
    public init(request: IncomingRequest, host: VirtualHost) {
        self.init(request: request, host: Shared(host), directoryConfig: Self.noDirectoryConfig)
    }

    /// The same without copying the host: the pipeline passes its own `Shared` values.
    @inline(__always)
    init(request: IncomingRequest, host: Shared<VirtualHost>, directoryConfig: Shared<DirectoryConfig>) {
        self.request = request
        self.method = request.method
        self.headers = request.headers
        self.sharedHost = host
        self.sharedDirectoryConfig = directoryConfig
    }

    private static let noDirectoryConfig = Shared(DirectoryConfig())

    /// The body limit in force, once the per-directory config is known.
    public var bodyLimit: Int64 { directoryConfig.effectiveLimitRequestBody }
}

/// What the pipeline needs from `stat`: kind, size, times, identity.
public struct FileStatus: Sendable, Equatable {
    public var isDirectory: Bool
    public var isRegularFile: Bool
    public var size: Int64
    public var modificationSeconds: Int64
    public var modificationMicroseconds: Int64
    public var inode: UInt64

    public init(isDirectory: Bool, isRegularFile: Bool, size: Int64, modificationSeconds: Int64,
                modificationMicroseconds: Int64, inode: UInt64) {
        self.isDirectory = isDirectory
        self.isRegularFile = isRegularFile
        self.size = size
        self.modificationSeconds = modificationSeconds
        self.modificationMicroseconds = modificationMicroseconds
        self.inode = inode
    }
}
