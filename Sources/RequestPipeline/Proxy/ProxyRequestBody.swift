/// The client's request body on its way upstream: read from the channel and sent on in
/// pieces of at most 64 KiB, so the proxy never holds the whole body. It remembers how
/// much it took from the client: once bytes were taken, the request cannot be retried.
final class ProxyRequestBody {
    static let pieceSize = 64 * 1024
    /// Room before a piece for its chunk-size line, and after it for the CRLF.
    private static let chunkHeadRoom = 18

    let framing: RequestBodyFraming
    /// Body bytes read from the client so far.
    private(set) var consumed: Int64 = 0
    /// Whether the client's body has ended (chunked: the end was read).
    private var ended = false

    init(framing: RequestBodyFraming) {
        self.framing = framing
    }

    /// Streams the body to `socket`: exactly Content-Length bytes, or chunk by chunk with
    /// the closing zero-size chunk.
    func send(from channel: any ResponseChannel, to socket: UpstreamSocket) throws(ProxyFailure) {
        guard framing.hasBody else { return }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.pieceSize + 2 * Self.chunkHeadRoom,
                                                            alignment: 8)
        defer { buffer.deallocate() }
        switch framing {
        case .none:
            return
        case .length(let length):
            while consumed < length {
                let room = Int(min(Int64(Self.pieceSize), length - consumed))
                let count = try read(channel, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<room]))
                guard count > 0 else {
                    throw ProxyFailure(kind: .client, id: "IS03009",
                                       message: "the client's request body ended after \(consumed) of \(length) bytes")
                }
                try socket.send(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            }
        case .chunked:
            while !ended {
                let start = Self.chunkHeadRoom
                let room = UnsafeMutableRawBufferPointer(rebasing: buffer[start..<(start + Self.pieceSize)])
                let count = try read(channel, into: room)
                if count == 0 {
                    ended = true
                    break
                }
                // "<hex>\r\n" right before the data, "\r\n" right after: one send per chunk.
                let sizeLine = Array(String(count, radix: 16).utf8) + [0x0D, 0x0A]
                let first = start - sizeLine.count
                for (offset, byte) in sizeLine.enumerated() { buffer[first + offset] = byte }
                buffer[start + count] = 0x0D
                buffer[start + count + 1] = 0x0A
                try socket.send(UnsafeRawBufferPointer(rebasing: buffer[first..<(start + count + 2)]))
            }
            try socket.send(Array("0\r\n\r\n".utf8))
        }
    }

    private func read(_ channel: any ResponseChannel,
                      into buffer: UnsafeMutableRawBufferPointer) throws(ProxyFailure) -> Int {
        guard let count = channel.readBody(into: buffer) else {
            throw ProxyFailure(kind: .client, id: "IS03009",
                               message: "the client's request body could not be read after \(consumed) bytes")
        }
        consumed += Int64(count)
        return count
    }
}
