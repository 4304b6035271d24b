import NIOCore
import RequestPipeline

/// How a connection's requests end when they do not end well: a malformed request, the
/// client's end of input (a half-close is not an abort), and the close itself.
extension HTTPConnectionHandler {
    /// The request being read (or the next one, when none is) is malformed: answered with
    /// the error's status when nothing of an answer went out yet, else the connection
    /// closes after what was queued. Either way it is the connection's last.
    func badRequest(_ error: HTTPRequestError, context: ChannelHandlerContext) {
        machine.takeDeferredError()
        guard let current = exchange, let output = machine.exchange?.output else {
            respondAndClose(error.status, requestLine: error.requestLine, context: context)
            return
        }
        if current.proxy != nil && output != .finished {
            // The proxy sending this body upstream: the upstream connection closes.
            takeOverFromProxy(status: error.status, context: context)
        } else if current.stream != nil && output != .finished {
            // An extension reading this body: its ReadClient fails, and it is not waited for.
            if takeOverFromBlocking(status: error.status, context: context) == nil {
                // Its response is ending: the connection closes after it.
                current.keepAlive = false
                machine.closeAfterAnswer()
            }
        } else if output == .notStarted {
            respondAndClose(error.status, context: context)
        } else if output == .finished {
            // Answered already; the rest of its body cannot be read past.
            current.keepAlive = false
            finish(context: context)
        } else {
            machine.closeAfterAnswer()
        }
    }

    /// Answers a request with an error status (bad syntax, timeout) and closes: the
    /// request being read when it has not been answered yet (its access-log line shows
    /// it), else one that never reached the pipeline (with its request line when that was
    /// read: a HEAD is answered without a body, and `%r` shows it).
    func respondAndClose(_ status: Int, requestLine: RejectedRequestLine? = nil, context: ChannelHandlerContext) {
        machine.closeAfterAnswerDroppingQueued()
        var requestContext: RequestContext
        // Whether a request head was parsed (the filters see its answer), or only garbage.
        let parsedHead: Bool
        if let current = exchange, machine.exchange?.output == .notStarted {
            requestContext = current.context
            parsedHead = true
        } else {
            parsedHead = requestLine != nil
            let request = IncomingRequest(
                method: requestLine?.method ?? "-", target: requestLine?.target ?? "-",
                versionMinor: requestLine?.versionMinor ?? 1,
                connection: connectionInfo(keepAliveCount: 0))
            requestContext = RequestContext(request: request, host: state.configuration.mainHost)
        }
        let response =
            parsedHead
            ? daemonAnswer(status, &requestContext) : state.pipeline.errorResponse(status, &requestContext)
        startExchange(Exchange(context: requestContext, response: response, keepAlive: false), body: .ended)
        write(context: context)
    }

    /// The client sent its last byte (a half-close, or the first sign of a full close).
    /// It is not an abort: what was read is answered, then the connection closes.
    func inputEnded(context: ChannelHandlerContext) {
        switch machine.inputClosed() {
        case .close: close(context: context)
        case .lastAnswer: exchange?.stream?.closeAfterResponse()
        case .ignore, .keepServing: break
        }
    }

    /// Closes once everything written so far has gone out (or failed), within Timeout.
    func closeAfterQueuedWrites(context: ChannelHandlerContext) {
        machine.closeAfterAnswerDroppingQueued()
        guard context.channel.isActive else { return }
        closeOnceWritten(context: context)
    }

    /// Closes once the channel has written everything before (an empty write completes
    /// after it), or failed; Timeout bounds the wait.
    private func closeOnceWritten(context: ChannelHandlerContext) {
        armTimer(.writing, context: context)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(ByteBuffer()))).whenComplete { _ in
            let (handler, context) = loopBound.value
            handler.machine.outputDrained()
            handler.close(context: context)
        }
    }

    /// Closes the connection; between requests, after the channel wrote the last answer
    /// if that was handed over without waiting (within Timeout).
    func close(context: ChannelHandlerContext) {
        let action = machine.closed()
        statusSlot.set(.closing)
        // While the last answer drains, the drain's end (or its Timeout) closes.
        if action == .draining { return }
        timer?.cancel()
        timer = nil
        timerFiresAt = nil
        guard context.channel.isActive else { return }
        if action == .afterDrain {
            closeOnceWritten(context: context)
        } else {
            context.close(promise: nil)
        }
    }
}
