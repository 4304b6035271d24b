import ServerConfig

extension Pipeline {
    /// mod_remoteip, at Apache's post_read_request (once per request, after the virtual
    /// host is chosen, before rewriting and access checks): behind a trusted proxy, the
    /// client address of the request becomes the one the proxy reported in `RemoteIPHeader`.
    ///
    /// Everything that asks for the client then sees it: REMOTE_ADDR, `%a`/`%h`,
    /// `Require ip`, rewrite conditions, the error log's client. The peer stays in
    /// `ConnectionInfo.peerAddress` (`%{c}a`, CONN_REMOTE_ADDR); REMOTE_PORT stays the
    /// peer's port, as Apache's `c->client_addr`.
    func applyRemoteIP(_ context: inout RequestContext) {
        let config = context.host.remoteIP
        // A PROXY header decided the client for the whole connection (Apache's conn_config).
        guard let header = config.header, context.request.connection.clientOrigin != .proxyProtocol else { return }
        let values = context.headers.values(header)
        guard !values.isEmpty else { return }
        let connection = context.request.connection
        // Apache reads repeated request headers as one, joined with ", ".
        let outcome = RemoteIPHeaderWalk.walk(peer: connection.remoteAddress, header: values.joined(separator: ", "),
                                              proxies: config.proxies)
        switch outcome.stop {
        case .unparsable(let value):
            remoteIPLogger.debug("RemoteIP: Header \(header) value of \(value) cannot be parsed as a client IP",
                                 metadata: context.logMetadata(id: "IS02151"))
        case .privateAddress(let value):
            remoteIPLogger.debug("RemoteIP: Header \(header) value of \(value) appears to be a private IP or nonsensical.  Ignored",
                                 metadata: context.logMetadata(id: "IS02152"))
        case .exhausted, .untrustedProxy, .emptyElement:
            break
        }
        guard let client = outcome.client else { return }

        if let remaining = outcome.remainingHeader {
            context.headers.set(header, remaining)
        } else {
            context.headers.remove(header)
        }
        let proxies = outcome.trustedProxies.joined(separator: ", ")
        if !proxies.isEmpty {
            context.notes["remoteip-proxy-ip-list"] = proxies
            if let proxiesHeader = config.proxiesHeader { context.headers.set(proxiesHeader, proxies) }
        }
        context.request.connection.clientNamed(by: .remoteIPHeader, address: client, peer: connection.remoteAddress)
        // Apache logs this at trace1.
        remoteIPLogger.trace(proxies.isEmpty
                                ? "Using \(client) as client's IP by internal proxies"
                                : "Using \(client) as client's IP by proxies \(proxies)",
                             metadata: context.logMetadata(id: "IS02150"))
    }
}

extension ConnectionInfo {
    /// Apache's `c->client_ip`: the host at the other end of the connection, whatever
    /// mod_remoteip decided about the client (`%{c}a`, CONN_REMOTE_ADDR).
    public var connectionAddress: String { peerAddress ?? remoteAddress }

    /// The client's port as Apache's `r->useragent_addr` holds it (`%{remote}p`, the error
    /// log's client, mod_rewrite's REMOTE_PORT): 0 once a `RemoteIPHeader` replaced the
    /// client, whose port behind the proxy is unknown; a PROXY header's client port is real.
    public var userAgentPort: Int { clientOrigin == .remoteIPHeader ? 0 : remotePort }
}
