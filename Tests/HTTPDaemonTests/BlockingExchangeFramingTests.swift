import NIOCore
import Testing

@testable import HTTPDaemon

/// What one drain of a `BlockingExchange` writes: a small response in one buffer (head,
/// chunk framing, body, last chunk), a large body as a part of its own.
@Suite struct BlockingExchangeFramingTests {
    static func texts(_ parts: [IOData]) -> [String] {
        parts.map { part -> String in
            guard case .byteBuffer(let buffer) = part else { return "<file>" }
            return String(buffer: buffer)
        }
    }

    @Test func aSmallChunkedResponseLeavesInOneBuffer() {
        var head: ByteBuffer? = ByteBuffer(string: "HEAD\r\n\r\n")
        var body = ByteBuffer(string: "part")
        let parts = BlockingExchange.wireParts(head: &head, body: &body, chunked: true, last: true,
                                               allocator: ByteBufferAllocator())
        #expect(Self.texts(parts) == ["HEAD\r\n\r\n4\r\npart\r\n0\r\n\r\n"])
        #expect(head == nil, "the head is taken")
        #expect(body.readableBytes == 0)
    }

    @Test func aSmallBodyWithoutFramingOrHead() {
        var head: ByteBuffer?
        var body = ByteBuffer(string: "plain")
        let parts = BlockingExchange.wireParts(head: &head, body: &body, chunked: false, last: false,
                                               allocator: ByteBufferAllocator())
        #expect(Self.texts(parts) == ["plain"])
        // The body's storage stays for the next writes.
        body.writeString("next")
        #expect(String(buffer: body) == "next")
    }

    @Test func nothingToWrite() {
        var head: ByteBuffer?
        var body = ByteBuffer()
        #expect(BlockingExchange.wireParts(head: &head, body: &body, chunked: false, last: true,
                                           allocator: ByteBufferAllocator()).isEmpty)
        #expect(Self.texts(BlockingExchange.wireParts(head: &head, body: &body, chunked: true, last: true,
                                                      allocator: ByteBufferAllocator())) == ["0\r\n\r\n"])
        #expect(Self.texts(BlockingExchange.wireParts(head: &head, body: &body, chunked: true, last: false,
                                                      allocator: ByteBufferAllocator())) == [])
    }

    @Test(arguments: [true, false])
    func aLargeBodyIsAPartOfItsOwn(_ last: Bool) {
        let count = BlockingExchange.coalescedBodyLimit + 1
        var head: ByteBuffer? = ByteBuffer(string: "HEAD\r\n\r\n")
        var body = ByteBuffer(repeating: 0x62, count: count)
        let parts = BlockingExchange.wireParts(head: &head, body: &body, chunked: true, last: last,
                                               allocator: ByteBufferAllocator())
        let texts = Self.texts(parts)
        #expect(texts.count == 3)
        #expect(texts.first == "HEAD\r\n\r\n" + String(count, radix: 16) + "\r\n")
        #expect(texts.dropFirst().first == String(repeating: "b", count: count))
        #expect(texts.last == (last ? "\r\n0\r\n\r\n" : "\r\n"))
        #expect(body.readableBytes == 0)
    }

    @Test(arguments: [1, 9, 10, 15, 16, 255, 0x3FFF, 0x4000, 0x10000, 0x7FFF_FFFF])
    func chunkSizeLines(_ count: Int) {
        var buffer = ByteBuffer()
        BlockingExchange.writeChunkSize(count, into: &buffer)
        #expect(String(buffer: buffer) == String(count, radix: 16) + "\r\n")
    }
}
