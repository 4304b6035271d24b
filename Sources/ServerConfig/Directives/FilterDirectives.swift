/// `ISAPIFilter` lines of one host (the main server's are the global filters, a
/// `<VirtualHost>`'s its site filters), in configuration order, and
/// `ISAPIFilterLogNotSupported`.
public struct ISAPIFilterConfig: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        /// The filter's file (absolute: resolved against ServerRoot).
        public let path: String
        public let location: SourceLocation
    }

    public var lines: [Line] = []
    /// Log ServerSupportFunction requests a filter makes that isapid does not support
    /// (the filter counterpart of ISAPILogNotSupported); server-wide, Off by default.
    public var logNotSupported = false

    public init() {}
}

/// IIS's filter lists, as directives: `ISAPIFilter path` in server context (global
/// filters) or in `<VirtualHost>` (site filters), repeatable. Whether a filter loads is
/// decided when it is loaded (at start, reload and `-t`), not here: IIS serves without a
/// filter that fails.
let filterDirectives: [DirectiveSpec] = [
    DirectiveSpec(
        "ISAPIFilter", module: "mod_isapi.c", contexts: .serverConfig, arity: 1...1,
        syntax: "takes one argument, the ISAPI filter's path (relative to ServerRoot)"
    ) { d, t in
        t.host.isapiFilters.lines.append(.init(path: t.resolvePath(d.arguments[0]), location: d.location))
    },
    DirectiveSpec(
        "ISAPIFilterLogNotSupported", module: "mod_isapi.c", contexts: .server, arity: 1...1,
        syntax: "must be On or Off"
    ) { d, t in
        t.host.isapiFilters.logNotSupported = try d.flag()
    },
]
