import Foundation
import ISAPIHost
import Logging
import RewriteEngine
import ServerConfig

extension Pipeline {
    /// Phase 3, the pre-handler: the global httpd.ini, then the site's (ISAPI_Rewrite 2),
    /// before any handler is chosen. Rules may change the URL, the method and headers,
    /// answer 404, redirect, or send the request to the proxy.
    func rewriteURL(_ context: inout RequestContext) -> PhaseResult {
        switch rewriteWithIniRules(&context) {
        case .next: return rewriteServerContext(&context)
        case let other: return other
        }
    }

    /// The httpd.ini rules (ISAPI_Rewrite 2).
    private func rewriteWithIniRules(_ context: inout RequestContext) -> PhaseResult {
        // Only the server sets X-Rewrite-URL: a client cannot pose as a rewritten request.
        context.headers.remove(rewriteURLHeader)
        // While the watcher keeps the files current and none has a rule, nothing can apply.
        if fileCache != nil && !iniFiles.hasRules { return .next }
        let run = runIniRules(context, trace: nil)
        guard let request = run.request else { return .next }
        let originalURL = run.originalURL
        let outcome = run.outcome
        let logsOriginalURL = run.logsOriginalURL
        context.method = request.method
        context.headers = request.headers

        switch outcome {
        case .proceed, .stop:
            break
        case .notFound:
            return .respond(errorResponse(404, &context))
        case .resultTooLong(let line):
            rewriteLogger.error("httpd.ini rule at line \(line) produced more than \(IniRuleSet.maximumResultLength) bytes (a loop that grows the URL?)",
                                metadata: context.logMetadata(id: "IS04008"))
            return .respond(errorResponse(500, &context))
        case .redirect(let status, let target):
            return .respond(errorResponse(status, &context, location: Self.completeTarget(target, context)))
        case .proxy(let target, let followsRedirects):
            context.proxyTarget = ProxyTarget(url: Self.completeTarget(target, context), followsRedirects: followsRedirects)
            return .next
        }
        guard request.url != originalURL else { return .next }
        switch Self.setTarget(request.url, &context) {
        case nil:
            if !logsOriginalURL {
                context.originalPath = context.path
                context.originalQuery = context.query
            }
            return .next
        case .badRequest(let reason)?:
            rewriteLogger.info("rewritten URL \(request.url) refused: \(reason)", metadata: context.logMetadata(id: "IS04005"))
            return .respond(errorResponse(400, &context))
        case .notFound(let reason)?:
            rewriteLogger.info("rewritten URL \(request.url) refused: \(reason)", metadata: context.logMetadata(id: "IS04005"))
            return .respond(errorResponse(404, &context))
        }
    }

    /// What the httpd.ini rules did to a request.
    struct IniRulesRun {
        /// The request as the rules left it; nil when no file had rules.
        var request: PipelineRewriteRequest?
        var originalURL: String
        var outcome = IniRewriteOutcome.proceed
        var logsOriginalURL = false
    }

    /// Runs the global httpd.ini, then the site's, on the request; `trace` (for
    /// rewrite-test) hears of each file and each step.
    func runIniRules(_ context: RequestContext, trace: ((String, IniRuleSet, IniTraceStep?) -> Void)?) -> IniRulesRun {
        let originalURL = Self.requestURI(context.request.target)
        var run = IniRulesRun(originalURL: originalURL)
        let now = Int(context.request.receivedAtMicroseconds / 1_000_000)
        let files = iniFilePaths(for: context).compactMap { path in
            // With the file cache, the watcher keeps the rules current: no stat here.
            (fileCache == nil ? iniFiles.rules(at: path, now: now) : iniFiles.loadedRules(at: path, now: now))
                .map { (path, $0) }
        }
        guard files.contains(where: { !$0.1.rules.isEmpty }) || trace != nil else { return run }
        var request = PipelineRewriteRequest(context, url: originalURL)
        let logger = rewriteLogger
        let connection = context.request.connection
        for (path, rules) in files where run.outcome.continues {
            trace?(path, rules, nil)
            let result = rules.evaluate(
                &request, originalURL: originalURL, trace: trace.map { trace in { trace(path, rules, $0) } },
                abandoned: { rule, failure in
                    logger.error("\(path):\(rule.line): rule abandoned (\(failure)); treated as no match: \(rule.text)",
                                 metadata: RequestContext.logMetadata(connection, id: "IS04003"))
                })
            run.outcome = result.outcome
            run.logsOriginalURL = run.logsOriginalURL || result.logsOriginalURL
        }
        run.request = request
        return run
    }

    /// The global httpd.ini, then the virtual host's site-level one.
    func iniFilePaths(for context: RequestContext) -> [String] {
        iniFilePathsByHost[context.host.id] ?? Self.iniFilePaths(context.host, configuration)
    }

    /// `iniFilePaths(for:)` for every host, worked out once per configuration.
    static func iniFilePaths(_ configuration: ServerConfiguration) -> [Int: [String]] {
        Dictionary(configuration.allHosts.map { ($0.id, iniFilePaths($0, configuration)) }) { first, _ in first }
    }

