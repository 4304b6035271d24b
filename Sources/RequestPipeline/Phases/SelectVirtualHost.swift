import ServerConfig

extension Pipeline {
    /// Phase 2: the virtual host by local address and port, then by Host. For an
    /// absolute-form target (`GET http://b.example/ HTTP/1.1`) the decoder has already
    /// put the target's validated authority in Host (RFC 9112 §3.2.2; Apache replaces
    /// Host the same way), so the target's host picks the virtual host here, and
    /// SERVER_NAME, SERVER_PORT and self-referential redirects follow it too.
    func selectVirtualHost(_ context: inout RequestContext) {
        // Without <VirtualHost> sections every request is the main server's: no Host look-up.
        if configuration.virtualHosts.isEmpty { return context.select(hosts[nil]) }
        let connection = context.request.connection
        let index = configuration.virtualHostIndex(
            localAddress: connection.localAddress, localPort: connection.localPort,
            hostHeader: context.headers["Host"])
        context.select(hosts[index])
    }
}
