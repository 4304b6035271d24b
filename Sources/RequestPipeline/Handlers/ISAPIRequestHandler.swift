import CrashBoard
import Foundation
import ISAPIHost
import Logging
import Observability
import ServerConfig

/// `isapi-handler` (and its old name `isapi-isa`): mod_isapi's checks, then the
/// extension runs on the extension pool through `ISAPIHost`.
public final class ISAPIRequestHandler: RequestHandler, @unchecked Sendable {
    // `registry` and `logger` change only in configurationLoaded/shutdown, under `lock`.
    private let lock = NSLock()
    private var registry: ExtensionRegistry?
    private var logger = Logger(label: "isapi")

    public init() {}

    public func configurationLoaded(_ configuration: ServerConfiguration, logger makeLogger: (String) -> Logger) {
        let logger = makeLogger("isapi")
        lock.withLock {
            self.logger = logger
            if let registry {
                registry.update(cachedPaths: configuration.isapiCacheFiles, logger: logger)
            } else {
                registry = ExtensionRegistry(cachedPaths: configuration.isapiCacheFiles, logger: logger)
            }
        }
    }

    public func shutdown() {
        let registry = lock.withLock { () -> ExtensionRegistry? in
            defer { self.registry = nil }
            return self.registry
        }
        registry?.shutdown()
    }

    public func handle(_ context: inout RequestContext, pipeline: Pipeline) -> Response {
        let (registry, logger) = lock.withLock { (self.registry, self.logger) }
        if let scriptMap = context.scriptMap {
            return handleScript(scriptMap, &context, pipeline: pipeline, registry: registry, logger: logger)
        }
        guard context.directoryConfig.effectiveOptions.contains(.execCGI) else {
            // mod_isapi answers silently; the administrator deserves to know why.
            logger.error("Options ExecCGI is off in this directory: \(context.filePath ?? context.path)",
                         metadata: context.logMetadata(id: "IS02011"))
            return pipeline.errorResponse(403, &context)
        }
        guard let filePath = context.filePath, let status = context.fileStatus else {
            logger.info("File does not exist: \(context.filePath ?? context.path)", metadata: context.logMetadata(id: "IS00128"))
            return pipeline.errorResponse(404, &context)
        }
        guard status.isRegularFile else {
            logger.error("not a regular file: \(filePath)", metadata: context.logMetadata(id: "IS02012"))
            return pipeline.errorResponse(403, &context)
        }
        guard let registry else { return pipeline.errorResponse(503, &context) }
        return .handOff(ISAPIExtensionRun(path: filePath, registry: registry, logger: logger))
    }

    /// A script map: the engine runs the script (`context.filePath`). As IIS requires the
    /// "Scripts" permission where the script lives, ExecCGI must be on there; `verify`
    /// answers 404 for a missing script before the engine runs.
    private func handleScript(_ scriptMap: ScriptMap, _ context: inout RequestContext, pipeline: Pipeline,
                              registry: ExtensionRegistry?, logger: Logger) -> Response {
        let script = context.filePath ?? context.path
        guard context.directoryConfig.effectiveOptions.contains(.execCGI) else {
            logger.error("Options ExecCGI is off in this directory: \(script): ISAPIScriptMap runs \(scriptMap.engine) only where the script's directory allows ExecCGI (IIS's Scripts permission)",
                         metadata: context.logMetadata(id: "IS02043"))
            return pipeline.errorResponse(403, &context)
        }
        if scriptMap.fileCheck == .verifyExists && context.fileStatus?.isRegularFile != true {
            logger.info("File does not exist: \(script) (ISAPIScriptMap verify, engine \(scriptMap.engine) not run)",
                        metadata: context.logMetadata(id: "IS02044"))
            return pipeline.errorResponse(404, &context)
        }
        guard let registry else { return pipeline.errorResponse(503, &context) }
        return .handOff(ISAPIExtensionRun(path: scriptMap.engine, registry: registry, logger: logger))
    }
}

/// One request's run of an extension, on a pool thread.
struct ISAPIExtensionRun: BlockingHandler {
    let path: String
    let registry: ExtensionRegistry
    let logger: Logger

