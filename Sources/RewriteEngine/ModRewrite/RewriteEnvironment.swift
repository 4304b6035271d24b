/// What mod_rewrite rules read from the server and the request. The pipeline adapts
/// its request context to this; tests use a plain struct.
public protocol RewriteEnvironment {
    /// A server variable by its upper-cased name (`HTTP_HOST`, `REQUEST_URI`,
    /// `QUERY_STRING`, …), as Apache's `lookup_variable` gives it; "" when unknown.
    /// `REQUEST_FILENAME`, `SCRIPT_FILENAME`, `QUERY_STRING` and `TIME*` are answered by
    /// the engine itself, which knows their current values.
    func variable(_ name: String) -> String
    /// A request header (`%{HTTP:Name}`).
    func header(_ name: String) -> String?
    /// `%{SSL:VAR}`: mod_ssl's variable (SSL_PROTOCOL, SSL_CLIENT_S_DN_CN, HTTPS, …) on
    /// this connection, nil when it has none (plain HTTP, no client certificate).
    func sslVariable(_ name: String) -> String?
    /// A variable of the request's environment (`%{ENV:name}`).
    func environmentVariable(_ name: String) -> String?
    /// `-d -f -s -l -L -h -x -F -U` on a path (or, for `-U`, a URL).
    func fileTest(_ test: Character, _ path: String) -> Bool
    /// `scheme://host[:port]`, what a relative redirect target is completed with
    /// (the Host header's name lower-cased, its port or the connection's, the default
    /// port left out).
    var serverURLPrefix: String { get }
    /// Whether `http://host:port/` names this server (Apache's `ap_matches_request_vhost`),
    /// so that a substitution to it is reduced to a local path.
    func isThisServer(host: String, port: Int) -> Bool
}

extension RewriteEnvironment {
    /// No TLS: every `%{SSL:…}` is empty.
    public func sslVariable(_ name: String) -> String? { nil }
}

/// How a rule list ended for a request.
public enum RewriteAction: Sendable, Equatable {
    /// No rule changed anything.
    case unchanged
    /// Server context: a new URL path (decoded) to map under the DocumentRoot, or with
    /// [PT] to pass on to Alias and the rest. `query` nil means none.
    case rewritten(path: String, query: String?, passThrough: Bool)
    /// Directory context: the request is re-injected with this URL (`path?query`, as an
    /// internal redirect parses it: decoded once more).
    case internalRedirect(url: String)
    /// Directory context: the rules came back to the same file with another query
    /// string; Apache then keeps serving the file with the new query, no re-injection.
    case queryChanged(query: String?)
    /// An external redirect with this status and (already escaped) Location.
    case redirect(status: Int, location: String)
    /// Answer with this status (F 403, G 410, R=4xx/5xx, refusals, loop limits).
    case status(Int)
    /// Forward to this absolute URL ([P]).
    case proxy(url: String)
}

/// The outcome of a rule list, with the side effects its rules asked for.
public struct RewriteOutcome: Sendable, Equatable {
    public var action: RewriteAction = .unchanged
    /// [E=VAR:VAL] (nil value: [E=!VAR]), in order.
    public var environment: [(String, String?)] = []
    /// [CO=…]: Set-Cookie header values.
    public var cookies: [String] = []
    /// [H=], [T=].
    public var handler: String?
    public var contentType: String?
    /// [END]: no rewriting in later internal redirects.
    public var ended = false
    /// [DPI] discarded the PATH_INFO.
    public var discardedPathInfo = false
    /// A line for the error log when the outcome is a refusal or a limit (with its id).
    public var logMessage: String?
    /// Request headers that conditions of matching rules read: the response's Vary.
    public var vary: [String] = []
    /// RewriteHeader's changes, in order (nil removes the header).
    public var headerChanges: [(String, String?)] = []

    public init() {}

    public static func == (a: RewriteOutcome, b: RewriteOutcome) -> Bool {
        a.action == b.action && a.environment.map { "\($0.0)=\($0.1 ?? "!")" } == b.environment.map { "\($0.0)=\($0.1 ?? "!")" }
            && a.cookies == b.cookies && a.handler == b.handler && a.contentType == b.contentType && a.ended == b.ended
    }
}
