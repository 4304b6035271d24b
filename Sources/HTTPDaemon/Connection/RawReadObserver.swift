import NIOCore

/// Sits in front of the request decoder and tells the connection handler, before the
/// decoder sees them, that bytes arrived: the only way to tell a client that started a
/// request head (Timeout applies) from an idle keep-alive connection (KeepAliveTimeout).
final class RawReadObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireUserInboundEventTriggered(BytesArrived())
        context.fireChannelRead(data)
    }
}

/// Raw bytes reached the connection.
struct BytesArrived: Sendable {}
