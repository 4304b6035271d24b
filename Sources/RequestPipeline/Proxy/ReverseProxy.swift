/// Forwards requests to `http://` upstreams (the rewrite engine's RewriteProxy directive
/// and `[P]` flag), keeping idle upstream connections for reuse.
///
/// Each request runs as a blocking handler on the extension thread pool, as an ISAPI
/// extension does: the request body streams upstream as the client sends it, and the
/// response streams back as the upstream sends it, in bounded memory. Thread-safe: a
/// lock guards only the pool of idle connections.
public final class ReverseProxy: Sendable {
    let settings: ProxySettings
    let pool: UpstreamPool

    /// - Parameters:
    ///   - connectTimeoutSeconds: how long a connect to an upstream may take (then 504).
    ///   - ioTimeoutSeconds: how long one send to or read from an upstream may wait (then 504).
    ///   - maxIdlePerUpstream: how many idle keep-alive connections to keep per `host:port`.
    public init(connectTimeoutSeconds: Double = 10, ioTimeoutSeconds: Double = 60, maxIdlePerUpstream: Int = 16) {
        settings = ProxySettings(connectTimeout: connectTimeoutSeconds, ioTimeout: ioTimeoutSeconds)
        pool = UpstreamPool(maxIdlePerUpstream: maxIdlePerUpstream)
    }

    /// The blocking handler that forwards the request it runs for to `target`; the
    /// pipeline answers with `Response.handOff` of it.
    public func handler(for target: ProxyTarget) -> any BlockingHandler {
        ProxyHandler(target: target, settings: settings, pool: pool)
    }

    /// Closes idle upstream connections, for a server that is stopping: connections
    /// requests still in flight give back afterwards are closed instead of kept.
    public func shutdown() {
        pool.shutdown()
    }
}

/// Timeouts for upstream connections.
struct ProxySettings: Sendable {
    var connectTimeout: Double
    var ioTimeout: Double
}

/// One target's handler; each run keeps its state in a `ProxyExchange` of its own.
struct ProxyHandler: BlockingHandler {
    let target: ProxyTarget
    let settings: ProxySettings
    let pool: UpstreamPool

    func run(_ context: RequestContext, channel: any ResponseChannel, pipeline: Pipeline) {
        ProxyExchange(target: target, settings: settings, pool: pool, context: context, channel: channel,
                      pipeline: pipeline).run()
    }
}
