import NIOCore
import RequestPipeline

/// Requests a rewrite rule forwards (RewriteProxy, `[P]`): the pipeline's `ProxyPlan` is
/// executed on this connection's event loop by a `ProxyExchange` (ReverseProxy/), never
/// on the extension pool. This side writes what the upstream answers to the client,
/// framed as this connection frames it, and counts it for the access log.
extension HTTPConnectionHandler {
    /// Starts forwarding `current`'s request as `plan` says.
    func startProxy(_ plan: ProxyPlan, _ current: Exchange, context: ChannelHandlerContext) {
        let run = ProxyRun(handler: self, context: context)
        let requestContext = current.context
        run.exchange = ProxyExchange(
            plan: plan, pool: state.upstreams.pool(for: context.eventLoop), client: run, logger: state.logger,
            metadata: { requestContext.logMetadata(id: $0) })
        current.proxy = run
        machine.answered(by: .proxy)
        // The upstream's deadlines (connect timeout, ProxyTimeout) bound the wait for it;
        // the client's body, while it comes, has the connection's.
        if current.context.request.hasBody && machine.exchange?.body == .coming {
            armTimer(.readingBody, context: context)
        } else {
            disarmTimer()
        }
        run.exchange.start()
    }

    /// A piece of the client's body for the upstream; a body over LimitRequestBody ends
    /// the exchange (413 when nothing was answered yet).
    func proxyClientBody(_ buffer: ByteBuffer, _ run: ProxyRun, tooLarge: Bool, context: ChannelHandlerContext) {
        guard let current = exchange else { return }
        if tooLarge {
            state.logger.error(
                "Read body of more than the configured limit of \(current.context.bodyLimit) bytes",
                metadata: current.context.logMetadata(id: "IS00130"))
            takeOverFromProxy(status: 413, context: context)
            return
        }
        run.exchange.clientBody(buffer)
        if run.writesInFlight == 0 { armTimer(.readingBody, context: context) }
    }

    /// The client's body is complete: the wait is the upstream's now.
    func proxyClientBodyEnded(_ run: ProxyRun, context: ChannelHandlerContext) {
        run.exchange.clientBodyEnd()
        if run.writesInFlight == 0 && machine.timer == .readingBody { disarmTimer() }
    }

    /// The connection answers in the exchange's place (a malformed or too large body):
    /// `status` when nothing went out yet, else the connection closes after what did.
    func takeOverFromProxy(status: Int, context: ChannelHandlerContext) {
        guard let current = exchange, let run = current.proxy else { return }
        let headSent = run.exchange.headSent
        run.exchange.cancel()
        current.keepAlive = false
        if headSent {
            closeAfterQueuedWrites(context: context)
        } else {
            current.proxy = nil
            machine.answered(by: .loop)
            respondAndClose(status, context: context)
        }
    }
}

/// The client connection as a `ProxyExchange` sees it: writes the upstream's head (chunked
/// to an HTTP/1.1 client when the upstream's body has no length; to an HTTP/1.0 one the
/// connection then closes after it) and body, and ends or fails the exchange.
final class ProxyRun: ProxyClientSide {
    private weak var handler: HTTPConnectionHandler?
    private let context: ChannelHandlerContext
    var exchange: ProxyExchange!
    /// Writes to the client not completed yet.
    private(set) var writesInFlight = 0
    private var chunked = false

    init(handler: HTTPConnectionHandler, context: ChannelHandlerContext) {
        self.handler = handler
        self.context = context
    }

    /// The handler's current exchange, while it is this run's.
    private var current: HTTPConnectionHandler.Exchange? {
        guard let handler, let current = handler.exchange, current.proxy === self else { return nil }
        return current
    }

    var isClientWritable: Bool { context.channel.isWritable }

    func proxyHead(status: Int, reason: String?, headers: HeaderFields, framing: ResponseBodyFraming) {
        guard let handler, let current else { return }
        var headers = headers
        let hasBody = current.context.method != "HEAD" && status >= 200 && status != 204 && status != 304
        var keepAlive = current.keepAlive && !handler.machine.isClosing && !handler.isLastRequest
        switch framing {
        case .chunked where hasBody, .untilClose where hasBody:
            if current.context.request.isBeforeHTTP11 {
                keepAlive = false  // the body ends with the connection
            } else {
                headers.add("Transfer-Encoding", "chunked")
                chunked = true
            }
        case .none, .length, .chunked, .untilClose:
            break
        }
        current.keepAlive = keepAlive
        current.response = Response(status: status, headers: headers)
        var buffer = context.channel.allocator.buffer(capacity: 512)
        handler.headContext(current).encode(
            status: status, reason: reason, headers: headers, contentLength: nil, keepAlive: keepAlive, into: &buffer)
        write([buffer], bodyBytes: 0, last: false)
    }

