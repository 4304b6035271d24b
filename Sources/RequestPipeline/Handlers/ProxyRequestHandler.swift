/// `proxy-server` (mod_proxy's handler name): answers a request a rewrite rule forwards
/// with a `ProxyPlan` (`Response.Body.proxy`), which the network shell executes on the
/// connection's event loop; no extension thread is involved.
public final class ProxyRequestHandler: RequestHandler {
    public static let name = "proxy-server"

    public init() {}

    public func handle(_ context: inout RequestContext, pipeline: Pipeline) -> Response {
        guard let target = context.proxyTarget else {
            // Only rewrite rules choose this handler; `SetHandler proxy-server` alone has no target.
            return pipeline.errorResponse(404, &context)
        }
        guard let plan = ProxyPlan(target: target, context: context) else {
            pipeline.logger.error(
                "proxy target is not an http:// or https:// URL isapid can forward to: \(target.url)",
                metadata: context.logMetadata(id: "IS02200"))
            return pipeline.errorResponse(502, &context)
        }
        return .proxy(plan)
    }
}
