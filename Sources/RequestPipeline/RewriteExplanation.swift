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
        let serverName = context.host.serverName ?? request.connection.localAddress
        switch outcome {
        case .redirect(let status, let target):
            outcome = .redirect(status: status, location: completeRedirectTarget(
                target, scheme: "http", hostHeader: final.headers["Host"], serverName: serverName,
                port: request.connection.localPort))
        case .proxy(let target, let follows):
            outcome = .proxy(url: completeRedirectTarget(
                target, scheme: "http", hostHeader: final.headers["Host"], serverName: serverName,
                port: request.connection.localPort), followsRedirects: follows)
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
