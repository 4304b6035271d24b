import RewriteEngine

/// What the rewrite pre-handler would do with a request, for `isapid rewrite-test`.
public struct RewriteExplanation: Sendable {
    /// The URL, method and headers after the rules.
    public var url: String
    public var method: String
    public var headers: HeaderFields
    /// How the rules ended, with redirect and proxy targets completed as the server would.
    public var outcome: IniRewriteOutcome
    public var logsOriginalURL: Bool
}

extension Pipeline {
    /// Runs the httpd.ini rules that apply to `request` (global, then its virtual
    /// host's) without serving it. `step` hears of each file as it starts (with a nil
    /// step) and of every rule tried in it; the literal pre-filter is off, so every rule shows.
    public func explainRewrite(_ request: IncomingRequest,
                               step: (_ file: String, _ rules: IniRuleSet, _ step: IniTraceStep?) -> Void) -> RewriteExplanation {
        var context = RequestContext(request: request, host: configuration.mainHost)
        selectVirtualHost(&context)
        context.headers.remove(rewriteURLHeader)
        // The trace closure escapes into the evaluator; collect, then replay to `step`.
        let collected = StepCollector()
        let run = runIniRules(context, trace: { file, rules, step in collected.steps.append((file, rules, step)) })
        for (file, rules, event) in collected.steps { step(file, rules, event) }
        let final = run.request ?? PipelineRewriteRequest(context, url: run.originalURL)
        var outcome = run.outcome
        var completing = context
        completing.headers = final.headers
        switch outcome {
        case .redirect(let status, let target):
            outcome = .redirect(status: status, location: Self.completeTarget(target, completing))
        case .proxy(let target, let follows):
            outcome = .proxy(url: Self.completeTarget(target, completing), followsRedirects: follows)
        default:
            break
        }
        return RewriteExplanation(url: final.url, method: final.method, headers: final.headers, outcome: outcome,
                                  logsOriginalURL: run.logsOriginalURL)
    }
}

/// Single-threaded collection of trace steps (the evaluator calls back synchronously).
private final class StepCollector: @unchecked Sendable {
    var steps: [(String, IniRuleSet, IniTraceStep?)] = []
}

/// What the mod_rewrite rules would do with a request, for `isapid rewrite-test`.
public struct ModRewriteExplanation: Sendable {
    /// Server context, then (when the request reaches a file's directory) per directory.
    public var serverAction: RewriteAction?
    public var directoryAction: RewriteAction?
    /// The file the request maps to before the per-directory rules.
    public var filePath: String?
}

extension Pipeline {
    /// Runs the mod_rewrite rules for `request` (on the URL as sent, apart from any
    /// httpd.ini rules) without serving it; `step` hears of every rule and condition with the
    /// context it ran in ("server" or the directory), each rule naming its file:line.
    public func explainModRewrite(_ request: IncomingRequest,
                                  step: (_ context: String, _ step: RewriteTraceStep) -> Void) -> ModRewriteExplanation {
        var context = RequestContext(request: request, host: configuration.mainHost)
        var explanation = ModRewriteExplanation()
        guard case .next = normalizeURI(&context) else { return explanation }
        selectVirtualHost(&context)
        let collected = ModRewriteStepCollector()
        if let config = context.host.rewrite, config.isEnabled {
            let outcome = withRewriteEnvironment(context) { environment in
                rewriteEvaluator.applyServerRules(config, uri: context.path, query: context.query,
                                                  environment: environment, trace: { collected.steps.append(("server", $0)) })
            }
            explanation.serverAction = outcome.action
            switch outcome.action {
            case .rewritten(let path, let query, let passThrough):
                context.query = query
                if passThrough { context.path = path } else { context.rewrittenPath = path }
            case .unchanged, .internalRedirect, .queryChanged:
                break
            default:
                for (name, event) in collected.steps { step(name, event) }
                return explanation
            }
        }
        _ = mapToStorage(&context)
        explanation.filePath = context.filePath
        if let config = context.directoryConfig.rewrite, config.isEnabled, let filePath = context.filePath {
            let (filename, pathInfo) = context.fileStatus == nil
                ? Self.apacheFilenameSplit(filePath + context.pathInfo, root: context.host.documentRoot)
                : (filePath, context.pathInfo)
            let label = "directory " + (config.directory ?? "?")
            let outcome = withRewriteEnvironment(context) { environment in
                rewriteEvaluator.applyDirectoryRules(
                    config, filename: filename, pathInfo: pathInfo, query: context.query, documentRoot: context.host.documentRoot,
                    maps: context.host.rewrite?.maps ?? [:], environment: environment,
                    trace: { collected.steps.append((label, $0)) })
            }
            explanation.directoryAction = outcome.action
        }
        for (name, event) in collected.steps { step(name, event) }
        return explanation
    }
}

/// Single-threaded collection of mod_rewrite trace steps.
private final class ModRewriteStepCollector: @unchecked Sendable {
    var steps: [(String, RewriteTraceStep)] = []
}
