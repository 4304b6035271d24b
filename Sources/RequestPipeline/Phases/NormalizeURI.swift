import RewriteEngine
extension Pipeline {
    /// Phase 1: split the target, decode the path, remove dot-segments, refuse escapes.
    func normalizeURI(_ context: inout RequestContext) -> PhaseResult {
        let target = context.request.target
        guard let (rawPath, rawQuery) = URIPath.split(target: target) else {
            logger.info("Invalid URI in request \(context.request.requestLine)", metadata: context.logMetadata(id: "IS00126"))
            return .respond(errorResponse(400, &context))
        }
        if rawPath == "*" {
            guard context.method == "OPTIONS" else { return .respond(errorResponse(400, &context)) }
            // Apache's http_send_options: "HTTP pong, without Allow header".
            return .respond(Response(status: 200))
        }
        switch URIPath.normalize(rawPath) {
        case .success(let path):
            context.path = path
            context.query = rawQuery.map(String.init)
            context.originalPath = path
            context.originalQuery = context.query
            return .next
        case .failure(.badRequest(let reason)):
            logger.info("Invalid URI in request \(context.request.requestLine): \(reason)", metadata: context.logMetadata(id: "IS00126"))
            return .respond(errorResponse(400, &context))
        case .failure(.notFound(let reason)):
            logger.info("found %2f (encoded '/') or %00 in URI path (\(reason)), returning 404",
                        metadata: context.logMetadata(id: "IS00127"))
            // Apache's r->uri is decoded even when the decoding is refused.
            context.path = URIEscaping.percentDecode(String(rawPath))
            return .respond(errorResponse(404, &context))
        }
    }
}
