import RewriteEngine
/// Per-directory settings: what `<Directory>`, `<Files>`, `<Location>` and the server or
/// virtual-host level may set for the requests they cover.
///
/// Every field is optional or additive so that merging child-over-parent can tell "not
/// set here" from "set to the default", the way Apache's per-dir merge functions do.
public struct DirectoryConfig: Sendable, Equatable {
    public var options: OptionsSetting? {
        didSet { effectiveOptions = Self.resolve(options) }
    }
    public var allowOverride: Set<Override>?
    public var allowOverrideList: Set<String>?
    public var access: AccessPolicy?
    /// mod_mime `AddHandler`/`RemoveHandler`, by lower-cased extension without the dot;
    /// a nil value records a `RemoveHandler` so it also removes the parent's mapping.
    public var handlersByExtension: [String: String?] = [:]
    /// mod_mime `AddType`/`RemoveType`, same shape as handlers.
    public var typesByExtension: [String: String?] = [:]
    /// `ISAPIScriptMap` and mod_actions' `Action`; nil where neither is written (nearly
    /// every section), so that copying and merging a configuration costs nothing for them.
    public var engines: EngineMappings?
    /// `SetHandler`: a handler name, or `.none` for `SetHandler None`.
    public var setHandler: SetHandlerValue?
    public var forceType: String?
    public var directoryIndex: [String]?
    public var errorDocuments: [Int: ErrorDocument] = [:]
    public var limitRequestBody: Int64?
    public var addDefaultCharset: String??
    public var redirects: [RedirectRule]?
    /// mod_isapi's per-directory settings (ISAPIReadAheadBuffer, ISAPILogNotSupported, ...).
    public var isapi = ISAPIDirectorySettings()
    /// mod_rewrite's per-directory rules; nil in a section without any Rewrite
    /// directive, which leaves the parent's in force (prefix included), as in Apache.
    public var rewrite: RewriteConfig?
    /// mod_headers' `Header` and `RequestHeader` lines; nil where none is written (nearly
    /// everywhere), so that a request costs nothing for them.
    public var headers: HeaderRules?
    /// mod_ssl's `SSLOptions` (StdEnvVars, ExportCertData, …); nil where unset.
    public var sslOptions: SSLOptionsSetting?

    public init() {}

    /// Apache's merge: what the child sets wins, the rest comes from the parent.
    public func merged(over parent: DirectoryConfig) -> DirectoryConfig {
        var result = parent
        if let options { result.options = options.applied(to: parent.options) }
        if let allowOverride { result.allowOverride = allowOverride }
        if let allowOverrideList { result.allowOverrideList = allowOverrideList }
        if let access { result.access = access }
        result.handlersByExtension.merge(handlersByExtension) { _, child in child }
        result.typesByExtension.merge(typesByExtension) { _, child in child }
        if let engines { result.engines = engines.merged(over: parent.engines) }
        if let setHandler { result.setHandler = setHandler }
        if let forceType { result.forceType = forceType }
        if let directoryIndex { result.directoryIndex = directoryIndex }
        result.errorDocuments.merge(errorDocuments) { _, child in child }
        if let limitRequestBody { result.limitRequestBody = limitRequestBody }
        if let addDefaultCharset { result.addDefaultCharset = addDefaultCharset }
        if let redirects { result.redirects = (parent.redirects ?? []) + redirects }
        result.isapi = isapi.merged(over: parent.isapi)
        if let rewrite { result.rewrite = rewrite.merged(over: parent.rewrite) }
        if let headers { result.headers = headers.merged(over: parent.headers) }
        if let sslOptions { result.sslOptions = sslOptions.applied(to: parent.sslOptions) }
        return result
    }

    /// `ISAPIScriptMap`s in force, by lower-cased extension without the dot.
    public var scriptMaps: [String: ScriptMap] { engines?.scriptMaps ?? [:] }
    /// `Action`s in force, by lower-cased handler name or media type.
    public var actions: [String: ActionTarget] { engines?.actions ?? [:] }

    /// The options in force once every level has been merged (Apache's default is
    /// FollowSymLinks). Kept up to date by `options`' observer: requests read it twice
    /// or three times, and resolving the sets each time cost ~1k instructions.
    public private(set) var effectiveOptions: Set<Option> = Self.resolve(nil)

    private static func resolve(_ options: OptionsSetting?) -> Set<Option> {
        options?.resolved(base: [.followSymLinks]) ?? [.followSymLinks]
    }
    public var effectiveAllowOverride: Set<Override> { allowOverride ?? [] }
    public var effectiveDirectoryIndex: [String] { directoryIndex ?? ["index.html"] }
    public var effectiveLimitRequestBody: Int64 { limitRequestBody ?? 1_073_741_824 }
}

