import ServerConfig

extension Pipeline {
    /// Phase 6: protected names, `Require`, and symbolic links without FollowSymLinks.
    func checkAccess(_ context: inout RequestContext) -> PhaseResult {
        if let filePath = context.filePath, let name = URIPath.lastComponent(filePath) {
            // Apache's `.ht*` rule: 403.
            if name.hasPrefix(".ht") {
                authzLogger.error("client denied by server configuration: \(filePath)", metadata: context.logMetadata(id: "IS01630"))
                return .respond(errorResponse(403, &context))
            }
            // The rewrite engine's own files: 404, as ISAPI_Rewrite's [F] answers for them.
            if RewriteProtectedFiles.isProtected(name) {
                rewriteLogger.info("refusing to serve rewrite configuration: \(filePath)", metadata: context.logMetadata(id: "IS04007"))
                return .respond(errorResponse(404, &context))
            }
        }
        if let policy = context.directoryConfig.access,
           !policy.grants(remoteAddress: context.request.connection.remoteAddress, method: context.method) {
            authzLogger.error("client denied by server configuration: \(context.filePath ?? context.path)",
                         metadata: context.logMetadata(id: "IS01630"))
            return .respond(errorResponse(403, &context))
        }
        if let filePath = context.filePath, context.fileStatus != nil, let link = forbiddenSymlink(filePath, context) {
            logger.error("Symbolic link not allowed or link target not accessible: \(link)",
                         metadata: context.logMetadata(id: "IS00037"))
            return .respond(errorResponse(403, &context))
        }
        return .next
    }

    /// With FollowSymLinks off, every component below the document root (or the Alias
    /// target the file was mapped under) must be a real file or directory (or, with
    /// SymLinksIfOwnerMatch, a link owned by its target's owner).
    private func forbiddenSymlink(_ filePath: String, _ context: RequestContext) -> String? {
        let options = context.directoryConfig.effectiveOptions
        if options.contains(.followSymLinks) { return nil }
        guard let root = storageBase(of: filePath, context) else { return nil }
        var current = root
        for component in filePath.dropFirst(root.count).split(separator: "/") {
            current += current.hasSuffix("/") ? String(component) : "/" + component
            guard fileSystem.isSymbolicLink(current) else { continue }
            if options.contains(.symLinksIfOwnerMatch), let owners = fileSystem.owners(current), owners.link == owners.target {
                continue
            }
            return current
        }
        return nil
    }

    /// The deepest of the document root and the Alias/AliasMatch targets (up to their
    /// first `$`) that contains the file on a segment boundary.
    private func storageBase(of filePath: String, _ context: RequestContext) -> String? {
        var bases = context.host.documentRoot.map { [$0] } ?? ["/"]
        for alias in context.host.aliases {
            switch alias.match {
            case .prefix: bases.append(alias.target)
            case .regex:
                let literal = alias.target.prefix { $0 != "$" }
                if let slash = literal.lastIndex(of: "/") { bases.append(String(literal[...slash])) }
            }
        }
        return bases
            .map { $0.count > 1 && $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
            .filter { $0 == "/" || filePath == $0 || filePath.hasPrefix($0 + "/") }
            .max { $0.count < $1.count }
    }
}
