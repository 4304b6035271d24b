import Foundation

/// GetServerVariable's answers: the special names, the CGI variables, and the IIS
/// variables ported code asks for.
struct ServerVariables {
    let request: ISAPIRequest

    /// Standard names that answer "" (TRUE) when unset, where mod_isapi fails with 1413:
    /// real extensions treat a failure there as fatal.
    static let standardNames: Set<String> = [
        "AUTH_TYPE", "AUTH_USER", "AUTH_PASSWORD", "CONTENT_LENGTH", "CONTENT_TYPE", "GATEWAY_INTERFACE",
        "HTTPS", "HTTPS_KEYSIZE", "HTTPS_SECRETKEYSIZE", "HTTPS_SERVER_ISSUER", "HTTPS_SERVER_SUBJECT",
        "INSTANCE_ID", "INSTANCE_META_PATH", "LOCAL_ADDR", "LOGON_USER", "PATH_INFO", "PATH_TRANSLATED",
        "QUERY_STRING", "REMOTE_ADDR", "REMOTE_HOST", "REMOTE_PORT", "REMOTE_USER", "REQUEST_METHOD",
        "REQUEST_URI", "SCRIPT_NAME", "SCRIPT_FILENAME", "SERVER_NAME", "SERVER_PORT", "SERVER_PORT_SECURE",
        "SERVER_PROTOCOL", "SERVER_SOFTWARE", "URL", "UNMAPPED_REMOTE_USER", "CERT_COOKIE", "CERT_FLAGS",
        "CERT_ISSUER", "CERT_KEYSIZE", "CERT_SECRETKEYSIZE", "CERT_SERIALNUMBER", "CERT_SERVER_ISSUER",
        "CERT_SERVER_SUBJECT", "CERT_SUBJECT", "APPL_MD_PATH", "APPL_PHYSICAL_PATH", "HTTP_VERSION",
        "DOCUMENT_ROOT", "SERVER_ADDR", "SERVER_ADMIN", "REQUEST_SCHEME",
    ]

    /// The value of a variable, or nil for an unknown name.
    func value(_ name: String) -> String? {
        switch name {
        case "ALL_HTTP":
            // `NAME:value\r\n`, in the environment's order, prefix matched case-sensitively.
            return request.lazyVariables.table.variables.filter { $0.name.hasPrefix("HTTP_") }
                .map { "\($0.name):\($0.value)\r\n" }.joined()
        case "ALL_RAW":
            return request.rawHeaders.map { "\($0.name): \($0.value)\r\n" }.joined()
        default:
            break
        }
        let upper = name.uppercased()
        if upper.hasPrefix("HEADER_") {
            let header = name.dropFirst(7)
            return request.rawHeaders.first { ASCIICase.equal($0.name, header) }?.value ?? ""
        }
        let table = request.lazyVariables.table
        if let found = table.variables.first(where: { ASCIICase.equal($0.name, upper) })
            ?? table.serverOnly.first(where: { ASCIICase.equal($0.name, upper) }) {
            return found.value
        }
        if Self.standardNames.contains(upper) || upper.hasPrefix("HTTP_") { return "" }
        return nil
    }
}
