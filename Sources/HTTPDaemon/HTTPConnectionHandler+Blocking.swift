import NIOCore
import NIOHTTP1
import RequestPipeline

/// Requests a blocking handler (an ISAPI extension) answers on the extension pool.
extension HTTPConnectionHandler {
    /// Runs a blocking handler on the extension pool, bridged by a `BlockingExchange`.
    func startBlocking(_ handler: any BlockingHandler, _ current: Exchange, context: ChannelHandlerContext) {
        var current = current
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let headContext = headContext(current)
        let stream = BlockingExchange(
            eventLoop: context.eventLoop, allocator: context.channel.allocator,
            requestIsHTTP10: current.context.request.versionMinor == 0,
            isHead: current.context.method == "HEAD", keepAlive: current.keepAlive && !closing,
            makeHead: { status, reason, headers, keepAlive in
                headContext.head(status: status, reason: reason, headers: headers, contentLength: nil, keepAlive: keepAlive)
            },
            writePart: { part, completion in
                let (handler, context) = loopBound.value
                let promise = context.eventLoop.makePromise(of: Void.self)
                context.writeAndFlush(handler.wrapOutboundOut(part), promise: promise)
                promise.futureResult.whenComplete { result in
                    if case .success = result { completion(true) } else { completion(false) }
                }
            },
            resumeReading: {
                let (handler, context) = loopBound.value
                if handler.readPending {
                    handler.readPending = false
                    context.read()
                }
            },
            completed: { keepAlive in
                let (handler, context) = loopBound.value
                handler.blockingCompleted(keepAlive: keepAlive, context: context)
            },
            respondNormally: { response in
                let (handler, context) = loopBound.value
                guard handler.exchange?.stream != nil else { return }
                handler.exchange?.response = response
                handler.exchange?.startedWriting = false
                handler.write(context: context)
            })
        current.stream = stream
        current.startedWriting = true
        exchange = current
        disarmTimer()
        let requestContext = current.context
        let pipeline = state.pipeline
        guard let pool = daemon.threadPool else {
            state.logger.error("no extension thread pool to run handler \(requestContext.handler ?? "?")",
                               metadata: requestContext.logMetadata(id: "IS00301"))
            _ = stream.respond(pipeline.errorResponseAfterHandler(500, requestContext))
            return
        }
        pool.submit { poolState in
            guard case .active = poolState else {
                stream.finishAbandoned(pipeline, requestContext)
                return
            }
            handler.run(requestContext, channel: stream, pipeline: pipeline)
            stream.finishAbandoned(pipeline, requestContext)
        }
    }

    /// The blocking handler's response is fully written (or failed).
    func blockingCompleted(keepAlive: Bool, context: ChannelHandlerContext) {
        guard var current = exchange, let stream = current.stream else { return }
        current.finishedWriting = true
        current.keepAlive = current.keepAlive && keepAlive
        current.response = Response(status: stream.status, headers: stream.responseHeaders)
        current.bytesSent = stream.bodyBytesSent
        exchange = current
        if current.receivedEnd || !current.keepAlive {
            finish(context: context)
        } else {
            // Read and discard what the handler left of the body, then go on.
            armTimer(.readingBody, context: context)
            if readPending {
                readPending = false
                context.read()
            }
        }
    }
}
