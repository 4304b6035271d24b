import Foundation
import Logging
import RewriteEngine
import ServerConfig

extension Pipeline {
    /// Phase 3, second half: mod_rewrite's server and virtual-host rules (after the
    /// httpd.ini rules; again on each internal redirect, as Apache's translate_name).
    func rewriteServerContext(_ context: inout RequestContext) -> PhaseResult {
        guard !context.rewriteEnded, let config = context.host.rewrite, config.isEnabled, !config.rules.isEmpty else {
            return .next
        }
        if config.compatibility2 == true {
            return rewriteServerContextAsVersion2(config, &context)
        }
        let outcome = withRewriteEnvironment(context) { environment in
            rewriteEvaluator.applyServerRules(config, uri: context.path, query: context.query, environment: environment)
        }
        apply(outcome, to: &context)
        switch outcome.action {
        case .unchanged, .internalRedirect, .queryChanged:
            return .next
        case .rewritten(let path, let query, let passThrough):
            keepOriginalURL(&context)
            context.query = query
            if passThrough {
                // [PT]: the new URL goes through Alias and the rest as if requested.
                switch URIPath.normalize(Substring(URIEscaping.escapePath(path))) {
                case .success(let normalized): context.path = normalized
                case .failure: return .respond(errorResponse(400, &context))
                }
            } else {
                context.rewrittenPath = path
            }
            return .next
        case .redirect, .status, .proxy:
            return finalAnswer(outcome.action, &context)
        }
    }

    /// RewriteCompatibility2 On: the rules see the Request-URI as sent (query included,
    /// not decoded) and their result is the new URL, as ISAPI_Rewrite 2 treated it.
    private func rewriteServerContextAsVersion2(_ config: RewriteConfig, _ context: inout RequestContext) -> PhaseResult {
        let outcome = withRewriteEnvironment(context) { environment in
            rewriteEvaluator.applyServerRules(config, uri: Self.requestURI(context.request.target), query: nil,
                                              environment: environment)
        }
        apply(outcome, to: &context)
        switch outcome.action {
        case .rewritten(let path, let query, _):
            keepOriginalURL(&context)
            switch Self.setTarget(path + (query.map { "?" + $0 } ?? ""), &context) {
            case nil: return .next
            case .badRequest?: return .respond(errorResponse(400, &context))
            case .notFound?: return .respond(errorResponse(404, &context))
            }
        case .redirect, .status, .proxy:
            return finalAnswer(outcome.action, &context)
        default:
            return .next
        }
    }

    /// Phase 6: mod_rewrite's per-directory rules (`<Directory>`, `.htaccess`), after
    /// the access checks as Apache's fixups; a rewrite re-injects the request.
    func rewriteInDirectory(_ context: inout RequestContext) -> PhaseResult {
        guard !context.rewriteEnded, let config = context.directoryConfig.rewrite, config.isEnabled,
              !config.rules.isEmpty, let filePath = context.filePath else {
            return .next
        }
        let options = context.directoryConfig.effectiveOptions
        guard options.contains(.followSymLinks) || options.contains(.symLinksIfOwnerMatch) else {
            rewriteLogger.error("Options FollowSymLinks and SymLinksIfOwnerMatch are both off, so the RewriteRule directive is also forbidden due to its similar ability to circumvent directory restrictions : \(filePath)",
                                metadata: context.logMetadata(id: "IS04010"))
            return .respond(errorResponse(403, &context))
        }
        let (filename, pathInfo) = context.fileStatus == nil
            ? Self.apacheFilenameSplit(filePath + context.pathInfo, root: context.host.documentRoot)
            : (filePath, context.pathInfo)
        let outcome = withRewriteEnvironment(context) { environment in
            rewriteEvaluator.applyDirectoryRules(
                config, filename: filename, pathInfo: pathInfo, query: context.query,
                documentRoot: context.host.documentRoot, maps: context.host.rewrite?.maps ?? [:], environment: environment)
        }
        apply(outcome, to: &context)
        switch outcome.action {
        case .unchanged, .rewritten:
            if outcome.discardedPathInfo { context.pathInfo = "" }
            return .next
        case .queryChanged(let query):
            context.query = query
            return .next
        case .internalRedirect(let url):
            keepOriginalURL(&context)
            // The request redirected from had the rewritten query (REDIRECT_QUERY_STRING).
            context.query = url.firstIndex(of: "?").map { String(url[url.index(after: $0)...]) }
            if context.fileStatus?.isDirectory == true, context.pathInfo.isEmpty, !context.path.hasSuffix("/") {
                // mod_dir's fixup runs after mod_rewrite's and still sends the slash redirect.
                let location = URIPath.escape(context.path) + "/" + (context.query.map { "?" + $0 } ?? "")
                return .respond(errorResponse(301, &context, location: selfURL(location, context)))
            }
            // The re-injected URL is parsed like a requested one: a bad one is the client's 400.
            var probe = context
            switch Self.setTarget(url, &probe) {
            case .badRequest?:
                return .respond(errorResponse(400, &context))
            case .notFound?:
                // An encoded slash: the re-injected request exists, decoded, and is a 404.
                Self.renameEnvironmentForInternalRedirect(&context, status: 200)
                context.redirectCount += 1
                context.path = URIEscaping.percentDecode(String(url.prefix { $0 != "?" }))
                return .respond(errorResponse(404, &context))
            case nil:
                break
            }
            Self.renameEnvironmentForInternalRedirect(&context, status: 200)
            return .restart(url)
        case .redirect, .status, .proxy:
            return finalAnswer(outcome.action, &context)
        }
    }