    func proxyBody(_ bytes: ByteBuffer) {
        guard current != nil, bytes.readableBytes > 0 else { return }
        if chunked {
            var size = context.channel.allocator.buffer(capacity: 18)
            size.writeString(String(bytes.readableBytes, radix: 16))
            size.writeStaticString("\r\n")
            write([size, bytes, Self.lineEnd], bodyBytes: bytes.readableBytes, last: false)
        } else {
            write([bytes], bodyBytes: bytes.readableBytes, last: false)
        }
    }

    func proxyEnd() {
        guard current != nil else { return }
        write(chunked ? [Self.lastChunk] : [], bodyBytes: 0, last: true)
    }

    func proxyFailedBeforeHead(status: Int) {
        guard let handler, let current else { return }
        let answer = handler.state.pipeline.errorAnswerAfterHandler(status, current.context)
        current.proxy = nil
        handler.machine.answered(by: .loop)
        // The rest of the client's body was not read: the connection cannot go on after it.
        if handler.machine.exchange?.body != .ended { current.keepAlive = false }
        current.context = answer.context
        current.response = answer.response
        switch answer.response.body {
        case .handOff(let blocking):
            handler.startBlocking(blocking, current, context: context)
        case .proxy(let plan):
            handler.startProxy(plan, current, context: context)
        case .empty, .bytes, .file:
            handler.write(context: context)
        }
    }

    func proxyCutShort() {
        guard let handler, let current else { return }
        current.keepAlive = false
        handler.closeAfterQueuedWrites(context: context)
    }

    func proxyWantsClientBody() {
        guard let handler, current != nil, handler.machine.takeHeldRead() else { return }
        context.read()
    }

    /// Writes `parts` with one flush; counts them for the access log when the socket took
    /// them. `last`: the response is complete once they are written.
    private func write(_ parts: [ByteBuffer], bodyBytes: Int, last: Bool) {
        guard let handler else { return }
        writesInFlight += 1
        handler.armTimer(.writing, context: context)
        let promise = context.eventLoop.makePromise(of: Void.self)
        let wireBytes = parts.reduce(0) { $0 + $1.readableBytes }
        for part in parts.dropLast() { context.write(handler.wrapOutboundOut(.byteBuffer(part)), promise: nil) }
        context.writeAndFlush(handler.wrapOutboundOut(.byteBuffer(parts.last ?? ByteBuffer())), promise: promise)
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        promise.futureResult.whenComplete { result in
            loopBound.value.written(result, bodyBytes: bodyBytes, wireBytes: wireBytes, last: last)
        }
    }

    private func written(_ result: Result<Void, Error>, bodyBytes: Int, wireBytes: Int, last: Bool) {
        writesInFlight -= 1
        guard let handler, let current else { return }
        guard case .success = result else {
            exchange.cancel()
            handler.close(context: context)
            return
        }
        current.bytesSent += Int64(bodyBytes)
        current.wireBytesSent += Int64(wireBytes)
        if last {
            handler.proxyCompleted(current, context: context)
        } else if writesInFlight == 0 {
            // Waiting for the upstream (its deadlines apply), or for the client's body.
            if handler.machine.exchange?.body == .ended {
                handler.disarmTimer()
            } else {
                handler.armTimer(.readingBody, context: context)
            }
            exchange.clientWritable()
        }
    }

    private static let lineEnd = ByteBuffer(string: "\r\n")
    private static let lastChunk = ByteBuffer(string: "0\r\n\r\n")
}

extension HTTPConnectionHandler {
    /// The proxied response is completely written: as a blocking handler's, the rest of
    /// the client's body (if the upstream answered before it all came) is read and dropped.
    func proxyCompleted(_ current: Exchange, context: ChannelHandlerContext) {
        disarmTimer()
        machine.writingFinished()
        if machine.exchange?.body == .ended || !current.keepAlive {
            finish(context: context)
        } else {
            armTimer(.readingBody, context: context)
            if machine.takeHeldRead() { context.read() }
        }
    }
}
