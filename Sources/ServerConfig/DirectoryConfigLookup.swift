extension VirtualHost {
    /// The per-directory configuration in force for a request, merged the way Apache
    /// merges it: the host's defaults, then `<Directory>` sections by depth and
    /// `<DirectoryMatch>`, then `<Files>`/`<FilesMatch>` (those nested in a matched
    /// `<Directory>` after the host's own), then `<Location>`/`<LocationMatch>`.
    /// No access file (`.htaccess`) is read: see `directoryConfig(filePath:isDirectory:urlPath:accessFiles:)`.
    ///
    /// - Parameters:
    ///   - filePath: the mapped filesystem path, or nil when the URL maps to no file.
    ///   - isDirectory: whether `filePath` names a directory.
    ///   - urlPath: the decoded URL path, for `<Location>`.
    public func directoryConfig(filePath: String?, isDirectory: Bool, urlPath: String) -> DirectoryConfig {
        // Without access files nothing can fail.
        (try? merge(filePath: filePath, isDirectory: isDirectory, urlPath: urlPath, accessFiles: nil)) ?? defaults
    }

    /// As `directoryConfig(filePath:isDirectory:urlPath:)`, with access files: Apache's
    /// directory walk. From `/` down to the file's directory, each level takes its
    /// `<Directory>` sections, then, when the `AllowOverride` or `AllowOverrideList`
    /// merged so far is not None, its access file (the first of `AccessFileName` that
    /// exists), merged like one more `<Directory>` section there; the `<Files>` sections
    /// of an access file join the others in that order.
    ///
    /// - Throws: `HtaccessError` when an access file on the way is broken, not allowed
    ///   by the overrides in force, or unreadable.
    public func directoryConfig(
        filePath: String?, isDirectory: Bool, urlPath: String, accessFiles: any AccessFileSource
    ) throws(HtaccessError) -> DirectoryConfig {
        try merge(filePath: filePath, isDirectory: isDirectory, urlPath: urlPath, accessFiles: accessFiles)
    }

    private func merge(
        filePath: String?, isDirectory: Bool, urlPath: String, accessFiles: (any AccessFileSource)?
    ) throws(HtaccessError) -> DirectoryConfig {
        var config = defaults
        var fileSectionsInScope = fileSections
        if let filePath {
            let directory: String
            let fileName: Substring
            if isDirectory {
                directory = filePath.hasSuffix("/") ? filePath : filePath + "/"
                fileName = filePath.componentsSeparated(byByte: UInt8(ascii: "/")).last ?? ""
            } else {
                let slash = filePath.lastIndex(ofByte: UInt8(ascii: "/")) ?? filePath.startIndex
                directory = String(filePath[...slash])
                fileName = filePath[filePath.index(after: slash)...]
            }
            // Non-regex sections come first, by depth: each applies at the level of its depth.
            let plainCount = directorySections.firstIndex(where: \.isRegex) ?? directorySections.count
            var next = 0
            let components = directory.componentsSeparated(byByte: UInt8(ascii: "/"))
            for level in 0...components.count {
                while next < plainCount && directorySections[next].componentCount <= level {
                    let section = directorySections[next]
                    next += 1
                    guard section.matchesDirectory(directory) else { continue }
                    config = section.config.merged(over: config)
                    fileSectionsInScope += section.nestedFiles
                }
                let overrides = config.effectiveAllowOverride
                let overrideList = config.allowOverrideList ?? []
                guard let accessFiles, !overrides.isEmpty || !overrideList.isEmpty else { continue }
                // The directory of this level, built only when it may hold an access file.
                let prefix = level == 0 ? "/" : "/" + components[..<level].joined(separator: "/") + "/"
                guard let file = try accessFiles.accessFile(in: prefix, names: effectiveAccessFileNames)
                else { continue }
                if let problem = file.problem(allowOverride: overrides, allowOverrideList: overrideList) {
                    throw .invalid(problem)
                }
                config = file.config.merged(over: config)
                fileSectionsInScope += file.fileSections
            }
            for section in directorySections[next...] where section.matchesDirectory(directory) {
                config = section.config.merged(over: config)
                fileSectionsInScope += section.nestedFiles
            }
            let name = String(fileName)
            for section in fileSectionsInScope where section.matchesFileName(name) {
                config = section.config.merged(over: config)
            }
        }
        for section in locationSections where section.matchesURLPath(urlPath) {
            config = section.config.merged(over: config)
        }
        return config
    }
}

extension ServerConfiguration {
    /// Apache's virtual-host selection: the hosts whose address matches the connection's
    /// local address and port (exact IPs before wildcards), then the first of those whose
    /// ServerName or ServerAlias matches the Host header, else the first of those; the
    /// main server when no `<VirtualHost>` matches the address.
    public func virtualHost(localAddress: String, localPort: Int, hostHeader: String?) -> VirtualHost {
        virtualHostIndex(localAddress: localAddress, localPort: localPort, hostHeader: hostHeader)
            .map { virtualHosts[$0] } ?? mainHost
    }

    /// The same choice as an index into `virtualHosts`, nil for the main server: no host
    /// is copied (a VirtualHost holds dozens of strings and arrays; this runs per request).
    public func virtualHostIndex(localAddress: String, localPort: Int, hostHeader: String?) -> Int? {
        guard !virtualHosts.isEmpty else { return nil }
        func portMatches(_ address: HostAddress) -> Bool { address.port == nil || address.port == localPort }
        let local = IPAddress(localAddress)
        let exact = virtualHosts.indices.filter { index in
            virtualHosts[index].addresses.contains {
                !$0.isWildcard && portMatches($0) && IPAddress($0.host).map { $0 == local } == true
            }
        }
        let candidates = exact.isEmpty
            ? virtualHosts.indices.filter { virtualHosts[$0].addresses.contains { $0.isWildcard && portMatches($0) } }
            : exact
        guard let first = candidates.first else { return nil }
        guard let hostHeader, let name = Self.hostName(fromHostHeader: hostHeader) else { return first }
        return candidates.first { virtualHosts[$0].answers(to: name) } ?? first
    }

    /// The host part of a Host header, without port, brackets or a trailing dot.
    public static func hostName(fromHostHeader header: String) -> String? {
        // On UTF-8 bytes (every delimiter is ASCII): this runs several times per request.
        var host = Substring(header).utf8[...]
        if host.first == UInt8(ascii: "[") {
            guard let close = host.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: UInt8(ascii: ":")) {
            host = host[..<colon]
        }
        if host.last == UInt8(ascii: ".") { host = host.dropLast() }
        return host.isEmpty ? nil : String(Substring(host))
    }
}
