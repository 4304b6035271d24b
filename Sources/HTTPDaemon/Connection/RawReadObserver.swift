import NIOCore

/// Sits in front of the request decoder and tells the connection handler, before the
/// decoder sees them, that bytes arrived: the only way to tell a client that started a
/// request head (Timeout applies) from an idle keep-alive connection (KeepAliveTimeout).
///
/// A direct call, not a user event: an event went through the decoder and into the
/// handler as an `Any`, cast at each (two dynamic casts, ~1k instructions per read).
final class RawReadObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The connection handler of the same pipeline (which does not know this one: no cycle).
    private let connection: HTTPConnectionHandler

    init(telling connection: HTTPConnectionHandler) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.bytesArrived()
        context.fireChannelRead(data)
    }
}