    private static func iniFilePaths(_ host: VirtualHost, _ configuration: ServerConfiguration) -> [String] {
        var paths: [String] = []
        if let global = configuration.rewriteIniFile { paths.append(global) }
        if configuration.rewriteIniSiteFiles, let root = host.documentRoot {
            paths.append(join(root, "/httpd.ini"))
        }
        return paths
    }

    /// A redirect or proxy target of an httpd.ini rule made absolute with the request's
    /// scheme, Host (lower-cased) and port.
    static func completeTarget(_ target: String, _ context: RequestContext) -> String {
        completeRedirectTarget(target, scheme: context.request.connection.scheme, hostHeader: context.headers["Host"],
                               serverName: context.host.serverName ?? context.request.connection.localAddress,
                               port: context.request.connection.localPort)
    }

    /// The Request-URI as ISAPI_Rewrite sees it: origin-form as sent; for an
    /// absolute-form target, its path and query.
    static func requestURI(_ target: String) -> String {
        guard !target.hasPrefix("/"), let schemeEnd = target.range(of: "://") else { return target }
        let afterAuthority = target[schemeEnd.upperBound...]
        guard let slash = afterAuthority.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        let rest = afterAuthority[slash...]
        return rest.hasPrefix("?") ? "/" + rest : String(rest)
    }
}

/// The names httpd.ini may never be served under, whatever the rules say: the rule
/// files, their error reports, and ISAPI_Rewrite's proxy helper.
enum RewriteProtectedFiles {
    /// Whether a file name (the last path component) is one of them, in any case
    /// (the names come from IIS, where case does not matter).
    static func isProtected(_ fileName: Substring) -> Bool {
        // On the bytes, without lower-casing a copy: every request's file name comes here.
        var name = fileName
        return name.withUTF8 { name in
            ASCIICase.equal(name, "httpd.ini") || ASCIICase.equal(name, "httpd.parse.errors")
                || (name.count >= 8 && ASCIICase.equal(UnsafeBufferPointer(rebasing: name[(name.count - 8)...]), ".isrwhlp"))
        }
    }
}

/// The request as the httpd.ini rules see and change it.
struct PipelineRewriteRequest: RewritableRequest {
    var url: String
    var method: String
    let httpVersion: String
    var headers: HeaderFields
    // What the server variables need, not the whole context: copying that for every
    // request cost more than evaluating the rules.
    private let connection: ConnectionInfo
    private let contentLength: Int64?
    private let hostID: Int
    private let hostServerName: String?
    private let documentRoot: String?

    init(_ context: RequestContext, url: String) {
        self.url = url
        self.method = context.method
        self.httpVersion = context.request.protocolName
        self.headers = context.headers
        self.connection = context.request.connection
        self.contentLength = context.request.contentLength
        self.hostID = context.host.id
        self.hostServerName = context.host.serverName
        self.documentRoot = context.host.documentRoot
    }

    func header(_ name: String) -> String? { headers[name] }

    mutating func setHeader(_ name: String, to value: String?) {
        if let value { headers.set(name, value) } else { headers.remove(name) }
    }

    /// The IIS server variables rules use most; `HTTP_NAME` reads the request header.
    func serverVariable(_ name: String) -> String? {
        switch name {
        case "HTTPS", "SERVER_PORT_SECURE": return TLSSessionInfo.iisVariable(name, of: connection.tls)
        case "SERVER_PORT": return String(connection.localPort)
        case "SERVER_NAME":
            return headers["Host"].flatMap(ServerConfiguration.hostName(fromHostHeader:))
                ?? hostServerName ?? connection.localAddress
        case "SERVER_PROTOCOL": return httpVersion
        case "SERVER_SOFTWARE": return "isapid"
        case "LOCAL_ADDR", "SERVER_ADDR": return connection.localAddress
        case "REMOTE_ADDR", "REMOTE_HOST": return connection.remoteAddress
        case "REMOTE_PORT": return String(connection.remotePort)
        case "REQUEST_METHOD": return method
        case "URL", "PATH_INFO", "SCRIPT_NAME":
            return String(url.prefix { $0 != "?" })
        case "QUERY_STRING":
            return url.firstIndex(of: "?").map { String(url[url.index(after: $0)...]) } ?? ""
        case "REQUEST_URI", "UNENCODED_URL": return url
        case "CONTENT_LENGTH": return contentLength.map(String.init) ?? "0"
        case "CONTENT_TYPE": return headers["Content-Type"] ?? ""
        case "INSTANCE_ID": return String(hostID + 1)
        case "APPL_PHYSICAL_PATH": return documentRoot.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
        default:
            if name.hasPrefix("HTTP_") {
                return headers[name.dropFirst(5).replacingOccurrences(of: "_", with: "-")]
            }
            // HTTPS_KEYSIZE, CERT_SUBJECT, … of the secure channel ("" on plain HTTP).
            return TLSSessionInfo.iisVariable(name, of: connection.tls)
        }
    }
}
