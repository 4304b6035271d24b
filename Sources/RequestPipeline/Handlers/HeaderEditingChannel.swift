import ServerConfig

extension Pipeline {
    /// The `Header` lines in force for the request, on the answer the pipeline gives:
    /// at once for a complete response, at the head for one a blocking handler (an
    /// extension, the proxy) will stream.
    func applyHeaderRules(_ rules: HeaderRules, _ response: inout Response, _ context: RequestContext) {
        guard !rules.always.isEmpty || !rules.onSuccess.isEmpty else { return }
        let editor = HeaderEditor(rules: rules, context: context)
        if case .handOff(let handler) = response.body {
            response.body = .handOff(HeaderEditingHandler(inner: handler, editor: editor))
        } else if case .proxy(var plan) = response.body {
            plan.headerEditor = editor
            response.body = .proxy(plan)
        } else {
            editor.edit(&response)
        }
    }

    /// The `RequestHeader` lines, once per request, where Apache runs them: in the fixups,
    /// after the access checks and the per-directory rewrite rules, before the handler.
    /// Server- and directory-context rewrite conditions see the headers as sent; the
    /// handler (ALL_HTTP, HTTP_*), and the access log's `%{X}i`, see them changed.
    func applyRequestHeaderRules(_ context: inout RequestContext) {
        guard let rules = context.directoryConfig.headers, !rules.request.isEmpty,
              !context.requestHeadersEdited else { return }
        context.requestHeadersEdited = true
        context.headers = HeaderEditor(rules: rules, context: context).editRequest(context.headers, early: false)
    }

    /// `RequestHeader ... early` lines, where Apache's post_read_request runs them: once
    /// the virtual host is chosen, before any rewrite rule sees the request.
    func applyEarlyRequestHeaderRules(_ context: inout RequestContext) {
        guard let rules = context.directoryConfig.headers, rules.hasEarlyRequestLines else { return }
        context.headers = HeaderEditor(rules: rules, context: context).editRequest(context.headers, early: true)
    }
}

/// A blocking handler whose response head gets the `Header` lines.
struct HeaderEditingHandler: BlockingHandler {
    let inner: any BlockingHandler
    let editor: HeaderEditor

    func run(_ context: Shared<RequestContext>, channel: any ResponseChannel, pipeline: Pipeline) {
        inner.run(context, channel: HeaderEditingChannel(base: channel, editor: editor), pipeline: pipeline)
    }
}

/// A response channel that edits the head it passes on: an extension's or upstream's
/// own head as a handler's answer (`always` and `onsuccess`), a complete answer by its
/// origin (a server-generated error gets the `always` lines only).
final class HeaderEditingChannel: ForwardingResponseChannel, @unchecked Sendable {
    // Immutable; the base channel is thread-safe.
    let base: any ResponseChannel
    let editor: HeaderEditor

    init(base: any ResponseChannel, editor: HeaderEditor) {
        self.base = base
        self.editor = editor
    }

    func sendHead(status: Int, reason: String?, headers: consuming HeaderFields) -> Bool {
        base.sendHead(status: status, reason: reason, headers: editor.edit(headers, serverGenerated: false))
    }

    func respond(_ response: Response) -> Bool {
        var response = response
        editor.edit(&response)
        return base.respond(response)
    }
}