    func run(_ context: Shared<RequestContext>, channel: any ResponseChannel, pipeline: Pipeline) {
        // Under the supervising parent, a crash inside the extension is reported with
        // the extension and this request.
        // server-status and /metrics: calls, errors, calls in flight, time inside.
        // The request is read in place: a local copy of it would retain each of its strings.
        ServerFigures.shared.extensions.figures(for: path).measure {
            CrashBoard.during(
                extensionPath: path, method: context.value.request.method, target: context.value.request.target,
                versionMajor: context.value.request.versionMajor, versionMinor: context.value.request.versionMinor,
                client: context.value.request.connection.remoteAddress
            ) {
                runExtension(context, context.value, channel: channel, pipeline: pipeline)
            }
        }
    }

    /// `context` is `shared`'s value, read in place.
    private func runExtension(_ shared: Shared<RequestContext>, _ context: RequestContext, channel: any ResponseChannel,
                              pipeline: Pipeline)
        -> ExtensionFigures.Outcome
    {
        let lease: ExtensionLease
        do {
            lease = try registry.acquire(path)
        } catch {
            logger.error("\(error.description)", metadata: context.logMetadata(id: "IS02001"))
            _ = channel.respond(pipeline.errorResponseAfterHandler(500, context))
            return .failed
        }
        defer { lease.release() }
        let connection = PipelineISAPIConnection(channel: channel, context: shared, pipeline: pipeline)
        let end = ExtensionRunner.run(
            { lease.callHttpExtensionProc($0) }, extensionPath: path,
            // The variables read the context the connection keeps: no second copy of it.
            request: Self.request(context, serverTokens: pipeline.configuration.serverTokens) { connection.context },
            connection: connection,
            settings: Self.settings(context.directoryConfig.isapi, timeoutSeconds: pipeline.configuration.timeoutSeconds),
            logger: logger)
        return end == .failed ? .failed : .succeeded
    }

    static func settings(_ directory: ISAPIDirectorySettings, timeoutSeconds: Int) -> ISAPISettings {
        var settings = ISAPISettings()
        // A PENDING request whose extension stays silent is given up on: the connection's
        // own deadline answers the client after Timeout (504, or a close), as for a silent
        // HttpExtensionProc, and the pool thread comes back a second later.
        settings.pendingTimeoutSeconds = Double(timeoutSeconds) + 1
        settings.readAheadBuffer = directory.effectiveReadAheadBuffer
        settings.logNotSupported = directory.effectiveLogNotSupported
        settings.appendLogToErrors = directory.effectiveAppendLogToErrors
        settings.appendLogToQuery = directory.effectiveAppendLogToQuery
        settings.fakeAsync = directory.effectiveFakeAsync
        return settings
    }

    /// The ECB's strings at once, and the server variables (Apache's CGI set plus the IIS
    /// names ported code asks for) when the extension first asks for one: building the
    /// whole CGI environment cost more than the rest of the call, and many extensions
    /// read a few variables or none.
    static func request(_ context: RequestContext, configuration: ServerConfiguration) -> ISAPIRequest {
        request(context, serverTokens: configuration.serverTokens) { context }
    }

    /// `request(_:configuration:)`, where `sameContext` gives `context` again when the
    /// variables are built (from where the caller keeps it).
    static func request(_ context: RequestContext, serverTokens: ServerTokens,
                        sameContext: @escaping @Sendable () -> RequestContext) -> ISAPIRequest {
        let scriptMapped = context.scriptMap != nil
        var request = ISAPIRequest(
            method: context.method, queryString: context.query ?? "",
            // A script map's lpszPathInfo is the whole URL path (IIS 6), as its PATH_INFO.
            pathInfo: scriptMapped ? context.path : context.pathInfo,
            pathTranslated: CGIEnvironment.pathTranslated(context) ?? "",
            contentType: context.headers["Content-Type"] ?? "",
            contentLength: context.request.isChunked ? nil : context.request.contentLength,
            isChunked: context.request.isChunked, rawHeaders: context.headers.entries,
            buildVariables: { variables(sameContext(), serverTokens: serverTokens) })
        if let tls = context.request.connection.tls, let certificate = tls.clientCertificate {
            request.clientCertificate = ISAPIClientCertificate(derEncoded: certificate.derEncoded,
                                                               flags: tls.certificateFlags)
        }
        return request
    }

