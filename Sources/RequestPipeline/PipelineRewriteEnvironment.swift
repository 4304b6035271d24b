import Foundation
import RewriteEngine
import ServerConfig

extension Pipeline {
    /// Runs `body` with the request as the rewrite engine sees it.
    func withRewriteEnvironment<Result>(_ context: RequestContext,
                                        _ body: (PipelineRewriteEnvironment) -> Result) -> Result {
        withUnsafePointer(to: context) { context in
            body(PipelineRewriteEnvironment(context: context, serverTokens: configuration.serverTokens,
                                            mainHostID: configuration.mainHost.id))
        }
    }
}

/// The request as mod_rewrite's `%{VAR}`, `%{HTTP:…}`, `%{ENV:…}` and file tests see it.
/// It reads the context in place, for as long as `Pipeline.withRewriteEnvironment` runs:
/// a copy (some 40 reference-counted fields) cost more per request than the rules did.
struct PipelineRewriteEnvironment: RewriteEnvironment {
    private let context: UnsafePointer<RequestContext>
    let serverTokens: ServerTokens
    let mainHostID: Int

    fileprivate init(context: UnsafePointer<RequestContext>, serverTokens: ServerTokens, mainHostID: Int) {
        self.context = context
        self.serverTokens = serverTokens
        self.mainHostID = mainHostID
    }

    /// The fixed set of Apache's `lookup_variable` (names already upper-cased).
    func variable(_ name: String) -> String {
        let request = context.pointee.request
        let connection = request.connection
        switch name {
        case "HTTP_USER_AGENT": return context.pointee.headers["User-Agent"] ?? ""
        case "HTTP_REFERER": return context.pointee.headers["Referer"] ?? ""
        case "HTTP_COOKIE": return context.pointee.headers.values("Cookie").joined(separator: "; ")
        case "HTTP_FORWARDED": return context.pointee.headers["Forwarded"] ?? ""
        case "HTTP_HOST": return context.pointee.headers["Host"] ?? ""
        case "HTTP_PROXY_CONNECTION": return context.pointee.headers["Proxy-Connection"] ?? ""
        case "HTTP_ACCEPT": return context.pointee.headers["Accept"] ?? ""
        // As Apache: REMOTE_ADDR is the client (after mod_remoteip), REMOTE_HOST and
        // CONN_REMOTE_ADDR the connection's peer, REMOTE_PORT the client's port.
        case "REMOTE_ADDR": return connection.remoteAddress
        case "REMOTE_HOST", "CONN_REMOTE_ADDR": return connection.connectionAddress
        case "REMOTE_PORT": return String(connection.userAgentPort)
        case "REMOTE_USER", "REMOTE_IDENT", "AUTH_TYPE", "SCRIPT_USER", "SCRIPT_GROUP": return ""
        case "REQUEST_METHOD": return context.pointee.method
        case "PATH_INFO": return context.pointee.pathInfo
        case "DOCUMENT_ROOT", "CONTEXT_DOCUMENT_ROOT": return context.pointee.host.documentRoot ?? ""
        case "CONTEXT_PREFIX": return ""
        case "SERVER_ADMIN": return context.pointee.host.serverAdmin ?? "[no address given]"
        case "SERVER_NAME": return serverName
        case "SERVER_ADDR": return connection.localAddress
        case "SERVER_PORT": return String(serverPort)
        case "SERVER_PROTOCOL": return request.protocolName
        case "SERVER_SOFTWARE": return ServerSoftware.banner(serverTokens)
        case "API_VERSION": return "20120211:0"
        case "THE_REQUEST": return request.requestLine
        case "REQUEST_URI": return context.pointee.path
        case "REQUEST_SCHEME": return connection.scheme
        case "HTTPS": return connection.isSecure ? "on" : "off"
        case "IPV6": return "off"
        case "IS_SUBREQ": return "false"
        default: return ""
        }
    }

    /// `%{SSL:VAR}`: mod_ssl's variable, whatever SSLOptions says; nil on plain HTTP.
    func sslVariable(_ name: String) -> String? {
        TLSSessionInfo.variable(name, of: context.pointee.request.connection.tls)
    }

    func header(_ name: String) -> String? {
        let values = context.pointee.headers.values(name)
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    func environmentVariable(_ name: String) -> String? {
        context.pointee.environment[name] ?? CGIEnvironment.processEnvironment[name]
    }

    func fileTest(_ test: Character, _ path: String) -> Bool {
        var status = stat()
        switch test {
        case "U":
            // Apache's -U is a URL subrequest that stops before any handler: it fails only
            // on an access denial, which isapid does not look ahead for.
            return true
        case "l", "L", "h":
            return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK
        default:
            guard stat(path, &status) == 0 else { return false }
        }
        let kind = status.st_mode & S_IFMT
        switch test {
        case "d": return kind == S_IFDIR
        case "f", "F": return kind == S_IFREG
        case "s": return kind == S_IFREG && status.st_size > 0
        case "x": return kind == S_IFREG && status.st_mode & 0o111 != 0
        default: return false
        }
    }

    /// Apache's server name under UseCanonicalName Off: the Host header's, else ServerName.
    var serverName: String {
        context.pointee.headers["Host"].flatMap(ServerConfiguration.hostName(fromHostHeader:))?.lowercased()
            ?? context.pointee.host.serverName ?? context.pointee.request.connection.localAddress
    }

    /// The port self-referential URLs carry: the Host header's, the default port when the
    /// Host header has none, the connection's when there is no Host header.
    var serverPort: Int {
        let connection = context.pointee.request.connection
        guard let host = context.pointee.headers["Host"] else { return connection.localPort }
        if let colon = host.lastIndex(of: ":"), !host.hasSuffix("]"), let port = Int(host[host.index(after: colon)...]) {
            return port
        }
        return connection.defaultPort
    }

    /// https on a TLS connection, where 443 is the port left out.
    var serverURLPrefix: String {
        let connection = context.pointee.request.connection
        let port = serverPort
        let name = serverName.contains(":") && !serverName.hasPrefix("[") ? "[\(serverName)]" : serverName
        return connection.scheme + "://" + name + (port == connection.defaultPort ? "" : ":\(port)")
    }

    /// Apache's `ap_matches_request_vhost`: a virtual host's own name (or alias) on the
    /// port of its address; the main server, whose port is unset, never matches.
    func isThisServer(host: String, port: Int) -> Bool {
        let current = context.pointee.host
        guard current.id != mainHostID,
              current.addresses.contains(where: { $0.port == nil || $0.port == port }) else { return false }
        let name = host.lowercased()
        return current.serverName?.lowercased() == name || current.serverAliases.contains { $0.lowercased() == name }
    }
}
