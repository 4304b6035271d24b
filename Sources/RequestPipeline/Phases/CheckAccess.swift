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
        // On UTF-8 bytes (a path's own units): Character counting and splitting cost
        // more than the lstat calls.
        let rest = filePath[filePath.utf8.index(filePath.startIndex, offsetBy: root.utf8.count)...]
        for component in rest.componentsSeparated(byByte: UInt8(ascii: "/")) {
            current += current.utf8.last == UInt8(ascii: "/") ? String(component) : "/" + component
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
        let slash = UInt8(ascii: "/")
        return bases
            .map { $0.utf8.count > 1 && $0.utf8.last == slash ? String($0.dropLast()) : $0 }
            .filter { base in
                base == "/" || filePath == base
                    || (filePath.utf8.starts(with: base.utf8) && filePath.utf8.dropFirst(base.utf8.count).first == slash)
            }
            .max { $0.utf8.count < $1.utf8.count }
    }
}
