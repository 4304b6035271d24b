/// `proxy-server` (mod_proxy's handler name): forwards a request a rewrite rule sent to
/// an upstream, on the extension pool, through `ReverseProxy`.
public final class ProxyRequestHandler: RequestHandler {
    public static let name = "proxy-server"
    private let proxy: ReverseProxy

    public init(proxy: ReverseProxy = ReverseProxy()) {
        self.proxy = proxy
    }

    public func handle(_ context: inout RequestContext, pipeline: Pipeline) -> Response {
        guard let target = context.proxyTarget else {
            // Only rewrite rules choose this handler; `SetHandler proxy-server` alone has no target.
            return pipeline.errorResponse(404, &context)
        }
        return .handOff(proxy.handler(for: target))
    }

    public func shutdown() {
        proxy.shutdown()
    }
}
