/// What the pipeline decided for a request a rewrite rule forwards (RewriteProxy, `[P]`):
/// where to, with which request head, and how the upstream's answer is to be shown to
/// the client. A plain value: the network shell executes it on the connection's event
/// loop (HTTPDaemon/ReverseProxy), as it writes a static file; nothing here does I/O.
public struct ProxyPlan: Sendable {
    /// Redirects followed under `F` before the next one is answered as it is.
    public static let maxRedirects = 5
    /// A followed redirect's own body is read and dropped up to this size (so that its
    /// connection can be reused); a larger one closes the connection.
    public static let maxDiscardedBody = 1 << 20

    /// Where the request goes.
    public private(set) var upstream: UpstreamURL
    public private(set) var method: String
    /// The request head's fields, as mod_proxy_http builds them: Host naming the upstream,
    /// the client's fields minus the hop-by-hop ones, the X-Forwarded-* trail, the framing.
    public private(set) var headers: HeaderFields
    /// How the client's body goes up (`.none` once a followed redirect left it behind).
    public private(set) var body: RequestBodyFraming
    /// ISAPI_Rewrite's `F`: follow the upstream's redirects and answer with the final response.
    public let followsRedirects: Bool
    /// Redirects followed so far.
    public private(set) var hops = 0
    /// Whether the client's body was left behind by a followed redirect.
    public private(set) var droppedBody = false

    /// The request's headers now in force, the client's address and the server's name:
    /// a followed redirect's head is built from them again.
    private let requestHeaders: HeaderFields
    private let clientAddress: String
    private let serverName: String?
    /// `scheme://host[:port]` as the client addressed this server (Location mapping).
    private let clientOrigin: String
    /// The `Header` lines for the upstream's head (set by the pipeline when there are any).
    var headerEditor: HeaderEditor?
    /// An ErrorDocument served through the proxy: the upstream's 200 becomes this status.
    var errorStatus: Int?
    /// The ISAPI filters' SEND_RESPONSE (and ACCESS_DENIED) for the upstream's head.
    var responseFilter: ProxyResponseFilter?

    /// The plan for `target`; nil when it is not an `http://` or `https://` URL isapid can forward to.
    init?(target: ProxyTarget, context: RequestContext) {
        guard let upstream = UpstreamURL.parse(target.url) else { return nil }
        let connection = context.request.connection
        let body = RequestBodyFraming(context.request)
        let serverName = context.host.serverName
        self.upstream = upstream
        method = context.method
        self.body = body
        followsRedirects = target.followsRedirects
        requestHeaders = context.headers
        clientAddress = connection.remoteAddress
        self.serverName = serverName
        clientOrigin = connection.scheme + "://" + Self.clientAuthority(context)
        headers = ProxyRequestHead.fields(
            url: upstream, headers: context.headers, clientAddress: connection.remoteAddress, serverName: serverName,
            body: body, droppedBody: false)
    }

    /// The next hop when `F` follows a redirect the upstream answered: 303, and 301/302
    /// after a POST, become a GET without body; the others keep the method and are
    /// followed only when no body was sent (it cannot be sent again). Nil: the client
    /// gets the redirect as it is (no `F`, too many hops, no usable Location).
    public func redirected(status: Int, location: String?) -> ProxyPlan? {
        guard followsRedirects, hops < Self.maxRedirects, [301, 302, 303, 307, 308].contains(status),
            let location, let next = upstream.resolve(location)
        else { return nil }
        var plan = self
        plan.upstream = next
        plan.hops += 1
        let dropsBody: Bool
        switch status {
        case 303:
            plan.method = method == "HEAD" ? "HEAD" : "GET"
            dropsBody = true
        case 301 where method == "POST", 302 where method == "POST":
            plan.method = "GET"
            dropsBody = true
        default:
            if body.hasBody { return nil }
            dropsBody = false
        }
        if dropsBody {
            plan.droppedBody = droppedBody || body != .none
            plan.body = .none
        }
        plan.headers = ProxyRequestHead.fields(
            url: next, headers: requestHeaders, clientAddress: clientAddress, serverName: serverName,
            body: plan.body, droppedBody: plan.droppedBody)
        return plan
    }

    /// What the client is sent for the upstream's head: its status and reason, and its
    /// fields with the hop-by-hop ones dropped, the framing the connection re-frames
    /// dropped, Location and Content-Location pointing at the upstream mapped to the
    /// client's origin, then the `Header` lines. Nil when the Content-Length is malformed.
    public func clientHead(_ head: UpstreamResponseHead)
        -> (status: Int, reason: String?, headers: HeaderFields, framing: ResponseBodyFraming)?
    {
        guard let framing = head.bodyFraming(method: method) else { return nil }
        var headers = head.clientHeaders(framing: framing) { upstream.clientFacing($0, clientOrigin: clientOrigin) }
        if let headerEditor { headers = headerEditor.edit(headers, serverGenerated: false) }
        var status = head.status
        var reason = head.reason
        if let errorStatus, status == 200 { (status, reason) = (errorStatus, nil) }
        if let responseFilter {
            let filtered = responseFilter.filter(status: status, headers: headers)
            if filtered.status != status { reason = nil }
            (status, headers) = (filtered.status, filtered.headers)
        }
        return (status, reason, headers, framing)
    }

    /// The client-facing `host[:port]`: its Host header, else the server's name.
    private static func clientAuthority(_ context: RequestContext) -> String {
        if let host = context.headers["Host"], !host.isEmpty, ProxyRequestHead.isFieldValue(host) { return host }
        let local = context.request.connection
        let address = local.localAddress.contains(":") ? "[\(local.localAddress)]" : local.localAddress
        let name = context.host.serverName ?? address
        return local.localPort == local.defaultPort ? name : "\(name):\(local.localPort)"
    }
}
