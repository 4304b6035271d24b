import NIOCore
import NIOHTTP1

/// Serializes response heads and passes bodies through untouched. isapid decides the
/// framing itself (Content-Length, its own chunking, or an extension that frames its
/// body itself), so nothing here may add or change framing.
final class HTTPResponseHeadEncoder: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = IOData

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            var buffer = context.channel.allocator.buffer(capacity: 256)
            if head.version == .http1_1 {
                buffer.writeStaticString("HTTP/1.1 ")
            } else {
                buffer.writeString("HTTP/\(head.version.major).\(head.version.minor) ")
            }
            Self.writeStatusCode(head.status.code, to: &buffer)
            buffer.writeStaticString(" ")
            buffer.writeString(head.status.reasonPhrase)
            buffer.writeStaticString("\r\n")
            for (name, value) in head.headers {
                buffer.writeString(name)
                buffer.writeStaticString(": ")
                buffer.writeString(value)
                buffer.writeStaticString("\r\n")
            }
            buffer.writeStaticString("\r\n")
            context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
        case .body(let body):
            context.write(wrapOutboundOut(body), promise: promise)
        case .end:
            // Nothing to write, but the promise must complete after everything before it.
            context.write(wrapOutboundOut(.byteBuffer(empty)), promise: promise)
        }
    }

    /// Shared by every `.end`: an empty buffer costs no allocation once made.
    private let empty = ByteBufferAllocator().buffer(capacity: 0)

    /// Three digits (status codes are 100...999), without making a String.
    static func writeStatusCode(_ code: UInt, to buffer: inout ByteBuffer) {
        guard (100...999).contains(code) else {
            buffer.writeString(String(code))
            return
        }
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(code / 100))
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(code / 10 % 10))
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(code % 10))
    }
}
