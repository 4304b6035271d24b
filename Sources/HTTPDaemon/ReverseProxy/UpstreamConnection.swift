import NIOCore
import NIOHTTP1
import NIOSSL

/// What an exchange hears from its upstream connection, on the connection's event loop.
protocol UpstreamResponseReceiver: AnyObject {
    /// The final response head (NIO's decoder drops interim 1xx heads).
    func upstreamHead(_ head: HTTPResponseHead)
    func upstreamBody(_ bytes: ByteBuffer)
    /// The response ended; the connection may go back to the pool.
    func upstreamEnd()
    /// The exchange failed; the connection is already closed.
    func upstreamFailed(_ failure: UpstreamFailure)
    /// Whether to read more body now: false while the client is slow (its channel not
    /// writable); `UpstreamConnection.demand()` resumes reading.
    var wantsMoreBody: Bool { get }
}

/// One keep-alive connection to an upstream, serving one exchange at a time, used only on
/// its event loop. The channel reads only on demand (autoRead off): while an exchange waits
/// for the head, or while its receiver wants more body. `ProxyTimeout` runs only while a
/// read is outstanding, so a slow client never makes the upstream look slow.
final class UpstreamConnection: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    enum State {
        /// Open, no exchange on it.
        case idle
        case awaitingHead(any UpstreamResponseReceiver)
        case streaming(any UpstreamResponseReceiver, keepAlive: Bool)
        case closed
    }

    let endpoint: UpstreamEndpoint
    private let readTimeout: Double
    private let headGuard: ResponseHeadGuard
    private var context: ChannelHandlerContext?
    private(set) var state = State.idle
    private var readOutstanding = false
    private var timer: Scheduled<Void>?
    /// Exchanges started on this connection (more than one: it was reused from the pool).
    private(set) var exchangesStarted = 0
    /// Whether any byte of the current response arrived (a stale reused connection fails
    /// before any did, and may be retried on a fresh one).
    private(set) var receivedAny = false
    /// Called once the upstream's request channel can take more body again.
    var onWritable: (() -> Void)?
    /// Called when the connection closes while idle (the pool forgets it).
    var onIdleClose: (() -> Void)?

    init(endpoint: UpstreamEndpoint, readTimeout: Double, headGuard: ResponseHeadGuard) {
        self.endpoint = endpoint
        self.readTimeout = readTimeout
        self.headGuard = headGuard
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    // MARK: The exchange's side

    /// Whether the connection is open and free for a new exchange.
    var isReusable: Bool {
        guard case .idle = state, let context else { return false }
        return context.channel.isActive
    }

    /// Whether the upstream's socket takes more request body now.
    var isWritable: Bool { context?.channel.isWritable ?? false }

    /// Request bytes written but not yet taken by the socket (nil: the channel cannot say).
    var unsentBytes: Int? {
        try? context?.channel.syncOptions?.getOption(ChannelOptions.bufferedWritableBytes)
    }

    /// Sends a request head and waits for the response head.
    func send(_ head: HTTPRequestHead, to receiver: any UpstreamResponseReceiver) {
        guard isReusable, let context else {
            return receiver.upstreamFailed(.closed("closed the connection before the request", upstream: endpoint))
        }
        state = .awaitingHead(receiver)
        exchangesStarted += 1
        receivedAny = false
        headGuard.expectHead()
        context.writeAndFlush(wrapOutboundOut(.head(head)), promise: nil)
        requestRead(context)
    }

    /// Sends request body bytes; the future completes when the socket took them.
    func sendBody(_ bytes: ByteBuffer) -> EventLoopFuture<Void>? {
        guard let context, context.channel.isActive else { return nil }
        return context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(bytes))))
    }

    /// Ends the request (the last chunk when the body is chunked).
    func endRequest() {
        context?.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// The receiver wants more body: read if no read is outstanding.
    func demand() {
        guard let context, !readOutstanding else { return }
        switch state {
        case .awaitingHead, .streaming: requestRead(context)
        case .idle, .closed: break
        }
    }

    /// Closes the connection; the current exchange, if any, hears nothing more.
    func close() {
        state = .closed
        disarmTimer()
        context?.close(promise: nil)
    }

    // MARK: Channel events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        receivedAny = true
        if readOutstanding { armTimer(context) }
        switch unwrapInboundIn(data) {
        case .head(let head):
            guard case .awaitingHead(let receiver) = state else { return }
            if head.status == .switchingProtocols {
                return fail(.malformed("101 Switching Protocols, which the proxy does not forward", upstream: endpoint))
            }
            state = .streaming(receiver, keepAlive: head.isKeepAlive)
            receiver.upstreamHead(head)
        case .body(let bytes):
            guard case .streaming(let receiver, _) = state else { return }
            receiver.upstreamBody(bytes)
        case .end:
            guard case .streaming(let receiver, let keepAlive) = state else { return }
            disarmTimer()
            readOutstanding = false
            if keepAlive {
                state = .idle
            } else {
                close()
            }
            receiver.upstreamEnd()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        readOutstanding = false
        disarmTimer()
        switch state {
        case .awaitingHead:
            requestRead(context)
        case .streaming(let receiver, _) where receiver.wantsMoreBody:
            requestRead(context)
        case .streaming, .idle, .closed:
            break
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { onWritable?() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch state {
        case .awaitingHead:
            fail(receivedAny ? .malformed("the connection closed inside the response head", upstream: endpoint)
                 : .closed("closed the connection before answering", upstream: endpoint))
        case .streaming:
            fail(.closed("closed the connection inside the response body", upstream: endpoint))
        case .idle:
            state = .closed
            onIdleClose?()
        case .closed:
            break
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        fail(Self.failure(for: error, upstream: endpoint))
    }

    /// The failure an error from the channel means.
    static func failure(for error: Error, upstream: UpstreamEndpoint) -> UpstreamFailure {
        switch error {
        case ResponseHeadGuard.Violation.obsFold:
            return .malformed("obs-fold (a header line that begins with whitespace)", upstream: upstream)
        case ResponseHeadGuard.Violation.headTooLarge(let limit):
            return UpstreamFailure(kind: .badGateway, id: "IS02208",
                                   message: "response head from upstream \(upstream) is larger than \(limit) bytes")
        case let error as HTTPParserError:
            return .malformed("\(error)", upstream: upstream)
        case is NIOSSLError, is NIOSSLExtraError, is BoringSSLError:
            return UpstreamFailure(kind: .badGateway, id: "IS02207",
                                   message: "TLS handshake with upstream \(upstream) failed: \(error)")
        default:
            return .closed("failed: \(error)", upstream: upstream)
        }
    }

    // MARK: Reading and ProxyTimeout

    private func requestRead(_ context: ChannelHandlerContext) {
        readOutstanding = true
        armTimer(context)
        context.read()
    }

    private func armTimer(_ context: ChannelHandlerContext) {
        timer?.cancel()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: .fromSeconds(readTimeout)) { [self] in
            timer = nil
            fail(.readTimeout(readTimeout, upstream: endpoint))
        }
    }

    private func disarmTimer() {
        timer?.cancel()
        timer = nil
    }

    private func fail(_ failure: UpstreamFailure) {
        let receiver: (any UpstreamResponseReceiver)?
        switch state {
        case .awaitingHead(let current), .streaming(let current, _): receiver = current
        case .idle, .closed: receiver = nil
        }
        close()
        receiver?.upstreamFailed(failure)
    }
}
