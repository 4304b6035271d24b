import PCRE2Regex
import ServerConfig

extension Pipeline {
    /// Phase 4: mod_alias redirects and aliases, then DocumentRoot; finds the file and
    /// its PATH_INFO, and merges the per-directory configuration for it.
    func mapToStorage(_ context: inout RequestContext) -> PhaseResult {
        if let rewritten = context.rewrittenPath {
            // mod_rewrite already translated the URL: straight under the DocumentRoot.
            let root = context.host.documentRoot ?? configuration.serverRoot + "/htdocs"
            return mapFile(Self.removeDotSegments(Self.join(root, Substring(rewritten))), under: root, &context)
        }
        if let redirect = matchRedirect(context.host.redirects, &context) { return .respond(redirect) }
        let path = context.path
        var mapped: String?
        for alias in context.host.aliases {
            switch alias.match {
            case .prefix(let prefix):
                if let rest = matchPathPrefix(prefix, path) {
                    mapped = Self.join(alias.target, rest)
                }
            case .regex(let regex):
                if let match = regex.firstMatch(in: path) {
                    mapped = Self.substitute(alias.target, match: match)
                }
            }
            if mapped != nil { break }
        }
        let root = context.host.documentRoot ?? configuration.serverRoot + "/htdocs"
        let fullPath = mapped.map(Self.removeDotSegments) ?? Self.join(root, Substring(path))
        return mapFile(fullPath, under: mapped == nil ? root : nil, &context)
    }

    /// The file `fullPath` leads to and the per-directory configuration for it (with its
    /// .htaccess files), from the cached mapping of the URL while it holds, else worked
    /// out and kept; then the checks that need it: Redirect in a directory, the body limit.
    private func mapFile(_ fullPath: String, under root: String?, _ context: inout RequestContext) -> PhaseResult {
        context.mappedPath = nil
        do throws(HtaccessError) {
            // The host is read in place, never copied: copying a VirtualHost costs ~1.5k
            // instructions, more than the cache look-up saves on a small config.
            if let mappedPaths {
                let key = MappedPathCache.Key(hostID: context.host.id, urlPath: context.path, fullPath: fullPath)
                switch mappedPaths.lookup(key) {
                case .hit(let mapped):
                    mapped.applyLocated(to: &context)
                    context.sharedDirectoryConfig = mapped.config
                    context.mappedPath = mapped
                case .miss(let now):
                    let checkedAt = locateFile(fullPath, under: root, &context)
                    context.sharedDirectoryConfig = Shared(try mergedDirectoryConfig(context))
                    let config = context.directoryConfig
                    let mapped = MappedPath(
                        madeAt: now.notAfter(checkedAt), located: MappedPath.Located(context),
                        config: context.sharedDirectoryConfig,
                        handlerByName: context.filePath.flatMap { Self.handlerByName($0, config) },
                        mediaType: context.filePath.flatMap { mediaType(for: $0, config) },
                        access: fileAccess(context))
                    mappedPaths.store(mapped, for: key)
                    context.mappedPath = mapped
                }
            } else {
                locateFile(fullPath, under: root, &context)
                context.directoryConfig = try mergedDirectoryConfig(context)
            }
        } catch {
            // The server's own sections still hold (its ErrorDocument 500, say); no .htaccess does.
            context.directoryConfig = context.host.directoryConfig(
                filePath: context.filePath, isDirectory: context.fileStatus?.isDirectory ?? false, urlPath: context.path)
            return .respond(accessFileFailure(error, &context))
        }
        if let redirect = matchRedirect(context.directoryConfig.redirects ?? [], &context) { return .respond(redirect) }

        if let length = context.request.contentLength, length > context.bodyLimit {
            logger.error("Requested content-length of \(length) is larger than the configured limit of \(context.bodyLimit)",
                         metadata: context.logMetadata(id: "IS00129"))
            return .respond(errorResponse(413, &context))
        }
        if let type = context.rewriteContentType { context.directoryConfig.forceType = type }
        if let handler = context.rewriteHandler { context.directoryConfig.setHandler = .handler(handler) }
        return .next
    }

    /// The per-directory configuration for the file phase 4 found, with its .htaccess files.
    private func mergedDirectoryConfig(_ context: RequestContext) throws(HtaccessError) -> DirectoryConfig {
        try context.host.directoryConfig(filePath: context.filePath, isDirectory: context.fileStatus?.isDirectory ?? false,
                                         urlPath: context.path, accessFiles: accessFiles)
    }

    /// A broken `.htaccess` (500) or one that cannot be read (403), logged as Apache logs them.
    private func accessFileFailure(_ error: HtaccessError, _ context: inout RequestContext) -> Response {
        switch error {
        case .invalid(let problem):
            logger.critical("\(problem)", metadata: context.logMetadata(id: "IS00528"))
        case .unreadable(let path, let reason):
            let directory = path[...(path.lastIndex(of: "/") ?? path.startIndex)]
            logger.critical("\(path) pcfg_openfile: unable to check htaccess file, ensure it is readable and that '\(directory)' is executable: \(reason)",
                            metadata: context.logMetadata(id: "IS00529"))
        }
        return errorResponse(error.status, &context)
    }

