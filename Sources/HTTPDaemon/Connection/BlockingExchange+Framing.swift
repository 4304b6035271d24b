import NIOCore

/// How one drain of a `BlockingExchange` puts its response on the wire.
extension BlockingExchange {
    /// A body up to this size is copied behind the head (and its chunk framing) into one
    /// buffer: each further part costs a pass through the channel pipeline, far more
    /// than copying a few kilobytes. A larger body leaves as a part of its own.
    static let coalescedBodyLimit = 16 * 1024

    private static let lineEnd = ByteBuffer(string: "\r\n")
    private static let lineEndAndLastChunk = ByteBuffer(string: "\r\n0\r\n\r\n")

    /// The parts one drain writes: the held `head` (if any; taken, so that its storage is
    /// written to without a copy), the `body` taken so far (framed as one chunk when
    /// `chunked`) and, with `last`, the last chunk. `body` is emptied: cleared, keeping
    /// its storage for the next writes, when copied; replaced when handed over. Empty
    /// when there is nothing to write.
    static func wireParts(head heldHead: inout ByteBuffer?, body: inout ByteBuffer, chunked: Bool, last: Bool,
                          allocator: ByteBufferAllocator) -> [IOData] {
        var head = heldHead.take()
        let count = body.readableBytes
        if count > coalescedBodyLimit {
            var parts: [IOData] = []
            var prefix = head.take() ?? allocator.buffer(capacity: 18)
            if chunked { writeChunkSize(count, into: &prefix) }
            if prefix.readableBytes > 0 { parts.append(.byteBuffer(prefix)) }
            parts.append(.byteBuffer(body))
            body = allocator.buffer(capacity: 0)
            if chunked { parts.append(.byteBuffer(last ? lineEndAndLastChunk : lineEnd)) }
            return parts
        }
        guard head != nil || count > 0 || (last && chunked) else { return [] }
        // Room for the body, its chunk framing (4 hex digits at most here, CRLF, CRLF) and the last chunk.
        let framing = chunked ? 17 : 0
        var buffer = head.take() ?? allocator.buffer(capacity: count + framing)
        buffer.reserveCapacity(minimumWritableBytes: count + framing)
        if count > 0 {
            if chunked { writeChunkSize(count, into: &buffer) }
            buffer.writeBuffer(&body)
            if chunked { buffer.writeStaticString("\r\n") }
        }
        if last && chunked { buffer.writeStaticString("0\r\n\r\n") }
        body.clear()
        return [.byteBuffer(buffer)]
    }

    /// A chunk's size line: the count in hexadecimal, then CRLF.
    static func writeChunkSize(_ count: Int, into buffer: inout ByteBuffer) {
        var digits = 1
        while count >> (4 * digits) > 0 { digits += 1 }
        for index in stride(from: digits - 1, through: 0, by: -1) {
            let digit = UInt8((count >> (4 * index)) & 0xF)
            buffer.writeInteger(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
        }
        buffer.writeStaticString("\r\n")
    }
}
