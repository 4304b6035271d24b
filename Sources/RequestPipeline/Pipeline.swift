import Logging
import RewriteEngine
import ServerConfig

/// What a phase decides: go on, start over with another URL (an internal redirect),
/// or answer now.
public enum PhaseResult: Sendable {
    case next
    case restart(String)
    case respond(Response)

    var isNext: Bool {
        if case .next = self { return true }
        return false
    }
}

/// A handler named by `SetHandler` / `AddHandler` (the static-file handler is built in).
public protocol RequestHandler: Sendable {
    func handle(_ context: inout RequestContext, pipeline: Pipeline) -> Response
    /// A configuration was loaded (at start and on every reload) and is about to serve;
    /// `logger` gives a module's error log by its Apache name.
    func configurationLoaded(_ configuration: ServerConfiguration, logger: (String) -> Logger)
    /// The server is stopping: release what the handler holds.
    func shutdown()
}

extension RequestHandler {
    public func configurationLoaded(_ configuration: ServerConfiguration, logger: (String) -> Logger) {}
    public func shutdown() {}
}

/// The master pipeline: the one place that decides the order of the phases.
///
/// | # | phase | file |
/// |---|---|---|
/// | 0 | decode | HTTPDaemon |
/// | 1 | normalizeURI | Phases/NormalizeURI.swift |
/// | 2 | selectVirtualHost | Phases/SelectVirtualHost.swift, then Phases/RemoteIP.swift (mod_remoteip) |
/// | 3 | rewriteURL | Phases/RewriteURL.swift (httpd.ini rules, RewriteEngine) |
/// | 4 | mapToStorage | Phases/MapToStorage.swift |
/// | 5 | checkAccess | Phases/CheckAccess.swift |
/// | 6 | rewriteInDirectory | Phases/RewriteInDirectory.swift (mod_rewrite in `<Directory>`, .htaccess; after access checks, as Apache's fixups) |
/// | 7 | runHandler | Phases/RunHandler.swift, StaticFileHandler.swift |
/// | 8 | logRequest | HTTPDaemon, with AccessLogFormat |
///
/// ISAPI filter notifications (Filters/Pipeline+Filters.swift) hook in around them:
/// PREPROC_HEADERS before 1, URL_MAP after 4, AUTHENTICATION and AUTH_COMPLETE before 5,
/// ACCESS_DENIED and SEND_RESPONSE once the answer is decided, LOG and END_OF_REQUEST in 8.
public final class Pipeline: Sendable {
    public let configuration: ServerConfiguration
    public let fileSystem: any FileSystem
    public let handlers: [String: any RequestHandler]
    /// The `core` module's error log.
    public let logger: Logger
    /// mod_authz_core's error log (`LogLevel authz_core:...`), for access denials.
    public let authzLogger: Logger
    /// The rewrite engine's error log (`LogLevel rewrite:...`).
    public let rewriteLogger: Logger
    /// mod_remoteip's error log (`LogLevel remoteip:...`).
    public let remoteIPLogger: Logger
    /// The httpd.ini files (global and per site), re-read when they change.
    let iniFiles: IniFileCache
    /// The httpd.ini paths each virtual host (by id) consults, global first.
    let iniFilePathsByHost: [Int: [String]]
    /// mod_rewrite's evaluator, with the RewriteMap data it has read.
    let rewriteEvaluator = RewriteEvaluator(maps: RewriteMapStore())
    /// The `.htaccess` files, compiled once each and re-read when they change; one per
    /// loaded configuration, since they compile against it.
    let accessFiles: any AccessFileSource
    /// The ISAPI filters (Filters/ISAPIFilterHost.swift), when the configuration lists any.
    let filterHost: ISAPIFilterHost?
    /// The process's open-file and stat cache, shared by the configurations it serves;
    /// nil where every request asks the filesystem (tests, `rewrite-test`).
    public let fileCache: FileCache?
    /// What each path maps to: its merged per-directory configuration, handler and media
    /// type (with `fileCache` only).
    let mappedPaths: MappedPathCache?
    /// The file cache's listener that reloads changed httpd.ini files.
    private let iniListener: Int?
    /// The virtual hosts and their defaults per directory, shared by the requests.
    let hosts: SharedHosts

