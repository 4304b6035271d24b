import Foundation
import ServerConfig

/// The CGI environment of a request, built the way Apache's `ap_add_common_vars` and
/// `ap_add_cgi_vars` build it: what an ISAPI extension reads with GetServerVariable
/// and what rewrite conditions read as `%{VAR}`.
public struct CGIEnvironment: Sendable {
    /// Variables in Apache's insertion order (ALL_HTTP keeps this order).
    public private(set) var variables: [(name: String, value: String)] = []

    /// Looks a variable up case-insensitively, as APR tables do.
    public subscript(name: String) -> String? {
        for entry in variables where HeaderFields.same(entry.name, name) { return entry.value }
        return nil
    }

    /// The server's own environment, read once: it does not change while serving, and
    /// reading it builds a dictionary of every variable.
    static let processEnvironment = ProcessInfo.processInfo.environment

    public mutating func set(_ name: String, _ value: String) {
        // The byte count first: it rules out almost every entry without comparing strings.
        let length = name.utf8.count
        if let index = variables.firstIndex(where: { $0.name.utf8.count == length && $0.name == name }) {
            variables[index].value = value
        } else {
            variables.append((name: name, value: value))
        }
    }

    /// The `HTTP_*` name of a request header, or nil for a header CGI drops: a name with
    /// a character other than letters, digits and `-`; Authorization and
    /// Proxy-Authorization (no CGIPassAuth); Proxy (the "httpoxy" defence).
    public static func variableName(forHeader header: String) -> String? {
        let lowered = header.lowercased()
        if lowered == "authorization" || lowered == "proxy-authorization" || lowered == "proxy" { return nil }
        var name = "HTTP_"
        for scalar in header.unicodeScalars {
            switch scalar {
            case "a"..."z": name.unicodeScalars.append(UnicodeScalar(scalar.value - 32)!)
            case "A"..."Z", "0"..."9": name.unicodeScalars.append(scalar)
            case "-": name.append("_")
            default: return nil
            }
        }
        return name
    }

    /// Builds the environment for a request that has been mapped to storage.
    public init(_ context: RequestContext, configuration: ServerConfiguration, serverSignature: String? = nil) {
        self.init(context, serverTokens: configuration.serverTokens, serverSignature: serverSignature)
    }

    /// Builds the environment with only what it needs of the configuration (ServerTokens):
    /// an extension's variables are built on a pool thread after the configuration
    /// snapshot was let go.
    init(_ context: RequestContext, serverTokens: ServerTokens, serverSignature: String? = nil) {
        let request = context.request
        variables.reserveCapacity(context.headers.count + 32)
        // Request headers first, merged as Apache's parser merges repeated ones.
        for (name, value) in context.headers {
            let lowered = name.lowercased()
            let variable: String
            if lowered == "content-type" {
                variable = "CONTENT_TYPE"
            } else if lowered == "content-length" {
                variable = "CONTENT_LENGTH"
            } else if let mapped = Self.variableName(forHeader: name) {
                variable = mapped
            } else {
                continue
            }
            if let existing = self[variable], variable.hasPrefix("HTTP_") {
                set(variable, existing + ", " + value)
            } else {
                set(variable, value)
            }
        }
        if let path = Self.processEnvironment["PATH"] { set("PATH", path) }
        if let serverSignature { set("SERVER_SIGNATURE", serverSignature) }
        set("SERVER_SOFTWARE", ServerSoftware.banner(serverTokens))
        let hostHeader = context.headers["Host"]
        set("SERVER_NAME", hostHeader.flatMap(ServerConfiguration.hostName(fromHostHeader:))
            ?? context.host.serverName ?? request.connection.localAddress)
        set("SERVER_ADDR", request.connection.localAddress)
        set("SERVER_PORT", Self.serverPort(hostHeader: hostHeader, localPort: request.connection.localPort))
        set("REMOTE_ADDR", request.connection.remoteAddress)
        let documentRoot = context.host.documentRoot ?? ""
        set("DOCUMENT_ROOT", documentRoot)
        set("REQUEST_SCHEME", request.connection.scheme)
        set("CONTEXT_PREFIX", "")
        set("CONTEXT_DOCUMENT_ROOT", documentRoot)
        set("SERVER_ADMIN", context.host.serverAdmin ?? "[no address given]")
        if let filePath = context.filePath { set("SCRIPT_FILENAME", filePath) }
        set("REMOTE_PORT", String(request.connection.remotePort))
        // mod_ssl's fixup: HTTPS=on on TLS, the SSL_* variables as SSLOptions asks.
        for (name, value) in context.tlsEnvironment { set(name, value) }
        for (name, value) in context.environment.sorted(by: { $0.key < $1.key }) { set(name, value) }
        set("GATEWAY_INTERFACE", "CGI/1.1")
        set("SERVER_PROTOCOL", request.protocolName)
        set("REQUEST_METHOD", context.method)
        set("QUERY_STRING", context.query ?? "")
        set("REQUEST_URI", Self.requestURI(request.target))
        set("SCRIPT_NAME", Self.scriptName(context))
        if let translated = Self.pathInfoTranslated(context) {
            set("PATH_INFO", context.pathInfo)
            set("PATH_TRANSLATED", translated)
        }
    }

