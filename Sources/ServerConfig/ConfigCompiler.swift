import RewriteEngine
import PCRE2Regex

/// Turns a tree of `ConfigNode`s into a `ServerConfiguration`: checks each directive
/// against the table (known? allowed here? right arguments?), builds the sections, and
/// merges the main server into every virtual host.
struct ConfigCompiler {
    let table: DirectiveTable
    let resolvePath: @Sendable (String) -> String

    func compile(_ nodes: [ConfigNode], into server: ServerConfiguration) throws(ConfigError) -> ServerConfiguration {
        let target = DirectiveTarget(
            server: server, host: server.mainHost, directory: DirectoryConfig(), context: .server,
            resolvePath: resolvePath)
        var virtualHosts: [VirtualHost] = []
        for node in nodes {
            if node.isSection && node.name.lowercased() == "virtualhost" {
                virtualHosts.append(try compileVirtualHost(node, target))
            } else {
                try compileNode(node, target)
            }
        }
        target.host.defaults = target.directory
        var result = target.server
        result.mainHost = target.host
        result.mainHost.directorySections = Self.ordered(result.mainHost.directorySections)
        result.virtualHosts = virtualHosts.enumerated().map { index, host in
            var merged = Self.inherit(host, from: result.mainHost)
            merged.id = index + 1
            merged.rewrite?.prepareIndex()
            return merged
        }
        result.mainHost.rewrite?.prepareIndex()
        return result
    }

    private func compileVirtualHost(_ node: ConfigNode, _ outer: DirectiveTarget) throws(ConfigError) -> VirtualHost {
        guard !node.arguments.isEmpty else {
            throw .arguments("<VirtualHost>", "requires at least one address", at: node.location)
        }
        var host = VirtualHost()
        host.location = node.location
        for argument in node.arguments {
            guard let address = Self.parseHostAddress(argument) else {
                throw .arguments("<VirtualHost>", "could not parse address '\(argument)'", at: node.location)
            }
            host.addresses.append(address)
        }
        let target = DirectiveTarget(
            server: outer.server, host: host, directory: DirectoryConfig(), context: .virtualHost,
            resolvePath: resolvePath)
        for child in node.children ?? [] {
            if child.isSection && child.name.lowercased() == "virtualhost" {
                throw .notAllowed("<VirtualHost>", "cannot occur within <VirtualHost> section", at: child.location)
            }
            try compileNode(child, target)
        }
        outer.server = target.server
        target.host.defaults = target.directory
        return target.host
    }

    func compileNode(_ node: ConfigNode, _ target: DirectiveTarget) throws(ConfigError) {
        if node.isSection {
            try compileSection(node, target)
            return
        }
        guard let spec = table.spec(named: node.name) else { throw .unknown(node.name, at: node.location) }
        guard spec.contexts.contains(target.context) else {
            throw .notAllowed(spec.name, "in \(target.context.name) context", at: node.location)
        }
        let directive = Directive(name: spec.name, arguments: node.arguments, location: node.location)
        guard spec.arity.contains(node.arguments.count) else { throw directive.invalid(spec.syntax) }
        do {
            try spec.apply(directive, target)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw directive.invalid("\(error)")
        }
    }

    private func compileSection(_ node: ConfigNode, _ target: DirectiveTarget) throws(ConfigError) {
        let lowered = node.name.lowercased()
        let kind: ConfigSection.Kind
        let isMatch: Bool
        switch lowered {
        case "directory", "directorymatch": kind = .directory; isMatch = lowered.hasSuffix("match")
        case "files", "filesmatch": kind = .files; isMatch = lowered.hasSuffix("match")
        case "location", "locationmatch": kind = .location; isMatch = lowered.hasSuffix("match")
        default: throw .unknown("<\(node.name)", at: node.location)
        }
        let allowed: DirectiveContext = kind == .files ? [.server, .virtualHost, .directory, .htaccess] : [.server, .virtualHost]
        guard allowed.contains(target.context) else {
            throw .notAllowed("<\(node.name)>", "cannot occur within \(target.context.name) section", at: node.location)
        }
        let pattern = try sectionPattern(node, kind: kind, isMatch: isMatch)
        let context: DirectiveContext = kind == .directory ? .directory : (kind == .files ? .files : .location)
        let sectionPath: String
        switch pattern {
        case .literal(let text), .wildcard(let text):
            sectionPath = kind == .directory && !text.hasSuffix("/") ? text + "/" : text
        case .regex(let regex):
            sectionPath = regex.pattern
        }
        let inner = DirectiveTarget(
            server: target.server, host: target.host, directory: DirectoryConfig(), context: context,
            resolvePath: resolvePath, sectionPath: sectionPath)
        for child in node.children ?? [] { try compileNode(child, inner) }
        // Server-wide settings stay server-wide; section-nested <Files> were collected on the inner host.
        target.server = inner.server
        var nested: [ConfigSection] = []
        if kind == .directory {
            nested = Array(inner.host.fileSections.dropFirst(target.host.fileSections.count))
        }
        let section = ConfigSection(
            kind: kind, pattern: pattern, config: inner.directory, nestedFiles: nested, location: node.location)
        switch (kind, target.context) {
        case (.directory, _): target.host.directorySections.append(section)
        case (.location, _): target.host.locationSections.append(section)
        case (.files, _): target.host.fileSections.append(section)
        }
    }

