import Logging
import NIOCore
import RequestPipeline
import ServerConfig

/// mod_remoteip's `RemoteIPProxyProtocol On`: the first handler of a connection to an
/// address that requires HAProxy's PROXY header (before TLS, whose ClientHello follows
/// the header, and before the HTTP decoder). It reads the header, bounded (107 bytes for
/// v1, 16 plus the announced length for v2) and within `Timeout`, tells the handlers
/// behind it whom the balancer relays (`ProxyProtocolClient`), passes on what followed
/// the header and removes itself. A connection without a valid header is closed and logged.
final class ProxyProtocolHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum State {
        /// Bytes of the header so far.
        case awaitingHeader([UInt8])
        /// The header was read (or the connection refused): bytes pass through.
        case done
    }

    private var state = State.awaitingHeader([])
    private var timer: Scheduled<Void>?
    private let timeout: TimeAmount
    private let logger: Logger

    init(timeout: TimeAmount, logger: Logger) {
        self.timeout = timeout
        self.logger = logger
    }

    /// The handler for a new connection when its address requires the header and its
    /// peer is no `RemoteIPProxyProtocolExceptions` network; nil otherwise. Without any
    /// `RemoteIPProxyProtocol On` nothing is looked at (formatting both addresses for the
    /// check cost every connection ~6,000 instructions, issue 14 item 7).
    static func ifRequired(on channel: Channel, state: ServingState) -> ProxyProtocolHandler? {
        let policy = state.configuration.remoteIPProxyProtocol
        guard policy.settings.contains(where: { $0.state == .on }),
              let local = channel.localAddress?.textAndPort, let peer = channel.remoteAddress?.textAndPort,
              policy.isRequired(localAddress: local.0 == "-" ? "" : local.0, localPort: local.1, peer: peer.0)
        else { return nil }
        return ProxyProtocolHandler(timeout: .seconds(Int64(state.configuration.timeoutSeconds)), logger: state.logger)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { armTimer(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        armTimer(context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .awaitingHeader(var bytes) = state else {
            context.fireChannelRead(data)
            return
        }
        var buffer = unwrapInboundIn(data)
        bytes += buffer.readBytes(length: buffer.readableBytes) ?? []
        switch ProxyProtocolHeader.parse(bytes) {
        case .needMore:
            state = .awaitingHeader(bytes)
        case .invalid(let reason):
            refuse(context: context, "RemoteIPProxyProtocol: \(reason); no valid PROXY header, closing the connection",
                   id: "IS02190")
        case .header(let source, let length):
            state = .done
            timer?.cancel()
            timer = nil
            if let source {
                logger.debug("RemoteIPProxyProtocol: received valid PROXY header: \(source.address):\(source.port)",
                             metadata: metadata(context, id: "IS02191"))
            }
            context.fireUserInboundEventTriggered(ProxyProtocolClient(source: source))
            if length < bytes.count {
                var rest = context.channel.allocator.buffer(capacity: bytes.count - length)
                rest.writeBytes(bytes[length...])
                context.fireChannelRead(wrapInboundOut(rest))
            }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .done = state { context.fireChannelReadComplete() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The peer ended its side before a whole header: nothing to answer.
        if case .awaitingHeader(let bytes) = state, let event = event as? ChannelEvent, event == .inputClosed {
            if !bytes.isEmpty {
                refuse(context: context, "RemoteIPProxyProtocol: the connection ended inside the PROXY header",
                       id: "IS02193")
            } else {
                state = .done
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func armTimer(context: ChannelHandlerContext) {
        guard timer == nil, case .awaitingHeader = state else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = loopBound.value
            guard case .awaitingHeader = handler.state else { return }
            handler.refuse(context: context, "RemoteIPProxyProtocol: no PROXY header within \(handler.timeout.nanoseconds / 1_000_000_000) seconds, closing the connection",
                           id: "IS02192")
        }
    }

    private func refuse(context: ChannelHandlerContext, _ message: String, id: String) {
        state = .done
        timer?.cancel()
        timer = nil
        logger.error("\(message)", metadata: metadata(context, id: id))
        context.close(promise: nil)
    }

    private func metadata(_ context: ChannelHandlerContext, id: String) -> Logger.Metadata {
        let client = context.channel.remoteAddress.map { "\($0.ipAddress ?? "-"):\($0.port ?? 0)" } ?? "-"
        return ["client": "\(client)", "id": "\(id)"]
    }
}

/// What a PROXY header said, for the connection handler: the client the balancer
/// relays, or nil for a `LOCAL`/`UNKNOWN` header (a balancer's own health check: the
/// peer stands as the client).
struct ProxyProtocolClient: Sendable {
    let source: ProxyProtocolHeader.Source?
}

/// Whether this connection began with a PROXY header, and the balancer's address when
/// the header named a client.
enum ProxyProtocolOutcome {
    case none
    case read(peer: String?)
}

extension HTTPConnectionHandler {
    /// Both ends of the connection as a request sees them: with a PROXY header, the
    /// client it named (port included) and the balancer as the peer (`%{c}a`), as
    /// Apache's `r->useragent_addr` and `c->client_addr`.
    func connectionInfo(keepAliveCount: Int) -> ConnectionInfo {
        var info = ConnectionInfo(remoteAddress: remote.0, remotePort: remote.1, localAddress: local.0,
                                  localPort: local.1, keepAliveCount: keepAliveCount, tls: tls.session)
        if case .read(let peer) = proxyProtocol {
            // `remote` holds the client the header named already.
            info.clientNamed(by: .proxyProtocol, address: remote.0, port: remote.1, peer: peer)
        }
        return info
    }
}
