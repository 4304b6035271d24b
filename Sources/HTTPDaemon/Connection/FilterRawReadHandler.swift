import NIOCore
import RequestPipeline

/// SF_NOTIFY_READ_RAW_DATA at the daemon's byte edge: in front of the request decoder,
/// each read goes through the global filters that asked for it (IIS 6 raises raw-data
/// notifications for global filters only), which may rewrite the bytes before anything
/// parses them. READ_NEXT holds the bytes until the next read joins them; FINISHED or
/// ERROR closes the connection (no request was parsed to answer). SF_REQ_SET_NEXT_READ_SIZE
/// is honoured as a read size: the next notification shows at most that many new bytes,
/// the rest of what the socket gave comes in notifications of their own. It runs on the
/// connection's event loop: a raw-data filter must not block.
final class FilterRawReadHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let session: ConnectionFilters
    let pipeline: Pipeline
    private var held: [UInt8] = []
    /// SF_REQ_SET_NEXT_READ_SIZE: the most new bytes the next notification shows; nil for
    /// what the socket gives.
    private var nextReadSize: Int?

    init(session: ConnectionFilters, pipeline: Pipeline) {
        self.session = session
        self.pipeline = pipeline
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        var incoming = (buffer.readBytes(length: buffer.readableBytes) ?? [])[...]
        while !incoming.isEmpty {
            let size = min(nextReadSize ?? incoming.count, incoming.count)
            let read = Array(incoming.prefix(size))
            incoming = incoming.dropFirst(size)
            guard notify(read, context: context) else { return }
        }
    }

    /// READ_RAW_DATA on one read (joined to the bytes READ_NEXT held); false when the
    /// connection closes.
    private func notify(_ read: [UInt8], context: ChannelHandlerContext) -> Bool {
        var bytes = held + read
        held = []
        let outcome = pipeline.filterRawRead(&bytes, session: session)
        nextReadSize = session.takeNextReadSize()
        switch outcome {
        case .proceed:
            guard !bytes.isEmpty else { return true }
            context.fireChannelRead(wrapInboundOut(context.channel.allocator.buffer(bytes: bytes)))
            return true
        case .readNext:
            held = bytes
            return true
        case .finished, .error:
            context.close(promise: nil)
            return false
        }
    }
}
