import NIOCore
import RequestPipeline

/// The connection as a `BlockingExchange` sees it: the head encoded with the connection's
/// fixed fields (on the pool thread), and the handler's writes and ends on its loop.
final class BlockingConnection: BlockingExchangeConnection, @unchecked Sendable {
    private let loopBound: NIOLoopBound<(HTTPConnectionHandler, ChannelHandlerContext)>
    private let headContext: ResponseHeadContext
    private let allocator: ByteBufferAllocator

    init(_ handler: HTTPConnectionHandler, context: ChannelHandlerContext, headContext: ResponseHeadContext) {
        loopBound = NIOLoopBound((handler, context), eventLoop: context.eventLoop)
        self.headContext = headContext
        allocator = context.channel.allocator
    }

    func makeHead(status: Int, reason: String?, headers: HeaderFields, keepAlive: Bool) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 384)
        headContext.encode(status: status, reason: reason, headers: headers, contentLength: nil,
                           keepAlive: keepAlive, into: &buffer)
        return buffer
    }

    func writeParts(_ parts: [IOData], bodyBytes: Int, completion: @escaping @Sendable (Bool) -> Void) {
        let (handler, context) = loopBound.value
        // The handler is alive while it writes: its deadline counts from here.
        if handler.machine.timer == .handler { handler.armTimer(.handler, context: context) }
        // An empty list still completes after everything written before it.
        let last = parts.last ?? .byteBuffer(ByteBuffer())
        let wireBytes = parts.reduce(0) { $0 + $1.readableBytes }
        for part in parts.dropLast() { context.write(handler.wrapOutboundOut(part), promise: nil) }
        // As the loop's own answers (`HTTPConnectionHandler.write(context:)`): what the
        // channel takes under its write watermark is not waited for, and costs no promise.
        context.writeAndFlush(handler.wrapOutboundOut(last), promise: nil)
        guard context.channel.isActive else { return completion(false) }
        if context.channel.isWritable {
            handler.machine.answerHandedOver()
            Self.count(bodyBytes: bodyBytes, wireBytes: wireBytes, of: handler)
            return completion(true)
        }
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(handler.wrapOutboundOut(.byteBuffer(ByteBuffer())), promise: promise)
        let loopBound = self.loopBound
        promise.futureResult.whenComplete { result in
            guard case .success = result else { return completion(false) }
            let handler = loopBound.value.0
            handler.machine.outputDrained()
            Self.count(bodyBytes: bodyBytes, wireBytes: wireBytes, of: handler)
            completion(true)
        }
    }

    /// What the access log counts: body bytes (%b) and all bytes (%O) the socket took.
    private static func count(bodyBytes: Int, wireBytes: Int, of handler: HTTPConnectionHandler) {
        guard let exchange = handler.exchange else { return }
        exchange.bytesSent += Int64(bodyBytes)
        exchange.wireBytesSent += Int64(wireBytes)
    }

    func resumeReading() {
        let (handler, context) = loopBound.value
        if handler.machine.timer == .handler { handler.armTimer(.handler, context: context) }
        if handler.machine.takeHeldRead() { context.read() }
    }

    func completed(_ ending: BlockingExchange.Ending) {
        let (handler, context) = loopBound.value
        handler.blockingCompleted(ending, context: context)
    }

    func respondNormally(_ response: Response) {
        let (handler, context) = loopBound.value
        guard let current = handler.exchange, current.stream != nil else { return }
        current.response = response
        handler.machine.answerRestarted()
        handler.write(context: context)
    }
}
