import NIOCore
import RequestPipeline

/// SF_NOTIFY_READ_RAW_DATA at the daemon's byte edge: in front of the request decoder,
/// each read goes through the global filters that asked for it (IIS 6 raises raw-data
/// notifications for global filters only), which may rewrite the bytes before anything
/// parses them. READ_NEXT holds the bytes until the next read joins them; FINISHED or
/// ERROR closes the connection (no request was parsed to answer). It runs on the
/// connection's event loop: a raw-data filter must not block.
final class FilterRawReadHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let session: ConnectionFilters
    let pipeline: Pipeline
    private var held: [UInt8] = []

    init(session: ConnectionFilters, pipeline: Pipeline) {
        self.session = session
        self.pipeline = pipeline
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        var bytes = held + (buffer.readBytes(length: buffer.readableBytes) ?? [])
        held = []
        switch pipeline.filterRawRead(&bytes, session: session) {
        case .proceed:
            guard !bytes.isEmpty else { return }
            context.fireChannelRead(wrapInboundOut(context.channel.allocator.buffer(bytes: bytes)))
        case .readNext:
            held = bytes
        case .finished, .error:
            context.close(promise: nil)
        }
    }
}
