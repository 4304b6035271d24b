/// Paths handed to extensions are Unix paths, where `\` is an ordinary file-name byte: a
/// request for `/..\secret.txt` names a file *in* the document root. But extensions are
/// ported from Windows, and the SDK notes tell them to accept either separator (mod_isapi
/// gives `\` paths), so one that turns `\` into `/` would climb out. The pipeline has
/// resolved every `/..` already, so a `..` segment left in a path is one that only a
/// backslash delimits: isapid never hands an extension such a path. MAP_URL_TO_PATH(_EX)
/// answers FALSE (ERROR_FILE_NOT_FOUND) and PATH_TRANSLATED is empty.
enum BackslashClimb {
    /// Whether `path` has a `..` segment once `\` separates segments too.
    static func hasDotDot(_ path: String) -> Bool {
        guard path.utf8.contains(UInt8(ascii: "\\")) else { return false }
        return path.utf8.split(whereSeparator: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") })
            .contains { $0.elementsEqual("..".utf8) }
    }
}

extension ISAPIRequest {
    /// Empties PATH_TRANSLATED (ECB field and server variable) when PATH_INFO has a
    /// backslash-delimited `..`. In place: the session takes the request it is given.
    mutating func removeBackslashClimb() {
        guard BackslashClimb.hasDotDot(pathInfo) else { return }
        pathTranslated = ""
        let unchanged = lazyVariables
        lazyVariables = LazyVariables {
            var table = unchanged.table
            table.variables = table.variables.map { (name: $0.name, value: $0.name == "PATH_TRANSLATED" ? "" : $0.value) }
            return table
        }
    }
}