    /// ISAPI_Rewrite 3 keeps the URL as sent in X-Rewrite-URL (once, whichever dialect
    /// changed it first), where IIS-era scripts look for it.
    private func keepOriginalURL(_ context: inout RequestContext) {
        if context.headers[rewriteURLHeader] == nil {
            context.headers.set(rewriteURLHeader, Self.requestURI(context.request.target))
        }
    }

    /// Apache's directory walk stops at the first path component that does not exist:
    /// that is `r->filename`, the rest is PATH_INFO (per-directory rules see both).
    static func apacheFilenameSplit(_ path: String, root: String?) -> (filename: String, pathInfo: String) {
        var checked = root.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } ?? ""
        guard path.hasPrefix(checked) else { return (path, "") }
        let rest = path.dropFirst(checked.count)
        var components = rest.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        while let component = components.first {
            components = components.dropFirst()
            checked += "/" + component
            var status = stat()
            if stat(checked, &status) != 0 {
                let pathInfo = components.isEmpty ? "" : "/" + components.joined(separator: "/")
                return (checked, pathInfo)
            }
        }
        return (path, "")
    }

    /// Redirects, status answers and proxying end both kinds of rules the same way.
    private func finalAnswer(_ action: RewriteAction, _ context: inout RequestContext) -> PhaseResult {
        switch action {
        case .redirect(let status, let location):
            return .respond(errorResponse(status, &context, location: location))
        case .status(let status):
            return .respond(errorResponse(status, &context))
        case .proxy(let url):
            context.proxyTarget = ProxyTarget(url: url)
            return .next
        default:
            return .next
        }
    }

    /// The side effects every outcome carries: E=, CO=, T=, H=, END, and its log line.
    private func apply(_ outcome: RewriteOutcome, to context: inout RequestContext) {
        for (name, value) in outcome.environment {
            if let value { context.environment[name] = value } else { context.environment.removeValue(forKey: name) }
        }
        for cookie in outcome.cookies { context.extraResponseHeaders.add("Set-Cookie", cookie) }
        if let type = outcome.contentType {
            context.rewriteContentType = type
            context.directoryConfig.forceType = type
        }
        if let handler = outcome.handler {
            context.rewriteHandler = handler
            context.directoryConfig.setHandler = .handler(handler)
        }
        if outcome.ended { context.rewriteEnded = true }
        for (name, value) in outcome.headerChanges {
            if let value { context.headers.set(name, value) } else { context.headers.remove(name) }
        }
        for name in outcome.vary where !context.varyHeaders.contains(where: { $0.lowercased() == name.lowercased() }) {
            context.varyHeaders.append(name)
        }
        if let message = outcome.logMessage {
            rewriteLogger.error("\(message)", metadata: context.logMetadata(id: "IS04011"))
        }
    }
}
