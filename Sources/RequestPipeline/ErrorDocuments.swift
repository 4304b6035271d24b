import ServerConfig

extension Pipeline {
    /// What Apache's internal redirect does to the environment: every variable the
    /// request had comes along renamed `REDIRECT_<name>`, and REDIRECT_STATUS,
    /// REDIRECT_URL and REDIRECT_QUERY_STRING describe the request redirected from.
    static func renameEnvironmentForInternalRedirect(_ context: inout RequestContext, status: Int) {
        var renamed: [String: String] = [:]
        for (name, value) in context.environment where name != "REDIRECT_URL" && name != "REDIRECT_QUERY_STRING" {
            renamed["REDIRECT_" + name] = value
        }
        renamed["REDIRECT_STATUS"] = String(status)
        renamed["REDIRECT_URL"] = context.path
        if let query = context.query { renamed["REDIRECT_QUERY_STRING"] = query }
        context.environment = renamed
    }

    /// `ErrorDocument` for a server-generated error: a message, a redirect to a remote
    /// URL (302), or an internal redirect to a local URL that keeps the original status
    /// and sets REDIRECT_STATUS, REDIRECT_URL and REDIRECT_QUERY_STRING as Apache does.
    func applyErrorDocument(_ response: Response, _ context: inout RequestContext) -> Response {
        guard let document = context.directoryConfig.errorDocuments[response.status] else { return response }
        switch document {
        case .builtIn:
            return response
        case .text(let message):
            var headers = response.headers
            headers.set("Content-Type", "text/html; charset=iso-8859-1")
            return Response(status: response.status, headers: headers, body: .bytes(Array(message.utf8)))
        case .remoteURL(let url):
            return errorResponse(302, &context, location: url)
        case .localURL(let url):
            let status = response.status
            Self.renameEnvironmentForInternalRedirect(&context, status: status)
            if context.method != "HEAD" { context.method = "GET" }
            context.redirectCount += 1
            var served: Response
            if context.redirectCount > Self.maxInternalRedirects {
                served = errorResponse(500, &context)
            } else if case .respond(let failed) = restart(&context, to: url) {
                served = failed
            } else {
                served = runFromMapping(&context)
            }
            if served.isServerGenerated && served.status >= 400 {
                // The error document itself failed: Apache's built-in page with both errors.
                let additional = "a \(served.status) \(StatusText.reason(served.status)) error was encountered while trying to use an ErrorDocument to handle the request."
                var headers = response.headers
                headers.set("Content-Type", "text/html; charset=iso-8859-1")
                return Response(status: status, headers: headers,
                                body: .bytes(StatusText.page(status, method: context.request.method, additional: additional)))
            }
            if (200..<300).contains(served.status) { served.status = status }
            if case .handOff(let handler) = served.body {
                served.body = .handOff(ErrorStatusHandler(inner: handler, status: status))
            }
            if case .proxy(var plan) = served.body {
                plan.errorStatus = status
                served.body = .proxy(plan)
            }
            served.headers.remove("Accept-Ranges")
            return served
        }
    }
}