    /// When a pipeline with a file cache first reads its httpd.ini files.
    public enum IniFilesFirstRead: Sendable {
        /// As it is made (a reload: the serving process has its final identity already).
        case atCreation
        /// When ``readIniFiles()`` is called: the daemon's first configuration is loaded
        /// as root, and its httpd.ini files must be read (and their httpd.parse.errors
        /// written) by the identity that re-reads them when they change, `User`.
        case whenAsked
    }

    /// Apache's LimitInternalRecursion default.
    public static let maxInternalRedirects = 10

    /// - Parameter moduleLogger: the error log of a module by Apache's name (`core`,
    ///   `authz_core`), so that `LogLevel` can be set per module; by default `logger` serves all.
    /// - Parameter filterHost: the daemon's ISAPI filters, used when the configuration lists any.
    public init(configuration: ServerConfiguration, fileSystem: any FileSystem = LocalFileSystem(),
                handlers: [String: any RequestHandler] = [:], filterHost: ISAPIFilterHost? = nil,
                fileCache: FileCache? = nil, iniFilesFirstRead: IniFilesFirstRead = .atCreation, logger: Logger,
                moduleLogger: ((String) -> Logger)? = nil) {
        self.configuration = configuration
        self.fileSystem = fileCache ?? fileSystem
        self.fileCache = fileCache
        self.handlers = handlers
        self.logger = logger
        self.authzLogger = moduleLogger?("authz_core") ?? logger
        let rewriteLogger = moduleLogger?("rewrite") ?? logger
        self.rewriteLogger = rewriteLogger
        self.remoteIPLogger = moduleLogger?("remoteip") ?? logger
        let accessFiles = HtaccessCache(configuration: configuration)
        self.accessFiles = fileCache.map { CachedAccessFiles(files: $0, compiled: accessFiles) } ?? accessFiles
        self.filterHost = ISAPIFilterHost.hasFilters(configuration) ? filterHost : nil
        self.mappedPaths = fileCache.map(MappedPathCache.init)
        let iniFilePaths = Self.iniFilePaths(configuration)
        self.iniFilePathsByHost = iniFilePaths
        let iniFiles = IniFileCache(
            globalFile: configuration.rewriteIniFile,
            onLoad: { path, rules in
                if rules.errors.isEmpty {
                    rewriteLogger.info("loaded \(path): \(rules.rules.count) rules", metadata: ["id": "IS04001"])
                } else {
                    rewriteLogger.warning("loaded \(path): \(rules.rules.count) rules, \(rules.errors.count) lines skipped (see httpd.parse.errors): \(rules.errors.map(\.description).joined(separator: "; "))",
                                          metadata: ["id": "IS04002"])
                }
            },
            onProblem: { path, problem in
                rewriteLogger.error("\(path): \(problem)", metadata: ["id": "IS04006"])
            })
        self.iniFiles = iniFiles
        self.hosts = SharedHosts(configuration)
        iniListener = fileCache.map { Self.watchIniFiles(iniFiles, paths: iniFilePaths, with: $0) }
        if iniFilesFirstRead == .atCreation { readIniFiles() }
    }

    deinit {
        if let iniListener { fileCache?.removeListener(iniListener) }
    }

    /// With a file cache, the httpd.ini files are read at load and reload
    /// (``readIniFiles()``) and again when the watcher says one changed, never on the
    /// request path.
    private static func watchIniFiles(_ iniFiles: IniFileCache, paths: [Int: [String]], with fileCache: FileCache) -> Int {
        fileCache.addListener(paths: allIniFilePaths(paths)) { path in _ = iniFiles.rules(at: path, sweeping: false) }
    }

    /// Reads every httpd.ini file of the configuration now (with a file cache; without
    /// one, requests read them as they need them).
    public func readIniFiles() {
        guard fileCache != nil else { return }
        for path in Self.allIniFilePaths(iniFilePathsByHost) { _ = iniFiles.rules(at: path, sweeping: false) }
    }

    private static func allIniFilePaths(_ paths: [Int: [String]]) -> [String] {
        Array(Set(paths.values.joined())).sorted()
    }

    /// Runs phases 1 to 7 for a request and returns its context and answer.
    public func process(_ request: IncomingRequest) -> (RequestContext, Response) {
        var context = makeContext(request)
        let response = process(&context)
        return (context, response)
    }

