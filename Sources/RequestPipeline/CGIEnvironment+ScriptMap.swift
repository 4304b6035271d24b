/// The variables an engine sees when an `ISAPIScriptMap` runs it, as IIS 6 sets them for
/// a script-mapped request (AllowPathInfoForScriptMappings false, IIS's default):
///
/// | variable | `/dir/x.php/extra` |
/// | --- | --- |
/// | SCRIPT_NAME, URL | `/dir/x.php`, the script's URL |
/// | PATH_INFO (and `lpszPathInfo`) | `/dir/x.php/extra`, the whole URL path |
/// | PATH_TRANSLATED (and `lpszPathTranslated`), SCRIPT_FILENAME, SCRIPT_TRANSLATED | the script file |
///
/// IIS derives PATH_TRANSLATED from the whole PATH_INFO (the script file plus any extra
/// path); isapid gives the script file itself, which is what engines open (PHP's ISAPI
/// module in its Unix build reads SCRIPT_FILENAME for exactly that reason).
extension CGIEnvironment {
    /// What the ECB's own fields carry besides the variables.
    struct ScriptMapNames {
        /// IIS's URL variable: the script's URL.
        var url: String
        /// `lpszPathInfo`.
        var pathInfo: String
    }

    /// Rewrites the script-related variables for a script-mapped request.
    mutating func applyScriptMapSemantics(_ context: RequestContext) -> ScriptMapNames {
        let script = context.filePath ?? ""
        let scriptName = Self.scriptName(context)
        set("SCRIPT_NAME", scriptName)
        set("SCRIPT_FILENAME", script)
        set("PATH_INFO", context.path)
        set("PATH_TRANSLATED", script)
        set("SCRIPT_TRANSLATED", script)
        return ScriptMapNames(url: scriptName, pathInfo: context.path)
    }
}