    /// `PATH_TRANSLATED` of a request with PATH_INFO (not script-mapped): the document
    /// root joined with it; nil without PATH_INFO.
    private static func pathInfoTranslated(_ context: RequestContext) -> String? {
        context.pathInfo.isEmpty ? nil : join(context.host.documentRoot ?? "", context.pathInfo)
    }

    /// What this environment's `PATH_TRANSLATED` is (after `applyScriptMapSemantics` for a
    /// script-mapped request), without building it: the ECB's `lpszPathTranslated`.
    /// Besides the environment's own value, a SetEnv or `E=` variable of that name may
    /// answer: one spelled exactly so is replaced by the own value when there is one;
    /// one spelled in another case sorts, and is found, before the own entry.
    static func pathTranslated(_ context: RequestContext) -> String? {
        // A script map's is the script file (`applyScriptMapSemantics`).
        let own = context.scriptMap != nil ? context.filePath ?? "" : pathInfoTranslated(context)
        guard !context.environment.isEmpty,
              let set = context.environment.filter({ HeaderFields.same($0.key, "PATH_TRANSLATED") })
                  .min(by: { $0.key < $1.key })
        else { return own }
        return set.key == "PATH_TRANSLATED" ? own ?? set.value : set.value
    }

    /// `SCRIPT_NAME`: the URL path without its PATH_INFO.
    static func scriptName(_ context: RequestContext) -> String {
        context.pathInfo.isEmpty || !context.path.hasSuffix(context.pathInfo)
            ? context.path : String(context.path.dropLast(context.pathInfo.count))
    }

    /// `SERVER_PORT` under UseCanonicalName Off: the port the client named in Host,
    /// else the port the connection arrived on.
    static func serverPort(hostHeader: String?, localPort: Int) -> String {
        if let bytes = hostHeader?.utf8, let colon = bytes.lastIndex(of: UInt8(ascii: ":")),
           bytes.last != UInt8(ascii: "]") {
            let port = bytes[bytes.index(after: colon)...]
            if !port.isEmpty, port.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
                return String(Substring(port))
            }
        }
        return String(localPort)
    }

    /// `REQUEST_URI`: the path and query as the client sent them (origin form).
    static func requestURI(_ target: String) -> String {
        guard !target.hasPrefix("/"), let scheme = target.range(of: "://") else { return target }
        let rest = target[scheme.upperBound...]
        guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        return rest[slash] == "/" ? String(rest[slash...]) : "/" + rest[slash...]
    }

    static func join(_ root: String, _ path: String) -> String {
        root.utf8.last == UInt8(ascii: "/") && path.utf8.first == UInt8(ascii: "/") ? root + path.dropFirst() : root + path
    }
}
