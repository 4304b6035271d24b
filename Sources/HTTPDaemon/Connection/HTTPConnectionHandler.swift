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
///
/// Where the connection is (between requests, reading a head, filtering, answering; who
/// answers and how far; closing; the client's input; held reads, queued parts, the
/// deferred error, the armed deadline) is `machine`'s (`ConnectionStateMachine`): each
/// channel event asks it, then does what it says. This class and its extensions hold the
/// channel's side: the exchange's data, the scheduled timer, the writes.
final class HTTPConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    /// Responses leave as bytes: heads are encoded here (ResponseHeadContext), bodies are
    /// buffers or file regions, and isapid frames them itself.
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    // Internal rather than private only so that the extensions in the other files of this
    // handler (+Blocking, +Writing, …) reach them; nothing outside this handler touches them.
    let daemon: DaemonContext
    var state: ServingState
    /// This connection's scoreboard position (server-status); given back when it closes.
    let statusSlot = ServerFigures.shared.connections.open()

    /// The request being served.
    /// A class: it is read and changed several times per request, and copying its
    /// request context and response each time cost more than the rest of the handler.
    /// Its state (who answers, how far, whether the body came) is the machine's
    /// (`ConnectionStateMachine.Exchange`): this is its data.
    final class Exchange {
        var context: RequestContext
        var response: Response
        var keepAlive: Bool
        var bodyBytes: Int64 = 0
        /// Response body bytes the socket took so far (`%b`), counted from write promises.
        var bytesSent: Int64 = 0
        /// Every byte of the response the socket took, head included (mod_logio's `%O`).
        var wireBytesSent: Int64 = 0
        /// Set while a blocking handler (an extension) answers on the pool.
        var stream: BlockingExchange?
        /// Set while the reverse proxy answers from an upstream (on this loop).
        var proxy: ProxyRun?

        init(context: RequestContext, response: Response, keepAlive: Bool) {
            self.context = context
            self.response = response
            self.keepAlive = keepAlive
        }
    }

    /// The connection's state: every change of it goes through the machine's events.
    var machine = ConnectionStateMachine()
    /// The request being answered: set exactly while `machine.state` is `.exchange`
    /// (`startExchange`, `endExchange`).
    private(set) var exchange: Exchange?
    var requestsServed: Int { machine.requestsServed }
    var timer: Scheduled<Void>?
    /// When the scheduled task fires, and when the current deadline really is.
    var timerFiresAt: NIODeadline?
    var timerDeadline = NIODeadline.distantFuture
    /// While a request body is coming: when it must have arrived (mod_reqtimeout's
    /// `body=Timeout,MinRate=500`): Timeout after the head, plus a second for each
    /// `minimumBodyRate` bytes received. Without it a client trickling a byte just
    /// before each Timeout would hold the connection (and an extension's pool thread
    /// waiting in ReadClient) for as long as the body lasts.
    var bodyDeadline: NIODeadline?
    static let minimumBodyRate: Int64 = 500
    var remote = ("-", 0) { didSet { connectionTemplate = nil } }
    /// The balancer, once a PROXY header named the client (`remote` is then the client).
    var proxyProtocol = ProxyProtocolOutcome.none { didSet { connectionTemplate = nil } }
    var local = ("-", 0) { didSet { connectionTemplate = nil } }
    /// What TLS negotiated on this connection (see HTTPDaemon/TLS).
    var tls = TLSConnectionState.plain { didSet { connectionTemplate = nil } }
    /// `connectionInfo`, built for the first request: both ends and TLS are settled by
    /// then (the PROXY header and the handshake come first), so each request copies this
    /// and sets its count instead of building it again. A change of either end or of TLS
    /// drops it.
    private var connectionTemplate: ConnectionInfo?
    /// This handler's place in the pipeline, from `handlerAdded` to `handlerRemoved`: for
    /// `bytesArrived()`, which the observer in front of the decoder calls directly.
    private var channelContext: ChannelHandlerContext?
    /// This connection's ISAPI filter state when filters are configured: made with the connection,
    /// or at its first request after a reload that configured them.
    var filterSession: ConnectionFilters?

    typealias TimerKind = ConnectionStateMachine.TimerKind

    init(daemon: DaemonContext, filterSession: ConnectionFilters? = nil) {
        self.daemon = daemon
        self.state = daemon.currentState
        self.filterSession = filterSession
    }

    func handlerAdded(context: ChannelHandlerContext) {
        channelContext = context
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
        channelContext = nil
        exchange?.stream?.connectionClosed()
        exchange?.proxy?.exchange.cancel()
        logUnfinished()
        timer?.cancel()
        ServerFigures.shared.connections.close(statusSlot)
        // While the pool runs this connection's filters, the session closes after them.
        if let filterSession, !machine.isFiltering { state.pipeline.closeFilterSession(filterSession) }
    }

    /// `current` is the request being answered now (its answer not started yet).
    func startExchange(_ current: Exchange, body: ConnectionStateMachine.RequestBody) {
        exchange = current
        machine.exchangeStarted(body: body)
    }

    /// The current exchange is over: taken off the connection (to be logged).
    func endExchange() -> Exchange? {
        guard let current = exchange else { return nil }
        exchange = nil
        return current
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // After close (or while a close waits for the last answer to drain), the decoder
        // may still hand over requests already buffered: drop them.
        guard context.channel.isActive, !machine.isClosed else { return }
        let part = unwrapInboundIn(data)
        if machine.partReceived(part) == .handle { handle(part, context: context) }
    }

    func read(context: ChannelHandlerContext) {
        // A blocking handler reads its body at its own pace, the proxy as fast as the
        // upstream takes it: the socket follows them.
        let action = machine.readRequested {
            if let stream = exchange?.stream { return stream.wantsBody }
            return exchange?.proxy?.exchange.wantsClientBody ?? false
        }
        if action == .read { context.read() }
    }

    func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            begin(head, context: context)
        case .body(let buffer):
            guard let current = exchange, let progress = machine.exchange, progress.body == .coming else { return }
            current.bodyBytes += Int64(buffer.readableBytes)
            bodyDeadline = bodyDeadline.map { $0 + .nanoseconds(Int64(buffer.readableBytes) * 1_000_000_000 / Self.minimumBodyRate) }
            let tooLarge = current.bodyBytes > current.context.bodyLimit
            if let run = current.proxy, progress.output != .finished {
                return proxyClientBody(buffer, run, tooLarge: tooLarge, context: context)
            }
            if let stream = current.stream, progress.output != .finished {
                if tooLarge {
                    state.logger.error(
                        "Read body of more than the configured limit of \(current.context.bodyLimit) bytes",
                        metadata: current.context.logMetadata(id: "IS00130"))
                    stream.failBody()
                    machine.closeAfterAnswer()
                } else {
                    _ = stream.deliverBody(buffer)
                    // Body bytes for the extension are progress (a legitimately slow
                    // upload may take longer than Timeout); trickling is bounded by
                    // bodyDeadline.
                    if machine.timer == .handler { armTimer(.handler, context: context) }
                }
                return
            }
            if tooLarge {
                state.logger.error(
                    "Read body of more than the configured limit of \(current.context.bodyLimit) bytes",
                    metadata: current.context.logMetadata(id: "IS00130"))
                if progress.output != .notStarted {
                    close(context: context)
                } else {
                    var context2 = current.context
                    current.response = daemonAnswer(413, &context2)
                    current.keepAlive = false
                    // The rest of the body is not read: the answer is the connection's last.
                    _ = machine.bodyEnded()
                    write(context: context)
                }
                return
            }
            armTimer(.readingBody, context: context)
        case .end:
            guard let current = exchange else { return }
            let action = machine.bodyEnded()
            guard action != .ignore else { return }
            bodyDeadline = nil
            current.stream?.deliverEnd()
            if let run = current.proxy { proxyClientBodyEnded(run, context: context) }
            // Where the answer is now (the proxy's end may have changed it).
            switch machine.exchange?.output {
            case .notStarted: write(context: context)
            case .finished: finish(context: context)
            case .started, nil: break
            }
        }
    }

    func begin(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        disarmTimer()
        machine.headReceived()
        statusSlot.set(.sending)
        state = daemon.currentState
        // One allocation of the right size: field by field, a browser's dozen fields grew it five times.
        let headers = HeaderFields(head.headers.map { (name: $0.name, value: $0.value) })
        let contentLength = head.headers.first(name: "content-length").flatMap { Int64($0) }
        let chunked = head.headers.contains(name: "transfer-encoding")
        let request = IncomingRequest(
            method: head.method.rawValue, target: head.uri, versionMajor: head.version.major,
            versionMinor: head.version.minor, headers: headers,
            connection: filteredConnectionInfo(),
            receivedAtMicroseconds: WallClock.microseconds(),
            contentLength: contentLength, isChunked: chunked)

        if !tls.isPlain, let refused = refusedExchange(request) {
            proceed(head, request, refused, context: context)
            return
        }
        if request.connection.filterSession != nil && state.pipeline.filtersWantRequestPhases {
            processFiltered(head, request, context: context)
            return
        }
        // The pipeline works on the exchange's own context: no copy on the way.
        let current = Exchange(context: state.pipeline.makeContext(request), response: Self.unanswered, keepAlive: false)
        current.response = state.pipeline.process(&current.context)
        proceed(head, request, current, context: context)
    }

    /// The exchange answering mod_ssl's refusal of the request, if any. Out of line, and an
    /// `Exchange` (one reference): `begin` held `tlsRefusal`'s ~600-byte optional result
    /// for every request, and zeroed it on plain connections too.
    @inline(never)
    private func refusedExchange(_ request: IncomingRequest) -> Exchange? {
        guard let (refusedContext, refusal) = tlsRefusal(request) else { return nil }
        return Exchange(context: refusedContext, response: refusal, keepAlive: false)
    }

    /// The response of an exchange the pipeline has not answered yet.
    private static let unanswered = Response(status: 500)

    /// The rest of `begin`, once the pipeline has answered (on the loop, or on the pool
    /// for a request with ISAPI filters).
    /// `current` holds the pipeline's context and answer; its keep-alive is decided here.
    func proceed(_ head: HTTPRequestHead, _ request: IncomingRequest, _ current: Exchange,
                 context: ChannelHandlerContext) {
        let expectation = head.headers.first(name: "expect")
        if let expectation, expectation.lowercased() != "100-continue", head.version.minor >= 1 {
            current.response = daemonAnswer(417, &current.context)
        }
        let configuration = state.configuration
        var keepAlive = configuration.keepAlive && head.isKeepAlive && !daemon.isShuttingDown && !isLastRequest
            && !tls.isPlainHTTPOnTLSPort
        // Apache's count: MaxKeepAliveRequests answers kept alive, then one that closes.
        if configuration.maxKeepAliveRequests > 0 && requestsServed >= configuration.maxKeepAliveRequests {
            keepAlive = false
        }
        // 100 Continue only to HTTP/1.1 clients that asked and have a body to send.
        let wantsContinue = expectation?.lowercased() == "100-continue" && head.version.minor >= 1 && request.hasBody
        current.keepAlive = keepAlive
        bodyDeadline = request.hasBody
            ? context.eventLoop.now + .seconds(Int64(configuration.timeoutSeconds)) : nil
        startExchange(current, body: .coming)
        // The response is read where it is: a copy costs its reference counts twice.
        if case .handOff(let handler) = current.response.body {
            if wantsContinue { sendContinue(context: context) }
            startBlocking(handler, current, context: context)
            return
        }
        if case .proxy(let plan) = current.response.body {
            if wantsContinue { sendContinue(context: context) }
            startProxy(plan, current, context: context)
            return
        }
        if request.hasBody {
            if (200..<400).contains(current.response.status) {
                // Read (and discard) the body before answering, so the next request starts clean.
                if wantsContinue { sendContinue(context: context) }
                armTimer(.readingBody, context: context)
                return
            }
            // Answer the error now; the unread body makes the connection unusable.
            current.keepAlive = false
        }
        write(context: context)
    }

    /// No more requests will come after the ones already read.
    var isLastRequest: Bool { machine.isLastRequest }

    /// The connection as the pipeline sees it, with the filter session when filters are configured.
    private func filteredConnectionInfo() -> ConnectionInfo {
        var info = connectionTemplate ?? connectionInfo(keepAliveCount: 0)
        if connectionTemplate == nil { connectionTemplate = info }
        info.keepAliveCount = requestsServed
        if filterSession == nil { filterSession = state.pipeline.makeFilterSession(secure: tls.isEstablished) }
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
        // A later request is malformed: the ones before it are answered first.
        if machine.malformed(requestError) == .answerNow { badRequest(requestError, context: context) }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // Progress on a slow reader: the write timeout counts from the last progress.
        if machine.timer == .writing { armTimer(.writing, context: context) }
        if context.channel.isWritable { exchange?.proxy?.exchange.clientWritable() }
        context.fireChannelWritabilityChanged()
    }

    /// Raw bytes reached the connection (`RawReadObserver`, before the decoder sees them).
    func bytesArrived() {
        // Bytes of a new request head: from now on the whole head must arrive within Timeout.
        guard let context = channelContext, machine.bytesArrived() else { return }
        armTimer(.readingHead, context: context)
        statusSlot.set(.reading)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
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
            let idle = machine.shutdownRequested()
            statusSlot.set(.gracefullyFinishing)
            exchange?.stream?.closeAfterResponse()
            if idle { close(context: context) }
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// Sent to every connection when the daemon begins a graceful stop.
struct ShutdownRequested: Sendable {}

