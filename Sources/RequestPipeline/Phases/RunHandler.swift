import Foundation
import ServerConfig

extension Pipeline {
    /// The handler mod_mime and SetHandler choose for the file: SetHandler wins, then
    /// AddHandler by extension.
    @inline(__always)
    static func handlerName(for context: RequestContext) -> String? {
        switch context.directoryConfig.setHandler {
        case .handler(let name): return name
        case .none?: return nil
        case nil: break
        }
        if let mapped = context.currentMappedPath { return mapped.handlerByName }
        return context.filePath.flatMap { handlerByName($0, context.directoryConfig) }
    }

    /// mod_mime's AddHandler choice for a file's name: every extension counts; the last
    /// mapped one wins.
    static func handlerByName(_ filePath: String, _ config: DirectoryConfig) -> String? {
        let handlers = config.handlersByExtension
        guard !handlers.isEmpty, let name = URIPath.lastComponent(filePath) else { return nil }
        var handler: String?
        name.forEachFileNameExtension { ext in
            // A nil entry is a RemoveHandler: that extension no longer maps, it does not reset the choice.
            if let mapped = handlers[ext.asciiLowercased()], let mapped { handler = mapped }
        }
        return handler
    }

    /// The handler a RewriteProxy or [P] rule chose: no file mapping, no `<Directory>` checks.
    func runProxy(_ context: inout RequestContext) -> PhaseResult {
        context.handler = ProxyRequestHandler.name
        if context.directoryConfig.headers != nil { applyRequestHeaderRules(&context) }
        guard let handler = handlers[ProxyRequestHandler.name] else {
            logger.error("a rewrite rule proxies to \(context.proxyTarget?.url ?? "") but no proxy handler is installed",
                         metadata: context.logMetadata(id: "IS00301"))
            return .respond(errorResponse(500, &context))
        }
        return .respond(handler.handle(&context, pipeline: self))
    }

    /// Phase 7: exactly one handler answers. An `ISAPIScriptMap` for the file's extension
    /// comes before AddHandler (a SetHandler naming a handler overrides both); an `Action`
    /// for the handler chosen (or, without one, for the media type) sends the request
    /// to its engine.
    func runHandler(_ context: inout RequestContext) -> PhaseResult {
        if let scriptMap = Self.scriptMap(for: context) {
            context.scriptMap = scriptMap
            context.handler = Self.isapiHandlerName
            return dispatch(Self.isapiHandlerName, &context)
        }
        let name = Self.handlerName(for: context)
        context.handler = name
        // Read through the stored `Shared`: the `directoryConfig` accessor, not inlined
        // here, copied the whole configuration into a heap-allocated frame.
        if context.sharedDirectoryConfig.value.engines?.actions.isEmpty == false,
           let action = self.action(for: name, context) {
            return runAction(action, &context)
        }
        guard let name, name != "default-handler" else { return serveStaticFile(&context) }
        return dispatch(name, &context)
    }

    /// The handler that runs ISAPI extensions, and script maps' engines.
    static let isapiHandlerName = "isapi-handler"

    private func dispatch(_ name: String, _ context: inout RequestContext) -> PhaseResult {
        guard let handler = handlers[name] else {
            logger.error("handler \"\(name)\" not found for: \(context.filePath ?? context.path)",
                         metadata: context.logMetadata(id: "IS00300"))
            return .respond(errorResponse(500, &context))
        }
        return .respond(handler.handle(&context, pipeline: self))
    }
}

extension Pipeline {
    /// The script map for the file's extension: IIS maps by the last extension only.
    @inline(__always)
    static func scriptMap(for context: RequestContext) -> ScriptMap? {
        guard let maps = context.directoryConfig.engines?.scriptMaps, !maps.isEmpty else { return nil }
        if case .handler? = context.directoryConfig.setHandler { return nil }
        // A directory is served as one (DirectoryIndex may then name a script).
        if context.fileStatus?.isDirectory == true && context.pathInfo.isEmpty { return nil }
        guard let filePath = context.filePath, let name = URIPath.lastComponent(filePath),
              let dot = name.utf8.lastIndex(of: UInt8(ascii: "."))
        else { return nil }
        return maps[name[name.index(after: dot)...].asciiLowercased()]
    }

    /// mod_actions: the `Action` for the handler, or, when none was chosen, for the
    /// file's media type without parameters (Apache hands a request without a handler
    /// to the one named by its content type).
    func action(for handler: String?, _ context: RequestContext) -> ActionTarget? {
        let actions = context.directoryConfig.actions
        if let handler { return actions[handler] }
        guard let type = mediaType(of: context, mapped: context.currentMappedPath) else { return nil }
        let bare = type.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces).lowercased()
        return actions[bare]
    }

    /// mod_actions' handler: an internal redirect to the engine's URL followed by this
    /// request's URL (escaped again) and query; the engine then sees PATH_INFO = this
    /// URL and PATH_TRANSLATED = the file. Without `virtual`, the file must exist.
    func runAction(_ action: ActionTarget, _ context: inout RequestContext) -> PhaseResult {
        if action.fileCheck == .verifyExists && context.fileStatus == nil {
            logger.error("File does not exist: \(context.filePath ?? context.path)",
                         metadata: context.logMetadata(id: "IS00652"))
            return .respond(errorResponse(404, &context))
        }
        var url = action.url + URIPath.escape(context.path)
        if let query = context.query { url += "?" + query }
        Self.renameEnvironmentForInternalRedirect(&context, status: 200)
        return .restart(url)
    }
}
