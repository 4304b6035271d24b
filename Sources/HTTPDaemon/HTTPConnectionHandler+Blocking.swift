import NIOCore
import NIOHTTP1
import RequestPipeline

/// Requests a blocking handler (an ISAPI extension) answers on the extension pool.
extension HTTPConnectionHandler {
    /// Runs a blocking handler on the extension pool, bridged by a `BlockingExchange`.
    func startBlocking(_ handler: any BlockingHandler, _ current: Exchange, context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let headContext = headContext(current)
        let allocator = context.channel.allocator
        let stream = BlockingExchange(
            eventLoop: context.eventLoop, allocator: allocator,
            requestIsHTTP10: current.context.request.versionMinor == 0,
            isHead: current.context.method == "HEAD", keepAlive: current.keepAlive && !closing,
            makeHead: { status, reason, headers, keepAlive in
                var buffer = allocator.buffer(capacity: 384)
                headContext.encode(status: status, reason: reason, headers: headers, contentLength: nil,
                                   keepAlive: keepAlive, into: &buffer)
                return buffer
            },
            writeParts: { parts, completion in
                let (handler, context) = loopBound.value
                // The handler is alive while it writes: its deadline counts from here.
                if handler.timerKind == .handler { handler.armTimer(.handler, context: context) }
                let promise = context.eventLoop.makePromise(of: Void.self)
                // An empty list still completes after everything written before it.
                let last = parts.last ?? .byteBuffer(ByteBuffer())
                for part in parts.dropLast() { context.write(handler.wrapOutboundOut(part), promise: nil) }
                context.writeAndFlush(handler.wrapOutboundOut(last), promise: promise)
                promise.futureResult.whenComplete { result in
                    if case .success = result { completion(true) } else { completion(false) }
                }
            },
            resumeReading: {
                let (handler, context) = loopBound.value
                if handler.timerKind == .handler { handler.armTimer(.handler, context: context) }
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
        // A handler that neither writes nor reads for Timeout seconds is given up on.
        armTimer(.handler, context: context)
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

    /// The handler has been silent for Timeout seconds: its thread stays inside it (a
    /// thread cannot be taken back), but the client gets 504 (or, when part of the
    /// answer went out, a closed connection) and the rest of the server goes on.
    func expireBlocking(context: ChannelHandlerContext) {
        guard let current = exchange, let stream = current.stream else { return }
        let expiry = stream.expire()
        guard expiry != .alreadyEnding else { return }
        state.logger.error(
            "\(current.context.handler ?? "handler") for \(current.context.filePath ?? current.context.path) sent nothing for \(state.configuration.timeoutSeconds)s: \(expiry == .answerNow ? "answered 504" : "connection closed"); its thread stays busy until it returns",
            metadata: current.context.logMetadata(id: "IS02030"))
        current.stream = nil
        current.keepAlive = false
        exchange = current
        switch expiry {
        case .answerNow:
            closing = true
            queued.removeAll()
            var requestContext = current.context
            exchange?.response = state.pipeline.errorResponse(504, &requestContext)
            exchange?.startedWriting = false
            disarmTimer()
            write(context: context)
        case .closeNow, .alreadyEnding:
            close(context: context)
        }
    }

    /// The blocking handler's response is fully written (or failed).
    func blockingCompleted(keepAlive: Bool, context: ChannelHandlerContext) {
        disarmTimer()
        guard let current = exchange, let stream = current.stream else { return }
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
