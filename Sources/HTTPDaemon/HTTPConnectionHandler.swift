import Foundation
import NIOCore
import NIOHTTP1
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
        var bytesSent: Int64 = 0
        /// Set while a blocking handler (an extension) answers on the pool.
        var stream: BlockingExchange?

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
    var remote = ("-", 0)
    var local = ("-", 0)

    enum TimerKind { case none, idle, readingHead, readingBody, writing, handler }

    init(daemon: DaemonContext) {
        self.daemon = daemon
        self.state = daemon.currentState
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if let address = context.channel.remoteAddress { remote = (address.ipAddress ?? "-", address.port ?? 0) }
        if let address = context.channel.localAddress { local = (address.ipAddress ?? "-", address.port ?? 0) }
        if context.channel.isActive { armTimer(.idle, context: context, firstRequest: true) }
    }

    func channelActive(context: ChannelHandlerContext) {
        armTimer(.idle, context: context, firstRequest: true)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        exchange?.stream?.connectionClosed()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        exchange?.stream?.connectionClosed()
        timer?.cancel()
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // After close, the decoder may still hand over requests already buffered: drop them.
        guard context.channel.isActive else { return }
        let part = unwrapInboundIn(data)
        // A pipelined request waits until the one before it is answered; the body and
        // end of the current request are handled at once.
        if !queued.isEmpty || (exchange != nil && part.isHead) {
            queued.append(part)
            return
        }
        handle(part, context: context)
    }

    func read(context: ChannelHandlerContext) {
        // A blocking handler reads its body at its own pace: the socket follows it.
        if let current = exchange, let stream = current.stream, !current.receivedEnd, !current.finishedWriting {
            if stream.wantsBody {
                context.read()
            } else {
                readPending = true
            }
            return
        }
        if isBusyWriting || !queued.isEmpty {
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
                    exchange?.response = state.pipeline.errorResponse(413, &context2)
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
            if !exchange!.startedWriting {
                write(context: context)
            } else if exchange!.finishedWriting {
                finish(context: context)
            }
        }
    }

    func begin(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        disarmTimer()
        state = daemon.currentState
        var headers = HeaderFields()
        for (name, value) in head.headers { headers.add(name, value) }
        let contentLength = head.headers.first(name: "content-length").flatMap { Int64($0) }
        let chunked = head.headers.contains(name: "transfer-encoding")
        var now = timeval()
        gettimeofday(&now, nil)
        let request = IncomingRequest(
            method: head.method.rawValue, target: head.uri, versionMajor: head.version.major,
            versionMinor: head.version.minor, headers: headers,
            connection: ConnectionInfo(remoteAddress: remote.0, remotePort: remote.1, localAddress: local.0,
                                       localPort: local.1, keepAliveCount: requestsServed),
            receivedAtMicroseconds: Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_usec),
            contentLength: contentLength, isChunked: chunked)

        var (requestContext, response) = state.pipeline.process(request)
        let expectation = head.headers.first(name: "expect")
        if let expectation, expectation.lowercased() != "100-continue", head.version.minor >= 1 {
            response = state.pipeline.errorResponse(417, &requestContext)
        }
        let configuration = state.configuration
        var keepAlive = configuration.keepAlive && head.isKeepAlive && !daemon.isShuttingDown
        if configuration.maxKeepAliveRequests > 0 && requestsServed + 1 >= configuration.maxKeepAliveRequests {
            keepAlive = false
        }
        // 100 Continue only to HTTP/1.1 clients that asked and have a body to send.
        let wantsContinue = expectation?.lowercased() == "100-continue" && head.version.minor >= 1 && request.hasBody
        let current = Exchange(context: requestContext, response: response, keepAlive: keepAlive)
        bodyDeadline = request.hasBody
            ? context.eventLoop.now + .seconds(Int64(configuration.timeoutSeconds)) : nil
        if case .handOff(let handler) = response.body {
            if wantsContinue { sendContinue(context: context) }
            startBlocking(handler, current, context: context)
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

    static let continueHead = ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\n")

    func sendContinue(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(Self.continueHead)), promise: nil)
    }

    // MARK: Writing

    func write(context: ChannelHandlerContext) {
        guard let current = exchange, !current.startedWriting else { return }
        current.startedWriting = true
        // A stop began while this request was read: its answer is the connection's last.
        if closing { current.keepAlive = false }
        exchange = current
        let response = current.response
        let isHead = current.context.method == "HEAD" || current.context.request.method == "HEAD"
        let bodyAllowed = response.status >= 200 && response.status != 204 && response.status != 304
        // The head, and the body when it is in memory (or a small file), in one buffer:
        // one channel write, one writev.
        var buffer = context.channel.allocator.buffer(capacity: 512)
        headContext(current).encode(
            status: response.status, reason: nil, headers: response.headers,
            contentLength: bodyAllowed ? response.bodyLength : nil, keepAlive: current.keepAlive, into: &buffer)

        var fileParts: [IOData] = []
        var fileToClose: NIOFileHandle?
        if bodyAllowed && !isHead {
            switch response.body {
            case .empty, .handOff: break
            case .bytes(let bytes):
                buffer.writeBytes(bytes)
            case .file(let path, let segments):
                do {
                    let body = try FileBody(path: path, segments: segments, appendingTo: &buffer)
                    fileParts = body.parts
                    fileToClose = body.handle
                } catch {
                    // The file vanished between the stat and the open: answer as Apache would.
                    var requestContext = current.context
                    state.logger.error("could not open \(path): \(error)", metadata: requestContext.logMetadata(id: "IS00132"))
                    exchange?.response = state.pipeline.errorResponse(403, &requestContext)
                    exchange?.startedWriting = false
                    write(context: context)
                    return
                }
            }
        }
        exchange?.bytesSent = isHead || !bodyAllowed ? 0 : response.bodyLength
        armTimer(.writing, context: context)
        let promise = context.eventLoop.makePromise(of: Void.self)
        let parts = [IOData.byteBuffer(buffer)] + fileParts
        for part in parts.dropLast() { context.write(wrapOutboundOut(part), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(parts[parts.count - 1]), promise: promise)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let openedFile = fileToClose
        promise.futureResult.whenComplete { result in
            try? openedFile?.close()
            let (handler, context) = loopBound.value
            switch result {
            case .success: handler.writeCompleted(context: context)
            case .failure: handler.close(context: context)
            }
        }
    }

    func headContext(_ exchange: Exchange) -> ResponseHeadContext {
        let configuration = state.configuration
        return ResponseHeadContext(
            daemon: daemon, serverHeader: state.serverHeader,
            keepAliveTimeout: Int(configuration.keepAliveTimeoutSeconds.rounded(.up)),
            remainingRequests: configuration.maxKeepAliveRequests > 0
                ? configuration.maxKeepAliveRequests - requestsServed - 1 : nil,
            isHTTP10: exchange.context.request.versionMinor == 0)
    }

    func writeCompleted(context: ChannelHandlerContext) {
        guard exchange != nil else { return }
        exchange!.finishedWriting = true
        if exchange!.receivedEnd || !exchange!.keepAlive {
            finish(context: context)
        } else {
            armTimer(.readingBody, context: context)
        }
    }

    /// The request is over: log it, then close or go on with the next one.
    func finish(context: ChannelHandlerContext) {
        guard let current = exchange else { return }
        exchange = nil
        requestsServed += 1
        if let stream = current.stream {
            // What a blocking handler asked the access log to show (HSE_APPEND_LOG_PARAMETER).
            current.context.notes.merge(stream.notes) { _, new in new }
            if !stream.queryAppendix.isEmpty {
                current.context.originalQuery = (current.context.originalQuery ?? "") + stream.queryAppendix
            }
        }
        logAccess(current)
        guard current.keepAlive, !closing else {
            close(context: context)
            return
        }
        armTimer(.idle, context: context)
        while let part = queued.first, exchange == nil || !part.isHead {
            queued.removeFirst()
            handle(part, context: context)
            if closing { return }
        }
        if readPending && !isBusyWriting && queued.isEmpty {
            readPending = false
            context.read()
        }
    }

    func logAccess(_ exchange: Exchange) {
        guard let targets = state.accessLogs[exchange.context.host.id], !targets.isEmpty else { return }
        let record = AccessLogRecordBuilder.record(
            exchange.context, response: exchange.response, bytesSent: exchange.bytesSent,
            keepAlive: exchange.keepAlive, serverPort: local.1)
        for target in targets {
            if let condition = target.condition, (exchange.context.environment[condition.variable] != nil) == condition.negated {
                continue
            }
            target.writer.write(target.format.format(record))
        }
    }

    // MARK: Errors, timeouts, closing

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // An incomplete request seen at EOF, after the connection closed: nobody to answer.
        guard context.channel.isActive else { return }
        guard let requestError = error as? HTTPRequestError else {
            close(context: context)
            return
        }
        let client = "\(remote.0):\(remote.1)"
        state.logger.info("Bad request: \(requestError.reason)", metadata: ["client": "\(client)", "id": "IS00566"])
        if exchange == nil || exchange?.startedWriting == false {
            respondAndClose(requestError.status, context: context)
        } else {
            closing = true
        }
    }

    /// Answers a request that never reached the pipeline (bad syntax, timeout) and closes.
    func respondAndClose(_ status: Int, context: ChannelHandlerContext) {
        closing = true
        queued.removeAll()
        let request = IncomingRequest(
            method: "-", target: "-", connection: ConnectionInfo(remoteAddress: remote.0, remotePort: remote.1,
                                                                  localAddress: local.0, localPort: local.1))
        var requestContext = RequestContext(request: request, host: state.configuration.mainHost)
        let response = state.pipeline.errorResponse(status, &requestContext)
        exchange = Exchange(context: requestContext, response: response, keepAlive: false, receivedEnd: true)
        write(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // Progress on a slow reader: the write timeout counts from the last progress.
        if timerKind == .writing { armTimer(.writing, context: context) }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is BytesArrived {
            // Bytes of a new request head: from now on the whole head must arrive within Timeout.
            if exchange == nil && timerKind == .idle { armTimer(.readingHead, context: context) }
            return
        }
        if event is ShutdownRequested {
            // Idle connections close now; busy ones (a head partly read counts) after their answer.
            closing = true
            if exchange == nil && timerKind != .readingHead { close(context: context) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Starts the deadline of `kind`. One scheduled task serves the connection: moving a
    /// deadline later only records it (the task, when it fires early, looks again), so a
    /// keep-alive request costs no timer scheduling and cancelling.
    func armTimer(_ kind: TimerKind, context: ChannelHandlerContext, firstRequest: Bool = false) {
        timerKind = kind
        let configuration = state.configuration
        let seconds = kind == .idle && !firstRequest ? configuration.keepAliveTimeoutSeconds : Double(configuration.timeoutSeconds)
        timerDeadline = context.eventLoop.now + .milliseconds(Int64(seconds * 1000))
        let next = nextDeadline
        if let firesAt = timerFiresAt, firesAt <= next { return }
        timer?.cancel()
        scheduleTimer(at: next, context: context)
    }

    /// The deadline of the current kind, or the body's when that comes first.
    private var nextDeadline: NIODeadline {
        guard let bodyDeadline, timerKind == .readingBody || timerKind == .handler else { return timerDeadline }
        return min(timerDeadline, bodyDeadline)
    }

    /// Whether the client is late with the request body. A blocking handler that holds
    /// reading back (its buffer is full) is not the client's fault: the body then gets
    /// Timeout from now.
    private func bodyIsLate(now: NIODeadline) -> Bool {
        guard let deadline = bodyDeadline, timerKind == .readingBody || timerKind == .handler, now >= deadline else {
            return false
        }
        if timerKind == .handler, let stream = exchange?.stream, !stream.wantsBody {
            bodyDeadline = now + .seconds(Int64(state.configuration.timeoutSeconds))
            return false
        }
        return true
    }

    /// No deadline for now (a handler is running, or the connection is closing).
    func disarmTimer() {
        timerKind = .none
    }

    private func scheduleTimer(at deadline: NIODeadline, context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timerFiresAt = deadline
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.timer = nil
            handler.timerFiresAt = nil
            guard handler.timerKind != .none else { return }
            let now = context.eventLoop.now
            if handler.bodyIsLate(now: now) {
                handler.bodyTimedOut(context: context)
            } else if now < handler.timerDeadline {
                handler.scheduleTimer(at: handler.nextDeadline, context: context)
            } else {
                handler.timedOut(handler.timerKind, context: context)
            }
        }
    }

    func timedOut(_ kind: TimerKind, context: ChannelHandlerContext) {
        guard kind == timerKind else { return }
        switch kind {
        case .readingHead:
            state.logger.info("Request header read timeout", metadata: ["client": "\(remote.0):\(remote.1)", "id": "IS01382"])
            respondAndClose(408, context: context)
        case .readingBody, .writing:
            state.logger.info("Timeout after \(state.configuration.timeoutSeconds)s while \(kind == .writing ? "writing the response" : "reading the request body")",
                              metadata: ["client": "\(remote.0):\(remote.1)", "id": "IS01383"])
            close(context: context)
        case .handler:
            expireBlocking(context: context)
        case .idle, .none:
            close(context: context)
        }
    }

    /// The body came slower than `minimumBodyRate` after Timeout: 408 when nothing was
    /// answered yet, else the connection closes (an extension waiting in ReadClient gets
    /// FALSE).
    func bodyTimedOut(context: ChannelHandlerContext) {
        let received = exchange?.bodyBytes ?? 0
        state.logger.info("Request body read timeout: \(received) bytes in more than \(state.configuration.timeoutSeconds)s, below \(Self.minimumBodyRate) bytes/s",
                          metadata: ["client": "\(remote.0):\(remote.1)", "id": "IS01384"])
        bodyDeadline = nil
        if let current = exchange, !current.startedWriting {
            respondAndClose(408, context: context)
        } else {
            close(context: context)
        }
    }

    func close(context: ChannelHandlerContext) {
        closing = true
        timer?.cancel()
        timer = nil
        timerFiresAt = nil
        timerKind = .none
        if context.channel.isActive { context.close(promise: nil) }
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
