import NIOCore
import NIOHTTP1
import Observability
import RequestPipeline

/// Requests a blocking handler (an ISAPI extension) answers on the extension pool.
extension HTTPConnectionHandler {
    /// Runs a blocking handler on the extension pool, bridged by a `BlockingExchange`.
    func startBlocking(_ handler: any BlockingHandler, _ current: Exchange, context: ChannelHandlerContext) {
        let pool = daemon.threadPool
        let stream = BlockingExchange(
            returns: pool?.returns(for: context.eventLoop) ?? LoopReturns(eventLoop: context.eventLoop),
            allocator: context.channel.allocator,
            requestIsBeforeHTTP11: current.context.request.isBeforeHTTP11,
            isHead: current.context.method == "HEAD", keepAlive: current.keepAlive && !machine.isClosing && !isLastRequest,
            connection: BlockingConnection(self, context: context, headContext: headContext(current)))
        current.stream = stream
        machine.answered(by: .blocking)
        // A handler that neither writes nor reads for Timeout seconds is given up on.
        armTimer(.handler, context: context)
        let pipeline = state.pipeline
        guard let pool else {
            state.logger.error("no extension thread pool to run handler \(current.context.handler ?? "?")",
                               metadata: current.context.logMetadata(id: "IS00301"))
            _ = stream.respond(pipeline.errorResponseAfterHandler(500, current.context))
            return
        }
        // One copy for the pool thread, shared by whatever keeps it during the call.
        let requestContext = Shared(current.context)
        pool.submit(figures: ServerFigures.shared.pool) { run in
            guard case .active = run else {
                stream.finishAbandoned(pipeline, requestContext.value)
                return
            }
            handler.run(requestContext, channel: stream, pipeline: pipeline)
            stream.finishAbandoned(pipeline, requestContext.value)
        }
    }

    /// The handler has been silent for Timeout seconds: its thread stays inside it (a
    /// thread cannot be taken back), but the client gets 504 (or, when part of the
    /// answer went out, a closed connection) and the rest of the server goes on.
    func expireBlocking(context: ChannelHandlerContext) {
        guard let current = exchange, current.stream != nil else { return }
        let answer = takeOverFromBlocking(status: 504, context: context)
        guard let answer else { return }
        state.logger.error(
            "\(current.context.handler ?? "handler") for \(current.context.filePath ?? current.context.path) sent nothing for \(state.configuration.timeoutSeconds)s: \(answer == .answerNow ? "answered 504" : "connection closed"); its thread stays busy until it returns",
            metadata: current.context.logMetadata(id: "IS02030"))
    }

    /// The connection stops listening to the running handler (it was silent too long,
    /// or its request body turned out malformed): from then on its reads fail (ReadClient
    /// FALSE) and its writes fail. When nothing went out yet (a head still held back
    /// included) the client gets `status` at once, else the connection closes after what
    /// was already queued. Nil when the handler's response had already ended.
    @discardableResult
    func takeOverFromBlocking(status: Int, context: ChannelHandlerContext) -> BlockingExchange.Expiry? {
        guard let current = exchange, let stream = current.stream else { return nil }
        let expiry = stream.expire()
        guard expiry != .alreadyEnding else { return nil }
        current.keepAlive = false
        switch expiry {
        case .answerNow:
            current.stream = nil
            machine.answered(by: .loop)
            disarmTimer()
            respondAndClose(status, context: context)
        case .closeNow, .alreadyEnding:
            // The exchange stays (its access-log line shows what the handler sent).
            closeAfterQueuedWrites(context: context)
        }
        return expiry
    }

    /// The blocking handler's response is fully written (or failed).
    func blockingCompleted(_ ending: BlockingExchange.Ending, context: ChannelHandlerContext) {
        disarmTimer()
        guard let current = exchange, let stream = current.stream else { return }
        current.response = Response(status: stream.status, headers: stream.responseHeaders)
        guard case .written(let keepAlive) = ending else {
            // Cut short: logged as aborted (%X = X) when the connection is gone.
            current.keepAlive = false
            closeAfterQueuedWrites(context: context)
            return
        }
        machine.writingFinished()
        current.keepAlive = current.keepAlive && keepAlive
        if machine.exchange?.body == .ended || !current.keepAlive {
            finish(context: context)
        } else {
            // Read and discard what the handler left of the body, then go on.
            armTimer(.readingBody, context: context)
            if machine.takeHeldRead() { context.read() }
        }
    }
}
