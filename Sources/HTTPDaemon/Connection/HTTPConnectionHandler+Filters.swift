import NIOCore
import NIOHTTP1
import RequestPipeline

/// Requests whose ISAPI filters want a request-phase notification: the pipeline runs on
/// the extension pool, so that a filter that blocks in HttpFilterProc holds a pool thread,
/// never this connection's event loop (and every other connection on it). Meanwhile the
/// connection reads nothing more and queues what it has read; the answer then goes on as
/// any other (`proceed`). Requests no filter is interested in never come here.
extension HTTPConnectionHandler {
    func processFiltered(_ head: HTTPRequestHead, _ request: IncomingRequest, context: ChannelHandlerContext) {
        guard let pool = daemon.threadPool else {
            let (requestContext, response) = state.pipeline.process(request)
            proceed(head, request, Exchange(context: requestContext, response: response, keepAlive: false), context: context)
            return
        }
        machine.filteringStarted()
        let pipeline = state.pipeline
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        pool.submit { _ in
            // Run even when the pool is stopping: the request was accepted and is answered.
            let (requestContext, response) = pipeline.process(request)
            eventLoop.execute {
                let (handler, context) = loopBound.value
                handler.machine.filteringFinished()
                guard context.channel.isActive else {
                    // The connection ended meanwhile (handlerRemoved left the session open).
                    if let session = handler.filterSession { pipeline.closeFilterSession(session) }
                    return
                }
                handler.proceed(head, request, Exchange(context: requestContext, response: response, keepAlive: false),
                                context: context)
                handler.resumeAfterFiltering(context: context)
            }
        }
    }

    /// What arrived while the filters ran: the request's body and end, then (once it is
    /// answered) the next request; reading resumes as it would have.
    private func resumeAfterFiltering(context: ChannelHandlerContext) {
        while !machine.isClosing, let part = machine.nextQueuedPart() {
            handle(part, context: context)
        }
        if machine.afterFiltering() == .read { context.read() }
    }
}

extension HTTPConnectionHandler {
    /// An error answer the daemon makes itself (417, 413, 408, a 400) for a request whose
    /// head was parsed: it passes the filters' SEND_RESPONSE as every answer does (issue 17).
    func daemonAnswer(_ status: Int, _ requestContext: inout RequestContext) -> Response {
        var response = state.pipeline.errorResponse(status, &requestContext)
        state.pipeline.filterDaemonAnswer(&response, &requestContext, session: filterSession)
        return response
    }
}