    /// A request's context before the pipeline has run: what the `inout` `process` works on.
    public func makeContext(_ request: IncomingRequest) -> RequestContext {
        RequestContext(request: request, host: hosts.main.host, directoryConfig: hosts.main.defaults)
    }

    /// ``process(_:)`` on a context the caller holds (made by ``makeContext(_:)``), so
    /// that it is worked on where it lives: a context returned by value is copied on its
    /// way out (~30 reference-counted fields, ~1.4k instructions with its destruction).
    public func process(_ context: inout RequestContext) -> Response {
        var filtered: (RequestFilters, Response?)?
        if filterHost != nil {
            // SF_NOTIFY_PREPROC_HEADERS may change the request: the context is made again from it.
            var request = context.request
            filtered = beginFilters(&request)
            if filtered != nil { context = makeContext(request) }
        }
        context.filters = filtered?.0
        var response: Response
        switch filtered?.1.map(PhaseResult.respond) ?? normalizeURI(&context) {
        case .respond(let answer): response = answer
        default:
            selectVirtualHost(&context)
            if let filters = context.filters { selectFilters(filters, &context) }
            if context.directoryConfig.headers != nil { applyEarlyRequestHeaderRules(&context) }
            if context.host.remoteIP.header != nil { applyRemoteIP(&context) }
            if case .respond(let answer) = rewriteURL(&context) {
                response = answer
            } else if context.method == "TRACE" {
                response = answerTrace(&context)
            } else {
                response = runFromMapping(&context)
            }
        }
        if response.isServerGenerated && response.status >= 400 {
            response = applyErrorDocument(response, &context)
        }
        for (name, value) in context.extraResponseHeaders { response.headers.add(name, value) }
        if !context.varyHeaders.isEmpty && response.status < 400 {
            let existing = response.headers["Vary"].map { [$0] } ?? []
            response.headers.set("Vary", (existing + context.varyHeaders).joined(separator: ","))
        }
        if let rules = context.directoryConfig.headers { applyHeaderRules(rules, &response, context) }
        if context.filters != nil { filterResponse(&response, &context) }
        return response
    }

    /// Serves another local URL for a request a handler is answering (ISAPI's SEND_URL):
    /// an internal redirect with the method turned into GET.
    public func redirectInternally(_ context: RequestContext, to url: String) -> (RequestContext, Response) {
        var context = context
        if context.method != "HEAD" { context.method = "GET" }
        Self.renameEnvironmentForInternalRedirect(&context, status: 200)
        context.redirectCount += 1
        if context.redirectCount > Self.maxInternalRedirects {
            return (context, errorResponse(500, &context))
        }
        if case .respond(let failed) = restart(&context, to: url) { return (context, failed) }
        var response = runFromMapping(&context)
        if response.isServerGenerated && response.status >= 400 {
            response = applyErrorDocument(response, &context)
        }
        return (context, response)
    }

    /// The file a local URL maps to, for MAP_URL_TO_PATH: the path (with any PATH_INFO)
    /// and whether it is a directory; nil when the URL maps to no file.
    public func mapURLToPath(_ url: String, in context: RequestContext) -> (path: String, isDirectory: Bool)? {
        var context = context
        guard case .next = restart(&context, to: url) else { return nil }
        _ = mapToStorage(&context)
        guard let filePath = context.filePath else { return nil }
        return (filePath + context.pathInfo, context.pathInfo.isEmpty && context.fileStatus?.isDirectory == true)
    }

    /// The answer a handler that already ran decides on after the fact (an extension
    /// that sent nothing and set a status): Apache's page, or the ErrorDocument.
    public func errorResponseAfterHandler(_ status: Int, _ context: RequestContext) -> Response {
        errorAnswerAfterHandler(status, context).response
    }

    /// As `errorResponseAfterHandler`, with the context the answer belongs to: an
    /// ErrorDocument may have redirected it to a URL another handler serves.
    public func errorAnswerAfterHandler(_ status: Int, _ context: RequestContext) -> (context: RequestContext, response: Response) {
        var context = context
        let response = errorResponse(status, &context)
        return (context, status >= 400 ? applyErrorDocument(response, &context) : response)
    }