    /// Finds the longest existing prefix of the path: a regular file there leaves the
    /// rest as PATH_INFO, as Apache's directory walk does.
    /// With the file cache, returns when the oldest of its entries this rests on was
    /// checked (what is made from the result holds no longer).
    @discardableResult
    private func locateFile(_ fullPath: String, under root: String?, _ context: inout RequestContext) -> Int64? {
        context.filePath = fullPath
        context.pathInfo = ""
        context.cachedFile = nil
        var oldestCheck: Int64?
        func status(_ path: String) -> (FileStatus?, CachedFile?) {
            guard let fileCache else { return (fileSystem.status(path), nil) }
            let (lookup, checkedAt) = fileCache.datedLookup(path)
            oldestCheck = min(oldestCheck ?? checkedAt, checkedAt)
            guard case .found(let file) = lookup else { return (nil, nil) }
            return (file.status, file)
        }
        // The entry rides along: the static answer needs its validators and bytes.
        let (found, file) = status(fullPath)
        if let found {
            context.fileStatus = found
            context.cachedFile = file
            return oldestCheck
        }
        context.fileStatus = nil
        var candidate = Substring(fullPath)
        while let slash = candidate.lastIndex(of: "/") {
            candidate = candidate[..<slash]
            if let root, candidate.count < root.count { return oldestCheck }
            guard !candidate.isEmpty, let found = status(String(candidate)).0 else { continue }
            if found.isRegularFile {
                context.filePath = String(candidate)
                context.pathInfo = String(fullPath[candidate.endIndex...])
                context.fileStatus = found
            }
            return oldestCheck
        }
        return oldestCheck
    }

    /// mod_alias `Redirect`/`RedirectMatch`: the first rule that matches answers.
    private func matchRedirect(_ rules: [RedirectRule], _ context: inout RequestContext) -> Response? {
        for rule in rules {
            var target: String?
            switch rule.match {
            case .prefix(let prefix):
                guard let rest = matchPathPrefix(prefix, context.path) else { continue }
                target = rule.target.map { Self.join($0, Substring(URIPath.escape(String(rest)))) }
            case .regex(let regex):
                guard let match = regex.firstMatch(in: context.path) else { continue }
                target = rule.target.map { Self.escapeRedirectTarget(Self.substitute($0, match: match)) }
            }
            guard var location = target else { return errorResponse(rule.status, &context) }
            if let query = context.query, !location.contains("?") { location += "?" + query }
            if location.hasPrefix("/") { location = selfURL(location, context) }
            return errorResponse(rule.status, &context, location: location)
        }
        return nil
    }

    /// An absolute URL on this server, as Apache's `ap_construct_url` builds it from the
    /// Host the client used (UseCanonicalName Off), else ServerName.
    /// On a TLS connection the URL is https, and 443 is the port left out.
    func selfURL(_ pathAndQuery: String, _ context: RequestContext) -> String {
        let connection = context.request.connection
        let host = context.headers["Host"].flatMap { $0.isEmpty ? nil : $0 }
            ?? context.host.serverName.map { name in
                connection.localPort == connection.defaultPort ? name : "\(name):\(connection.localPort)"
            }
            ?? "\(connection.localAddress):\(connection.localPort)"
        return "\(connection.scheme)://\(host)\(pathAndQuery)"
    }

    /// mod_alias escapes a RedirectMatch result, whose captures come from the decoded
    /// path: its path part is escaped again, its query and fragment are kept as written.
    static func escapeRedirectTarget(_ target: String) -> String {
        let end = target.firstIndex { $0 == "?" || $0 == "#" } ?? target.endIndex
        return URIPath.escape(String(target[..<end])) + target[end...]
    }

    /// An absolute file path without `.`/`..` segments or repeated slashes, as Apache's
    /// directory walk makes `r->filename`: an AliasMatch capture (or an Alias target) may
    /// contain `..`, and `<Directory>` sections must match where the file really is.
    static func removeDotSegments(_ path: String) -> String {
        guard path.hasPrefix("/") else { return path }
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
            } else {
                parts.append(part)
            }
        }
        let cleaned = "/" + parts.joined(separator: "/")
        return path.hasSuffix("/") && !parts.isEmpty ? cleaned + "/" : cleaned
    }

    static func join(_ base: String, _ rest: Substring) -> String {
        if rest.isEmpty { return base }
        // Byte tests: hasPrefix/hasSuffix compare Characters, and this runs for every request.
        let baseEndsWithSlash = base.utf8.last == UInt8(ascii: "/")
        let restStartsWithSlash = rest.utf8.first == UInt8(ascii: "/")
        // String + String: appending a Substring goes Character by Character.
        if baseEndsWithSlash && restStartsWithSlash { return base + String(Substring(rest.utf8.dropFirst())) }
        if !baseEndsWithSlash && !restStartsWithSlash { return base + "/" + String(rest) }
        return base + String(rest)
    }

    /// `$0`..`$9` in an AliasMatch/RedirectMatch target.
    static func substitute(_ template: String, match: RegexMatch) -> String {
        var out = ""
        var iterator = template.makeIterator()
        while let c = iterator.next() {
            guard c == "$" else { out.append(c); continue }
            guard let digit = iterator.next() else { out.append("$"); break }
            if let n = digit.wholeNumberValue {
                out += match[n] ?? ""
            } else {
                out.append("$")
                out.append(digit)
            }
        }
        return out
    }
}
