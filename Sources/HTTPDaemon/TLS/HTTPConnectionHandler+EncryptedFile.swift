import NIOCore

/// A file answer on a TLS connection. NIOSSL encrypts buffers: it cannot send from a file
/// (sendfile's `FileRegion` would trap in its write path). So the file's slices are read
/// into memory one at a time, each when the socket has taken the one before: a slice per
/// connection in memory, and a slow client slows the reading, not the other way round.
extension HTTPConnectionHandler {
    /// Slices of a file read for encryption.
    static let encryptedSliceSize = 256 * 1024

    /// Writes `parts` in order, the next when the previous one was written. The first
    /// part is the head's buffer (with `bodyInBuffer` body bytes); file regions are read
    /// with pread when their turn comes. `file` is closed at the end, whatever it is.
    func writeEncrypted(
        _ parts: ArraySlice<IOData>, bodyInBuffer: Int, file: NIOFileHandle?, context: ChannelHandlerContext
    ) {
        guard let part = parts.first else { return }
        let buffer: ByteBuffer
        do {
            buffer = try Self.materialize(part, allocator: context.channel.allocator)
        } catch {
            state.logger.error("could not read a file being sent: \(error)", metadata: ["id": "IS02108"])
            try? file?.close()
            close(context: context)
            return
        }
        let isFirst = parts.startIndex == 0
        let count = Int64(isFirst ? bodyInBuffer : buffer.readableBytes)
        let wireCount = Int64(buffer.readableBytes)
        let rest = parts.dropFirst()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
        promise.futureResult.whenComplete { result in
            let (handler, context) = loopBound.value
            switch result {
            case .success:
                handler.exchange?.bytesSent += count
                handler.exchange?.wireBytesSent += wireCount
                if rest.isEmpty {
                    try? file?.close()
                    handler.writeCompleted(context: context)
                } else {
                    handler.writeEncrypted(rest, bodyInBuffer: bodyInBuffer, file: file, context: context)
                }
            case .failure:
                try? file?.close()
                handler.close(context: context)
            }
        }
    }

    /// A part as bytes: a buffer as it is, a file region read from its file.
    private static func materialize(_ part: IOData, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        switch part {
        case .byteBuffer(let buffer):
            return buffer
        case .fileRegion(let region):
            var buffer = allocator.buffer(capacity: region.readableBytes)
            try region.fileHandle.withUnsafeFileDescriptor { descriptor in
                try FileBody.read(
                    descriptor, offset: region.readerIndex, length: region.readableBytes, into: &buffer,
                    path: "the file being sent")
            }
            return buffer
        }
    }
}