    /// The server variables of `request(_:configuration:)`, built on first use.
    static func variables(_ context: RequestContext, serverTokens: ServerTokens) -> LazyVariables.Table {
        var environment = CGIEnvironment(context, serverTokens: serverTokens)
        // IIS's URL: the extension's (or script's) URL without query or extra path.
        var url = CGIEnvironment.scriptName(context)
        if context.scriptMap != nil { url = environment.applyScriptMapSemantics(context).url }
        var variables = environment.variables
        // The user an ISAPI filter's AUTHENTICATION left comes first: it wins.
        if let filters = context.filters { variables.insert(contentsOf: filters.userVariables, at: 0) }
        let connection = context.request.connection
        let serverOnly = [
            ("URL", url),
            ("LOCAL_ADDR", connection.localAddress), ("REMOTE_HOST", connection.remoteAddress),
            ("HTTP_VERSION", context.request.protocolName), ("INSTANCE_ID", "1"),
            ("APPL_MD_PATH", "/LM/W3SVC/1/ROOT"), ("APPL_PHYSICAL_PATH", (context.host.documentRoot ?? "") + "/"),
        ] + TLSSessionInfo.iisVariables(of: connection.tls)
        return LazyVariables.Table(variables: variables, serverOnly: serverOnly)
    }
}

/// The pipeline's response channel as ISAPIHost's connection.
final class PipelineISAPIConnection: ISAPIConnection, @unchecked Sendable {
    // Immutable; the channel is thread-safe.
    let channel: any ResponseChannel
    let sharedContext: Shared<RequestContext>
    let pipeline: Pipeline
    var context: RequestContext { _read { yield sharedContext.value } }

    init(channel: any ResponseChannel, context: Shared<RequestContext>, pipeline: Pipeline) {
        self.channel = channel
        self.sharedContext = context
        self.pipeline = pipeline
    }

    func readBody(into buffer: UnsafeMutableRawBufferPointer) -> Int? { channel.readBody(into: buffer) }

    func sendHead(status: Int, reason: String?, headers: consuming [(name: String, value: String)]) -> Bool {
        channel.sendHead(status: status, reason: reason, headers: HeaderFields(consume headers))
    }

    func sendBody(_ bytes: UnsafeRawBufferPointer) -> Bool { channel.sendBody(bytes) }
    func sendBodyWithoutWaiting(_ bytes: UnsafeRawBufferPointer) -> Bool { channel.sendBodyWithoutWaiting(bytes) }
    func sendBodyBeforeEnd(_ bytes: UnsafeRawBufferPointer) -> Bool { channel.sendBodyBeforeEnd(bytes) }
    func finish(closeConnection: Bool) { channel.finish(closeConnection: closeConnection) }
    func respond(status: Int) {
        let answer = pipeline.errorAnswerAfterHandler(status, context)
        deliver(answer.response, in: answer.context)
    }

    func redirect(to url: String) {
        var context = self.context
        _ = channel.respond(pipeline.errorResponse(302, &context, location: url))
    }

    func internalRedirect(to url: String) {
        let (redirected, response) = pipeline.redirectInternally(context, to: url)
        deliver(response, in: redirected)
    }

    /// A complete answer, or, when the pipeline hands it to another blocking handler
    /// (an ErrorDocument or SEND_URL naming another extension), that handler's run.
    private func deliver(_ response: Response, in context: RequestContext) {
        if case .handOff(let handler) = response.body {
            handler.run(Shared(context), channel: channel, pipeline: pipeline)
        } else {
            _ = channel.respond(response)
        }
    }

    func mapURLToPath(_ url: String) -> (path: String, isDirectory: Bool)? { pipeline.mapURLToPath(url, in: context) }

    func appendLogParameter(_ text: String, toQuery: Bool) {
        channel.annotateLog(note: "isapi-parameter", value: text, appendToQuery: toQuery)
    }

    var headSent: Bool { channel.headSent }
    var isConnected: Bool { channel.isConnected }
    var keepsConnection: Bool { channel.keepsConnection }
}