    /// Phases 4 to 7, repeated for each internal redirect up to the limit.
    func runFromMapping(_ context: inout RequestContext) -> Response {
        while true {
            let result = runOnce(&context)
            switch result {
            case .next:
                return errorResponse(500, &context)
            case .respond(let response):
                return response
            case .restart(let uri):
                context.redirectCount += 1
                if context.redirectCount > Self.maxInternalRedirects {
                    logger.error("Request exceeded the limit of \(Self.maxInternalRedirects) internal redirects due to probable configuration error.",
                                 metadata: context.logMetadata(id: "IS00124"))
                    return errorResponse(500, &context)
                }
                if case .respond(let response) = restart(&context, to: uri) { return response }
            }
        }
    }

    private func runOnce(_ context: inout RequestContext) -> PhaseResult {
        if context.needsServerRewrite {
            // Apache runs the server-context rules again for an internal redirect.
            context.needsServerRewrite = false
            if case let result = rewriteServerContext(&context), !result.isNext { return result }
        }
        if context.proxyTarget != nil { return runProxy(&context) }
        if case let result = mapToStorage(&context), !result.isNext { return result }
        if context.filters != nil, case let result = filterURLMap(&context), !result.isNext { return result }
        if context.filters != nil, case let result = filterAuthentication(&context), !result.isNext { return result }
        if case let result = checkAccess(&context), !result.isNext { return result }
        if case let result = rewriteInDirectory(&context), !result.isNext { return result }
        if context.directoryConfig.headers != nil { applyRequestHeaderRules(&context) }
        if context.proxyTarget != nil { return runProxy(&context) }
        return runHandler(&context)
    }

    /// Points the context at a new local URL (path and optional query) for an internal redirect.
    func restart(_ context: inout RequestContext, to uri: String) -> PhaseResult {
        guard Self.setTarget(uri, &context) == nil else { return .respond(errorResponse(500, &context)) }
        context.needsServerRewrite = true
        context.rewrittenPath = nil
        context.filePath = nil
        context.pathInfo = ""
        context.fileStatus = nil
        context.handler = nil
        context.scriptMap = nil
        return .next
    }

    /// Sets the context's path (decoded, normalized) and query from a local URL; on
    /// failure, says why and leaves the context as it was.
    static func setTarget(_ uri: String, _ context: inout RequestContext) -> URIPath.Failure? {
        guard let (rawPath, rawQuery) = URIPath.split(target: uri) else { return .badRequest("not a request target") }
        switch URIPath.normalize(rawPath) {
        case .success(let path):
            context.path = path
            context.query = rawQuery.map(String.init)
            return nil
        case .failure(let failure):
            return failure
        }
    }

    /// A server-generated answer with Apache's built-in page.
    public func errorResponse(_ status: Int, _ context: inout RequestContext, location: String? = nil,
                              headers extra: HeaderFields = [:]) -> Response {
        var headers = extra
        if let location { headers.set("Location", location) }
        let body = status == 304 || status < 200
            ? [] : StatusText.page(status, location: location, method: context.method, signature: signature(context))
        if !body.isEmpty { headers.set("Content-Type", "text/html; charset=iso-8859-1") }
        return Response(status: status, headers: headers, body: body.isEmpty ? .empty : .bytes(body), isServerGenerated: true)
    }
}

extension Pipeline {
    /// `ServerSignature On`: Apache's footer line naming the server, host and port.
    func signature(_ context: RequestContext) -> String? {
        guard configuration.serverSignature else { return nil }
        let host = context.headers["Host"].flatMap(ServerConfiguration.hostName(fromHostHeader:))
            ?? context.host.serverName ?? context.request.connection.localAddress
        let banner = ServerSoftware.banner(configuration.serverTokens)
        return "<address>\(StatusText.escapeHTML(banner)) Server at \(StatusText.escapeHTML(host)) Port \(context.request.connection.localPort)</address>"
    }
}

extension RequestContext {
    /// Metadata for an error-log line about this request: the client and a stable message id.
    public func logMetadata(id: String) -> Logger.Metadata {
        Self.logMetadata(request.connection, id: id)
    }

    /// The same for a connection alone (where holding on to the whole context would cost).
    static func logMetadata(_ connection: ConnectionInfo, id: String) -> Logger.Metadata {
        ["client": "\(connection.remoteAddress):\(connection.userAgentPort)", "id": "\(id)"]
    }
}
