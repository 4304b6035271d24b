import Foundation
import NIOCore
import NIOHTTP1
import Observability
import RequestPipeline
import ServerConfig

/// One client connection: takes decoded request parts, runs the pipeline, writes the
/// answer, keeps the connection alive or closes it, and enforces Timeout and
/// KeepAliveTimeout. Pipelined requests wait in order until the answer before them is
/// written; reading from the socket pauses meanwhile.
final class HTTPConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    /// Responses leave as bytes: heads are encoded here (ResponseHeadContext), bodies are
    /// buffers or file regions, and isapid frames them itself.
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    // State is internal rather than private only so that HTTPConnectionHandler+Blocking.swift
    // can reach it; nothing outside this handler touches it.
    let daemon: DaemonContext
    var state: ServingState
    /// This connection's scoreboard position (server-status); given back when it closes.
    let statusSlot = ServerFigures.shared.connections.open()

    /// The request being served.
    /// A class: it is read and changed several times per request, and copying its
    /// request context and response each time cost more than the rest of the handler.
    final class Exchange {
        var context: RequestContext
        var response: Response
        var keepAlive: Bool
        var startedWriting = false
        var finishedWriting = false
        var receivedEnd: Bool
        var bodyBytes: Int64 = 0
        /// Response body bytes the socket took so far (`%b`), counted from write promises.
        var bytesSent: Int64 = 0
        /// Every byte of the response the socket took, head included (mod_logio's `%O`).
        var wireBytesSent: Int64 = 0
        /// Set while a blocking handler (an extension) answers on the pool.
        var stream: BlockingExchange?
        /// Set while the reverse proxy answers from an upstream (on this loop).
        var proxy: ProxyRun?

        init(context: RequestContext, response: Response, keepAlive: Bool, receivedEnd: Bool = false) {
            self.context = context
            self.response = response
            self.keepAlive = keepAlive
            self.receivedEnd = receivedEnd
        }
    }

    var exchange: Exchange?
    var queued = CircularBuffer<HTTPServerRequestPart>()
    var readPending = false
    var requestsServed = 0
    var timer: Scheduled<Void>?
    /// When the scheduled task fires, and when the current deadline really is.
    var timerFiresAt: NIODeadline?
    var timerDeadline = NIODeadline.distantFuture
    var timerKind: TimerKind = .none
    /// While a request body is coming: when it must have arrived (mod_reqtimeout's
    /// `body=Timeout,MinRate=500`): Timeout after the head, plus a second for each
    /// `minimumBodyRate` bytes received. Without it a client trickling a byte just
    /// before each Timeout would hold the connection (and an extension's pool thread
    /// waiting in ReadClient) for as long as the body lasts.
    var bodyDeadline: NIODeadline?
    static let minimumBodyRate: Int64 = 500
    var closing = false
    /// Whether the client may still send: a client that shut down its sending side after
    /// its requests (`shutdown(SHUT_WR)`, `nc -N`) still gets every answer, then the close.
    var input = InputState.open
    /// A malformed request behind the one being answered (pipelined): its 400 goes out in
    /// turn, once the requests before it are answered.
    var deferredError: HTTPRequestError?
    var remote = ("-", 0)
    /// The balancer, once a PROXY header named the client (`remote` is then the client).
    var proxyProtocol = ProxyProtocolOutcome.none
    var local = ("-", 0)
    /// What TLS negotiated on this connection (see HTTPDaemon/TLS).
    var tls = TLSConnectionState.plain
    /// This connection's ISAPI filter state when filters are configured: made with the connection,
    /// or at its first request after a reload that configured them.
    var filterSession: ConnectionFilters?
    /// Set while the request's phases run on the pool (its ISAPI filters may block).
    var filtering = false

    enum TimerKind { case none, idle, readingHead, readingBody, writing, handler }
    enum InputState { case open, ended }

    init(daemon: DaemonContext, filterSession: ConnectionFilters? = nil) {
        self.daemon = daemon
        self.state = daemon.currentState
        self.filterSession = filterSession
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // End of input is then an event (ChannelEvent.inputClosed) rather than a close: the
        // requests read before it are still answered (the socket stays writable).
        try? context.channel.syncOptions?.setOption(.allowRemoteHalfClosure, value: true)
        if let address = context.channel.remoteAddress { remote = address.textAndPort }
        if let address = context.channel.localAddress { local = address.textAndPort }
        if context.channel.isActive { armTimer(.idle, context: context, firstRequest: true) }
    }

    func channelActive(context: ChannelHandlerContext) {
        armTimer(.idle, context: context, firstRequest: true)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        exchange?.stream?.connectionClosed()
        exchange?.proxy?.exchange.cancel()
        logUnfinished()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        exchange?.stream?.connectionClosed()
        exchange?.proxy?.exchange.cancel()
        logUnfinished()
        timer?.cancel()
        ServerFigures.shared.connections.close(statusSlot)
        // While the pool runs this connection's filters, the session closes after them.
        if let filterSession, !filtering { state.pipeline.closeFilterSession(filterSession) }
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // After close, the decoder may still hand over requests already buffered: drop them.
        guard context.channel.isActive else { return }
        let part = unwrapInboundIn(data)
        // A pipelined request waits until the one before it is answered; the body and
        // end of the current request are handled at once (once its filters have run).
        if filtering || !queued.isEmpty || (exchange != nil && part.isHead) {
            queued.append(part)
            return
        }
        handle(part, context: context)
    }

    func read(context: ChannelHandlerContext) {
        if filtering {
            readPending = true
            return
        }
        // A blocking handler reads its body at its own pace: the socket follows it.
        if let current = exchange, let stream = current.stream, !current.receivedEnd, !current.finishedWriting {
            if stream.wantsBody {
                context.read()
            } else {
                readPending = true
            }
            return
        }
        // The proxy reads the client's body as fast as the upstream takes it.
        if let current = exchange, let run = current.proxy, !current.receivedEnd, !current.finishedWriting {
            if run.exchange.wantsClientBody {
                context.read()
            } else {
                readPending = true
            }
            return
        }
        // While an answer is written, one read ahead (until a part is queued): the next
        // request of a kept-alive client is taken as it comes, and the socket keeps its
        // read interest (two epoll_ctl a request fewer); more waits for the answer.
        if !queued.isEmpty || (isBusyWriting && exchange?.receivedEnd != true) {
            readPending = true
            return
        }
        context.read()
    }

    var isBusyWriting: Bool {
        guard let exchange else { return false }
        return exchange.startedWriting && !exchange.finishedWriting
    }

    func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            begin(head, context: context)
        case .body(let buffer):
            guard let current = exchange, !current.receivedEnd else { return }
            current.bodyBytes += Int64(buffer.readableBytes)
            bodyDeadline = bodyDeadline.map { $0 + .nanoseconds(Int64(buffer.readableBytes) * 1_000_000_000 / Self.minimumBodyRate) }
            let tooLarge = current.bodyBytes > current.context.bodyLimit
            exchange = current
            if let run = current.proxy, !current.finishedWriting {
                return proxyClientBody(buffer, run, tooLarge: tooLarge, context: context)
            }
            if let stream = current.stream, !current.finishedWriting {
                if tooLarge {
                    state.logger.error(
                        "Read body of more than the configured limit of \(current.context.bodyLimit) bytes",
                        metadata: current.context.logMetadata(id: "IS00130"))
                    stream.failBody()
                    closing = true
                } else {
                    _ = stream.deliverBody(buffer)
                    // Body bytes for the extension are progress (a legitimately slow
                    // upload may take longer than Timeout); trickling is bounded by
                    // bodyDeadline.
                    if timerKind == .handler { armTimer(.handler, context: context) }
                }
                return
            }
            if tooLarge {
                state.logger.error(
                    "Read body of more than the configured limit of \(current.context.bodyLimit) bytes",
                    metadata: current.context.logMetadata(id: "IS00130"))
                if current.startedWriting {
                    close(context: context)
                } else {
                    var context2 = current.context
                    exchange?.response = daemonAnswer(413, &context2)
                    exchange?.keepAlive = false
                    exchange?.receivedEnd = true
                    write(context: context)
                }
                return
            }
            armTimer(.readingBody, context: context)
        case .end:
            guard exchange != nil else { return }
            if exchange!.receivedEnd { return }
            exchange!.receivedEnd = true
            bodyDeadline = nil
            exchange!.stream?.deliverEnd()
            if let run = exchange!.proxy { proxyClientBodyEnded(run, context: context) }
            if !exchange!.startedWriting {
                write(context: context)
            } else if exchange!.finishedWriting {
                finish(context: context)
            }
        }
    }

    func begin(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        disarmTimer()
        statusSlot.set(.sending)
        state = daemon.currentState
        var headers = HeaderFields()
        for (name, value) in head.headers { headers.add(name, value) }
        let contentLength = head.headers.first(name: "content-length").flatMap { Int64($0) }
        let chunked = head.headers.contains(name: "transfer-encoding")
        let request = IncomingRequest(
            method: head.method.rawValue, target: head.uri, versionMajor: head.version.major,
            versionMinor: head.version.minor, headers: headers,
            connection: filteredConnectionInfo(),
            receivedAtMicroseconds: WallClock.microseconds(),
            contentLength: contentLength, isChunked: chunked)

        let refusal = tls.isPlain ? nil : tlsRefusal(request)
        if refusal == nil && request.connection.filterSession != nil && state.pipeline.filtersWantRequestPhases {
            processFiltered(head, request, context: context)
            return
        }
        let (requestContext, response) = refusal ?? state.pipeline.process(request)
        proceed(head, request, requestContext, response, context: context)
    }

    /// The rest of `begin`, once the pipeline has answered (on the loop, or on the pool
    /// for a request with ISAPI filters).
    /// Takes the context as its own (`consuming`): copying a RequestContext costs ~2k instructions.
    func proceed(_ head: HTTPRequestHead, _ request: IncomingRequest, _ requestContext: consuming RequestContext,
                 _ response: Response, context: ChannelHandlerContext) {
        var response = response
        let expectation = head.headers.first(name: "expect")
        if let expectation, expectation.lowercased() != "100-continue", head.version.minor >= 1 {
            response = daemonAnswer(417, &requestContext)
        }
        let configuration = state.configuration
        var keepAlive = configuration.keepAlive && head.isKeepAlive && !daemon.isShuttingDown && !isLastRequest
            && tls != .plainHTTPOnTLSPort
        if configuration.maxKeepAliveRequests > 0 && requestsServed + 1 >= configuration.maxKeepAliveRequests {
            keepAlive = false
        }
        // 100 Continue only to HTTP/1.1 clients that asked and have a body to send.
        let wantsContinue = expectation?.lowercased() == "100-continue" && head.version.minor >= 1 && request.hasBody
        let current = Exchange(context: consume requestContext, response: response, keepAlive: keepAlive)
        bodyDeadline = request.hasBody
            ? context.eventLoop.now + .seconds(Int64(configuration.timeoutSeconds)) : nil
        if case .handOff(let handler) = response.body {
            if wantsContinue { sendContinue(context: context) }
            startBlocking(handler, current, context: context)
            return
        }
        if case .proxy(let plan) = response.body {
            if wantsContinue { sendContinue(context: context) }
            startProxy(plan, current, context: context)
            return
        }
        if request.hasBody {
            if (200..<400).contains(response.status) {
                // Read (and discard) the body before answering, so the next request starts clean.
                if wantsContinue { sendContinue(context: context) }
                exchange = current
                armTimer(.readingBody, context: context)
                return
            }
            // Answer the error now; the unread body makes the connection unusable.
            current.keepAlive = false
        }
        exchange = current
        write(context: context)
    }

    /// The connection as the pipeline sees it, with the filter session when filters are configured.
    private func filteredConnectionInfo() -> ConnectionInfo {
        var info = connectionInfo(keepAliveCount: requestsServed)
        if filterSession == nil { filterSession = state.pipeline.makeFilterSession(secure: tls.session != nil) }
        info.filterSession = filterSession
        return info
    }

    static let continueHead = ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\n")

    func sendContinue(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(Self.continueHead)), promise: nil)
    }

    // MARK: Errors, timeouts, closing

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // An incomplete request seen at EOF, after the connection closed: nobody to answer.
        guard context.channel.isActive else { return }
        guard let requestError = error as? HTTPRequestError else {
            // More bytes after a malformed request: that request is being dealt with.
            if case ByteToMessageDecoderError.dataReceivedInErrorState = error { return }
            close(context: context)
            return
        }
        let client = "\(remote.0):\(remote.1)"
        state.logger.info("Bad request: \(requestError.reason)", metadata: ["client": "\(client)", "id": "IS00566"])
        if !queued.isEmpty || exchange?.receivedEnd == true {
            // A later request is malformed: the ones before it are answered first.
            deferredError = requestError
            return
        }
        badRequest(requestError, context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // Progress on a slow reader: the write timeout counts from the last progress.
        if timerKind == .writing { armTimer(.writing, context: context) }
        if context.channel.isWritable { exchange?.proxy?.exchange.clientWritable() }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // BytesArrived first: it comes with every request.
        if event is BytesArrived {
            // Bytes of a new request head: from now on the whole head must arrive within Timeout.
            if exchange == nil && timerKind == .idle {
                armTimer(.readingHead, context: context)
                statusSlot.set(.reading)
            }
            return
        }
        if takeTLSEvent(event) { return }
        if let event = event as? ProxyProtocolClient {
            proxyProtocol = .read(peer: event.source == nil ? nil : remote.0)
            if let source = event.source { remote = (source.address, source.port) }
            return
        }
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputEnded(context: context)
            return
        }
        if event is ShutdownRequested {
            // Kept-alive connections between requests close now; busy ones (a head partly
            // read counts) after their answer, whose head says so when it has not gone out
            // yet. A connection that has not sent its first request yet is not idle: its
            // client connected to send one, which may be on the way (closing it would drop
            // that request, as a stop or a child replaced for a Listen change did); it gets
            // that one answer, with `Connection: close`, as Apache's workers read the
            // connections they accepted. Its first-request Timeout and GracefulShutdownTimeout bound the wait.
            closing = true
            statusSlot.set(.gracefullyFinishing)
            exchange?.stream?.closeAfterResponse()
            if exchange == nil && !filtering && timerKind != .readingHead && requestsServed > 0 { close(context: context) }
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// Sent to every connection when the daemon begins a graceful stop.
struct ShutdownRequested: Sendable {}

extension HTTPServerRequestPart {
    var isHead: Bool {
        if case .head = self { return true }
        return false
    }
}
