import ISAPIHost

/// A blocking handler (an extension, the proxy) whose head goes through the filters.
struct FilteringHandler: BlockingHandler {
    let inner: any BlockingHandler

    func run(_ context: Shared<RequestContext>, channel: any ResponseChannel, pipeline: Pipeline) {
        inner.run(
            context, channel: FilteringChannel(base: channel, context: context.value, pipeline: pipeline),
            pipeline: pipeline)
    }
}

/// A response channel that runs ACCESS_DENIED and SEND_RESPONSE on the head a blocking
/// handler sends (on its pool thread). A filter that answers itself (FINISHED) replaces
/// the handler's answer; the handler's later writes then fail, as to a client gone.
final class FilteringChannel: ForwardingResponseChannel, @unchecked Sendable {
    // Immutable; the base channel is thread-safe; a handler sends one head.
    let base: any ResponseChannel
    let context: RequestContext
    let pipeline: Pipeline

    init(base: any ResponseChannel, context: RequestContext, pipeline: Pipeline) {
        self.base = base
        self.context = context
        self.pipeline = pipeline
    }

    func sendHead(status: Int, reason: String?, headers: consuming HeaderFields) -> Bool {
        var response = Response(status: status, headers: headers)
        var context = self.context
        pipeline.applyResponseFilters(&response, &context)
        if response.bodyLength > 0 {
            _ = base.respond(response)
            return false
        }
        // SEND_RAW_DATA may change the body's length: the daemon frames it (chunked) instead.
        if context.filters?.wants(.sendRawData) == true { response.headers.remove("Content-Length") }
        return base.sendHead(
            status: response.status, reason: response.status == status ? reason : nil,
            headers: response.headers)
    }

    /// SF_NOTIFY_SEND_RAW_DATA on each piece of the body the handler sends.
    func sendBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let filters = context.filters, filters.wants(.sendRawData) else { return base.sendBody(bytes) }
        var copy = Array(bytes)
        _ = filters.session.rawData(&copy, sending: true, list: filters.list, host: nil)
        return copy.withUnsafeBytes { base.sendBody($0) }
    }

    func respond(_ response: Response) -> Bool {
        var response = response
        var context = self.context
        pipeline.applyResponseFilters(&response, &context)
        return base.respond(response)
    }
}

/// ACCESS_DENIED and SEND_RESPONSE on the head of a proxied answer, which arrives on the
/// connection's event loop (where the proxy runs), so these two notifications run there
/// for proxied requests, as LOG does for all. The filters' status and headers replace
/// the upstream's; a filter that answers itself (FINISHED) cannot replace a relayed
/// body, so only its status and headers are taken.
public struct ProxyResponseFilter: Sendable {
    let context: RequestContext
    let pipeline: Pipeline

    func filter(status: Int, headers: HeaderFields) -> (status: Int, headers: HeaderFields) {
        var response = Response(status: status, headers: headers)
        var context = self.context
        pipeline.applyResponseFilters(&response, &context)
        return (response.status, response.headers)
    }
}
