import ServerConfig

extension Pipeline {
    /// The handler mod_mime and SetHandler choose for the file: SetHandler wins, then
    /// AddHandler by extension (every extension counts; the last mapped one wins).
    static func handlerName(for context: RequestContext) -> String? {
        switch context.directoryConfig.setHandler {
        case .handler(let name): return name
        case .none?: return nil
        case nil: break
        }
        guard let filePath = context.filePath, let name = URIPath.lastComponent(filePath) else { return nil }
        var handler: String?
        for ext in name.fileNameExtensions() {
            // A nil entry is a RemoveHandler: that extension no longer maps, it does not reset the choice.
            if let mapped = context.directoryConfig.handlersByExtension[ext.lowercased()], let mapped { handler = mapped }
        }
        return handler
    }

    /// The handler a RewriteProxy or [P] rule chose: no file mapping, no `<Directory>` checks.
    func runProxy(_ context: inout RequestContext) -> PhaseResult {
        context.handler = ProxyRequestHandler.name
        guard let handler = handlers[ProxyRequestHandler.name] else {
            logger.error("a rewrite rule proxies to \(context.proxyTarget?.url ?? "") but no proxy handler is installed",
                         metadata: context.logMetadata(id: "IS00301"))
            return .respond(errorResponse(500, &context))
        }
        return .respond(handler.handle(&context, pipeline: self))
    }

    /// Phase 7: exactly one handler answers.
    func runHandler(_ context: inout RequestContext) -> PhaseResult {
        let name = Self.handlerName(for: context)
        context.handler = name
        guard let name, name != "default-handler" else { return serveStaticFile(&context) }
        guard let handler = handlers[name] else {
            logger.error("handler \"\(name)\" not found for: \(context.filePath ?? context.path)",
                         metadata: context.logMetadata(id: "IS00300"))
            return .respond(errorResponse(500, &context))
        }
        return .respond(handler.handle(&context, pipeline: self))
    }
}