/// mod_isapi's per-directory directives; nil where unset, so child-over-parent merging
/// works; the defaults are mod_isapi's.
public struct ISAPIDirectorySettings: Sendable, Equatable {
    public var readAheadBuffer: Int?
    public var logNotSupported: Bool?
    public var appendLogToErrors: Bool?
    public var appendLogToQuery: Bool?
    public var fakeAsync: Bool?

    public init() {}

    func merged(over parent: ISAPIDirectorySettings) -> ISAPIDirectorySettings {
        var result = parent
        if let readAheadBuffer { result.readAheadBuffer = readAheadBuffer }
        if let logNotSupported { result.logNotSupported = logNotSupported }
        if let appendLogToErrors { result.appendLogToErrors = appendLogToErrors }
        if let appendLogToQuery { result.appendLogToQuery = appendLogToQuery }
        if let fakeAsync { result.fakeAsync = fakeAsync }
        return result
    }

    public var effectiveReadAheadBuffer: Int { readAheadBuffer ?? 49_152 }
    public var effectiveLogNotSupported: Bool { logNotSupported ?? false }
    public var effectiveAppendLogToErrors: Bool { appendLogToErrors ?? false }
    public var effectiveAppendLogToQuery: Bool { appendLogToQuery ?? true }
    public var effectiveFakeAsync: Bool { fakeAsync ?? false }
}

/// `SetHandler` either names a handler or turns handlers off for the scope.
public enum SetHandlerValue: Sendable, Equatable {
    case handler(String)
    case none
}

/// The words of the `Options` directive.
public enum Option: String, Sendable, CaseIterable, Hashable {
    case execCGI = "ExecCGI"
    case followSymLinks = "FollowSymLinks"
    case symLinksIfOwnerMatch = "SymLinksIfOwnerMatch"
    case includes = "Includes"
    case includesNOEXEC = "IncludesNOEXEC"
    case indexes = "Indexes"
    case multiViews = "MultiViews"

    /// `Options All` is everything but MultiViews, as in Apache 2.4.
    public static let all: Set<Option> = Set(allCases).subtracting([.multiViews])

    // Hashed and compared by case: the standard library's RawRepresentable defaults
    // would hash and compare the raw-value strings, on every request's `contains`.
    public func hash(into hasher: inout Hasher) { hasher.combine(ordinal) }
    public static func == (a: Option, b: Option) -> Bool { a.ordinal == b.ordinal }

    private var ordinal: Int {
        switch self {
        case .execCGI: 0
        case .followSymLinks: 1
        case .symLinksIfOwnerMatch: 2
        case .includes: 3
        case .includesNOEXEC: 4
        case .indexes: 5
        case .multiViews: 6
        }
    }
}

/// An `Options` line: an absolute set, or `+`/`-` changes to the parent's set.
public struct OptionsSetting: Sendable, Equatable {
    public var absolute: Set<Option>?
    public var added: Set<Option> = []
    public var removed: Set<Option> = []

    public init(absolute: Set<Option>? = nil, added: Set<Option> = [], removed: Set<Option> = []) {
        self.absolute = absolute
        self.added = added
        self.removed = removed
    }

    func resolved(base: Set<Option>) -> Set<Option> {
        (absolute ?? base).union(added).subtracting(removed)
    }

    /// Folding a child's setting onto the parent's keeps the result absolute once any level was.
    func applied(to parent: OptionsSetting?) -> OptionsSetting {
        if absolute != nil { return self }
        guard let parent else { return self }
        if let parentAbsolute = parent.absolute {
            return OptionsSetting(absolute: resolved(base: parentAbsolute.union(parent.added).subtracting(parent.removed)))
        }
        return OptionsSetting(
            absolute: nil,
            added: parent.added.subtracting(removed).union(added),
            removed: parent.removed.subtracting(added).union(removed))
    }
}

/// The classes of `AllowOverride`.
public enum Override: String, Sendable, CaseIterable, Hashable {
    case authConfig = "AuthConfig"
    case fileInfo = "FileInfo"
    case indexes = "Indexes"
    case limit = "Limit"
    case options = "Options"
}

/// `ErrorDocument`: a message, a local URL (internal redirect) or a remote URL (302).
public enum ErrorDocument: Sendable, Equatable {
    case text(String)
    case localURL(String)
    case remoteURL(String)
    /// `ErrorDocument 404 default`: back to the built-in page.
    case builtIn
}