    private func sectionPattern(_ node: ConfigNode, kind: ConfigSection.Kind, isMatch: Bool) throws(ConfigError) -> ConfigSection.Pattern {
        var arguments = node.arguments
        var regex = isMatch
        if !isMatch && arguments.first == "~" {
            regex = true
            arguments.removeFirst()
        }
        guard arguments.count == 1, !arguments[0].isEmpty else {
            throw .arguments("<\(node.name)>", "takes one argument, \(Self.sectionArgument(kind, regex))", at: node.location)
        }
        let argument = arguments[0]
        if regex {
            do {
                return .regex(try RegexPattern(argument, options: .dotAll))
            } catch {
                throw .arguments("<\(node.name)>", "Regex could not be compiled: \(error.description)", at: node.location)
            }
        }
        var path = argument
        if kind == .directory {
            path = resolvePath(path)
            while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        }
        return path.contains(where: { "*?[".contains($0) }) ? .wildcard(path) : .literal(path)
    }

    private static func sectionArgument(_ kind: ConfigSection.Kind, _ regex: Bool) -> String {
        switch kind {
        case .directory: return regex ? "a regular expression for directory paths" : "a directory path"
        case .files: return regex ? "a regular expression for file names" : "a file name or wildcard"
        case .location: return regex ? "a regular expression for URL paths" : "a URL path"
        }
    }

    /// Apache's `ap_core_reorder_directories`: non-regex sections by depth (config order
    /// among equals), then regex sections in config order.
    static func ordered(_ sections: [ConfigSection]) -> [ConfigSection] {
        let plain = sections.enumerated().filter { !$0.element.isRegex }
            .sorted { ($0.element.componentCount, $0.offset) < ($1.element.componentCount, $1.offset) }
            .map(\.element)
        return plain + sections.filter(\.isRegex)
    }

    /// A virtual host takes from the main server what it leaves unset; its sections and
    /// URL mappings come after (sections) or before (mod_alias) the main server's.
    static func inherit(_ host: VirtualHost, from main: VirtualHost) -> VirtualHost {
        var merged = host
        merged.serverName = host.serverName ?? main.serverName
        merged.serverAdmin = host.serverAdmin ?? main.serverAdmin
        merged.traceEnable = host.traceEnable ?? main.traceEnable
        merged.documentRoot = host.documentRoot ?? main.documentRoot
        merged.accessFileNames = host.accessFileNames ?? main.accessFileNames
        merged.aliases = host.aliases + main.aliases
        merged.redirects = host.redirects + main.redirects
        merged.defaults = host.defaults.merged(over: main.defaults)
        if let rewrite = host.rewrite ?? main.rewrite.map({ _ in RewriteConfig() }) {
            merged.rewrite = rewrite.mergedForVirtualHost(over: main.rewrite ?? RewriteConfig())
        }
        merged.directorySections = ordered(main.directorySections + host.directorySections)
        merged.fileSections = main.fileSections + host.fileSections
        merged.locationSections = main.locationSections + host.locationSections
        merged.errorLog = host.errorLog ?? main.errorLog
        if host.customLogs.isEmpty { merged.customLogs = main.customLogs }
        merged.ssl = host.ssl.merged(over: main.ssl)
        merged.remoteIP = host.remoteIP.merged(over: main.remoteIP)
        return merged
    }

    static func parseHostAddress(_ text: String) -> HostAddress? {
        guard let (host, port) = splitHostPort(text) else { return nil }
        if let port, port == "*" { return HostAddress(host: host, port: nil) }
        if let port {
            guard let number = Int(port), (1...65535).contains(number) else { return nil }
            return HostAddress(host: host, port: number)
        }
        return HostAddress(host: host, port: nil)
    }

    /// Splits `host:port`, `[v6]:port`, `host`, `[v6]` into host and optional port text.
    static func splitHostPort(_ text: String) -> (String, String?)? {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (host, nil) }
            guard rest.hasPrefix(":") else { return nil }
            return (host, String(rest.dropFirst()))
        }
        let colons = text.filter { $0 == ":" }.count
        if colons == 1, let colon = text.firstIndex(of: ":") {
            return (String(text[..<colon]), String(text[text.index(after: colon)...]))
        }
        return text.isEmpty ? nil : (text, nil)
    }
}
