import ServerConfig

extension Pipeline {
    /// Phase 6: protected names, `Require`, and symbolic links without FollowSymLinks.
    func checkAccess(_ context: inout RequestContext) -> PhaseResult {
        let file = context.currentMappedPath?.access ?? fileAccess(context)
        switch file.name {
        case .servable:
            break
        case .accessFile:
            // Apache's `.ht*` rule: 403.
            authzLogger.error("client denied by server configuration: \(context.filePath ?? context.path)",
                              metadata: context.logMetadata(id: "IS01630"))
            return .respond(errorResponse(403, &context))
        case .rewriteConfiguration:
            // The rewrite engine's own files: 404, as ISAPI_Rewrite's [F] answers for them.
            rewriteLogger.info("refusing to serve rewrite configuration: \(context.filePath ?? context.path)",
                               metadata: context.logMetadata(id: "IS04007"))
            return .respond(errorResponse(404, &context))
        }
        if let policy = context.directoryConfig.access,
           !policy.grants(remoteAddress: context.request.connection.remoteAddress, method: context.method) {
            authzLogger.error("client denied by server configuration: \(context.filePath ?? context.path)",
                         metadata: context.logMetadata(id: "IS01630"))
            return .respond(errorResponse(403, &context))
        }
        if let link = file.forbiddenLink {
            logger.error("Symbolic link not allowed or link target not accessible: \(link)",
                         metadata: context.logMetadata(id: "IS00037"))
            return .respond(errorResponse(403, &context))
        }
        return .next
    }

    /// What phase 6 finds about the request's file itself (its name, the links on its
    /// way): it depends on the path, the configuration and the filesystem only, so a
    /// path's cached mapping keeps it (`MappedPath.access`).
    func fileAccess(_ context: RequestContext) -> FileAccess {
        guard let filePath = context.filePath else { return FileAccess(name: .servable, forbiddenLink: nil) }
        if let name = URIPath.lastComponent(filePath) {
            if name.utf8.starts(with: ".ht".utf8) { return FileAccess(name: .accessFile, forbiddenLink: nil) }
            if RewriteProtectedFiles.isProtected(name) { return FileAccess(name: .rewriteConfiguration, forbiddenLink: nil) }
        }
        let link = context.fileStatus == nil ? nil : forbiddenSymlink(filePath, context)
        return FileAccess(name: .servable, forbiddenLink: link)
    }

    /// With FollowSymLinks off, every component below the document root (or the Alias
    /// target the file was mapped under) must be a real file or directory (or, with
    /// SymLinksIfOwnerMatch, a link owned by its target's owner).
    private func forbiddenSymlink(_ filePath: String, _ context: RequestContext) -> String? {
        let options = context.directoryConfig.effectiveOptions
        if options.contains(.followSymLinks) { return nil }
        // On the path's bytes by offset: each path up to the end of a component below the
        // root, the file itself last, with no array of components and no String indices.
        var path = filePath
        return path.withUTF8 { file -> String? in
            guard let rootLength = Self.storageBaseLength(of: file, context) else { return nil }
            var start = rootLength
            while start < file.count {
                var end = start
                while end < file.count && file[end] != UInt8(ascii: "/") { end += 1 }
                if end > start {
                    let current = String(decoding: UnsafeBufferPointer(rebasing: file[..<end]), as: UTF8.self)
                    if fileSystem.isSymbolicLink(current), !(options.contains(.symLinksIfOwnerMatch) && ownersMatch(current)) {
                        return current
                    }
                }
                start = end + 1
            }
            return nil
        }
    }

    /// SymLinksIfOwnerMatch: whether the link at `path` has its target's owner.
    private func ownersMatch(_ path: String) -> Bool {
        guard let owners = fileSystem.owners(path) else { return false }
        return owners.link == owners.target
    }

    /// The length in bytes of the deepest of the document root and the Alias/AliasMatch
    /// targets (up to their first `$`) that contains the file on a segment boundary,
    /// without its trailing `/` (the root `/` counts 1).
    private static func storageBaseLength(of file: UnsafeBufferPointer<UInt8>, _ context: RequestContext) -> Int? {
        let slash = UInt8(ascii: "/")
        var deepest: Int?
        func consider(_ candidate: Substring) {
            var base = candidate
            base.withUTF8 { base in
                var count = base.count
                if count > 1 && base[count - 1] == slash { count -= 1 }
                let isRoot = count == 1 && base[0] == slash
                let isPrefix = file.count >= count && (0..<count).allSatisfy { file[$0] == base[$0] }
                if (isRoot || (isPrefix && (file.count == count || file[count] == slash))) && count > (deepest ?? -1) {
                    deepest = count
                }
            }
        }
        let host = context.host
        if let root = host.documentRoot { consider(root[...]) } else { consider("/") }
        for alias in host.aliases {
            switch alias.match {
            case .prefix: consider(alias.target[...])
            case .regex:
                let literal = alias.target.prefix { $0 != "$" }
                if let slash = literal.lastIndex(of: "/") { consider(literal[...slash]) }
            }
        }
        return deepest
    }
}

/// What phase 6 finds about a file itself, before and apart from `Require`.
struct FileAccess: Sendable {
    /// What the file's name says.
    enum Name: Sendable {
        case servable
        /// `.ht*`: never served (403).
        case accessFile
        /// httpd.ini and its kin: the rewrite engine's own (404).
        case rewriteConfiguration
    }

    let name: Name
    /// The first symbolic link on the way to the file that the Options forbid.
    let forbiddenLink: String?
}
