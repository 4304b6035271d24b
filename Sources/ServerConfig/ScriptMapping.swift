/// IIS's application mapping (a "script map"), written `ISAPIScriptMap .ext engine [verify]`:
/// a request for a file ending in `.ext` is run by the ISAPI extension `engine`, which
/// finds the script through PATH_TRANSLATED (PHP's ISAPI module, Perl, ASP engines).
public struct ScriptMap: Sendable, Equatable {
    /// The engine's absolute path (a relative one is resolved against ServerRoot).
    public let engine: String
    public let fileCheck: ScriptFileCheck

    public init(engine: String, fileCheck: ScriptFileCheck) {
        self.engine = engine
        self.fileCheck = fileCheck
    }
}

/// Whether the server checks that the script exists before its engine runs.
public enum ScriptFileCheck: Sendable, Equatable {
    /// IIS's "Verify that file exists": a missing script is the server's 404.
    case verifyExists
    /// The engine runs whether or not the file exists, and answers for it.
    case none
}

/// mod_actions' `Action handler-or-type /url/of/engine [virtual]`: a request whose handler
/// (or, without one, whose media type) is `handler-or-type` is redirected internally to
/// the engine's URL with its own URL appended: the engine sees PATH_INFO = the original
/// URL and PATH_TRANSLATED = the file.
public struct ActionTarget: Sendable, Equatable {
    /// A local URL path, as written.
    public let url: String
    public let fileCheck: ScriptFileCheck

    public init(url: String, fileCheck: ScriptFileCheck) {
        self.url = url
        self.fileCheck = fileCheck
    }
}

/// The script maps and actions a scope sets, merged child over parent by key.
public struct EngineMappings: Sendable, Equatable {
    /// `ISAPIScriptMap`, by lower-cased extension without the dot.
    public var scriptMaps: [String: ScriptMap] = [:]
    /// `Action`, by lower-cased handler name or media type.
    public var actions: [String: ActionTarget] = [:]

    public init() {}

    func merged(over parent: EngineMappings?) -> EngineMappings {
        guard var result = parent else { return self }
        result.scriptMaps.merge(scriptMaps) { _, child in child }
        result.actions.merge(actions) { _, child in child }
        return result
    }
}
