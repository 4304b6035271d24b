/// Where a directive may be written, in Apache's terms.
public struct DirectiveContext: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let server = DirectiveContext(rawValue: 1 << 0)
    public static let virtualHost = DirectiveContext(rawValue: 1 << 1)
    public static let directory = DirectiveContext(rawValue: 1 << 2)
    public static let files = DirectiveContext(rawValue: 1 << 3)
    public static let location = DirectiveContext(rawValue: 1 << 4)
    public static let htaccess = DirectiveContext(rawValue: 1 << 5)

    /// Apache's RSRC_CONF.
    public static let serverConfig: DirectiveContext = [.server, .virtualHost]
    /// Apache's ACCESS_CONF plus the server level: everywhere but `.htaccess`.
    public static let anywhere: DirectiveContext = [.server, .virtualHost, .directory, .files, .location]

    var name: String {
        switch self {
        case .server: return "server config"
        case .virtualHost: return "<VirtualHost>"
        case .directory: return "<Directory>"
        case .files: return "<Files>"
        case .location: return "<Location>"
        case .htaccess: return ".htaccess"
        default: return "context"
        }
    }
}

/// One directive as written: name, arguments, place.
public struct Directive: Sendable {
    public let name: String
    public let arguments: [String]
    public let location: SourceLocation

    /// A bad-arguments error for this directive.
    public func invalid(_ problem: String) -> ConfigError { .arguments(name, problem, at: location) }
}

/// What a directive may change while the configuration is compiled: the server-wide
/// settings, the host being built, and the per-directory scope being built.
public final class DirectiveTarget {
    public var server: ServerConfiguration
    public var host: VirtualHost
    public var directory: DirectoryConfig
    public let context: DirectiveContext
    /// Resolves a path relative to ServerRoot.
    public let resolvePath: (String) -> String
    /// The section being compiled, as written: a `<Directory>` path (absolute, ending in
    /// `/`), a `<Location>` URL path, a regex source for the `*Match` forms, or the
    /// directory of an `.htaccess` file; nil at server and virtual-host level. mod_rewrite
    /// strips and re-adds it around per-directory rules.
    public let sectionPath: String?

    init(server: ServerConfiguration, host: VirtualHost, directory: DirectoryConfig,
         context: DirectiveContext, resolvePath: @escaping (String) -> String, sectionPath: String? = nil) {
        self.server = server
        self.host = host
        self.directory = directory
        self.context = context
        self.resolvePath = resolvePath
        self.sectionPath = sectionPath
    }
}

/// A directive's entry in the table: its module, where it may appear, its arity, and
/// how it changes the configuration.
public struct DirectiveSpec: Sendable {
    public let name: String
    /// The module that implements it, as `<IfModule>` spells it (`mod_alias.c`).
    public let module: String
    public let contexts: DirectiveContext
    /// The `AllowOverride` class that enables it in `.htaccess`, if any.
    public let override: Override?
    public let arity: ClosedRange<Int>
    /// Apache-style description of the arguments, used in "bad arguments" errors.
    public let syntax: String
    public let apply: @Sendable (Directive, DirectiveTarget) throws -> Void

    public init(
        _ name: String, module: String, contexts: DirectiveContext, override: Override? = nil,
        arity: ClosedRange<Int>, syntax: String,
        apply: @escaping @Sendable (Directive, DirectiveTarget) throws -> Void
    ) {
        self.name = name
        self.module = module
        self.contexts = contexts
        self.override = override
        self.arity = arity
        self.syntax = syntax
        self.apply = apply
    }
}

/// Every directive isapid knows, by lower-cased name. Each feature contributes its own
/// list from one file (CoreDirectives.swift, AliasDirectives.swift, ...).
public struct DirectiveTable: Sendable {
    public let specs: [String: DirectiveSpec]

    public init(_ lists: [[DirectiveSpec]]) {
        var specs: [String: DirectiveSpec] = [:]
        for spec in lists.joined() { specs[spec.name.lowercased()] = spec }
        self.specs = specs
    }

    public static let standard = DirectiveTable([
        coreDirectives, limitDirectives, logDirectives, aliasDirectives, mimeDirectives, dirDirectives,
        authzDirectives, isapiDirectives, actionDirectives, rewriteIniDirectives, rewriteDirectives,
        headersDirectives, sslDirectives, remoteIPDirectives, proxyDirectives, statusDirectives,
        filterDirectives, fileCacheDirectives,
    ])

    /// What `<IfModule>` finds: every module with a directive here, in both spellings
    /// (`mod_alias.c` and `alias_module`), plus the core ones.
    public var modules: Set<String> {
        var names: Set<String> = ["core.c", "http_core.c", "mod_so.c", "core_module", "http_module", "so_module"]
        for module in Set(specs.values.map(\.module)) {
            names.insert(module)
            if module.hasPrefix("mod_") && module.hasSuffix(".c") {
                names.insert(String(module.dropFirst(4).dropLast(2)) + "_module")
            }
        }
        return names
    }

    public func spec(named name: String) -> DirectiveSpec? { specs[name.lowercased()] }
}
