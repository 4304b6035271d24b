import ServerConfig

extension Pipeline {
    /// Phase 2: the virtual host by local address and port, then by Host.
    func selectVirtualHost(_ context: inout RequestContext) {
        let connection = context.request.connection
        context.host = configuration.virtualHost(
            localAddress: connection.localAddress, localPort: connection.localPort,
            hostHeader: context.headers["Host"])
        context.directoryConfig = context.host.defaults
    }
}
